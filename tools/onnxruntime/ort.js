#!/usr/bin/env node
// Runs an ONNX file in ONNX Runtime (onnxruntime-node, CPU execution provider) for MLPify.
//   node ort.js run MODEL.onnx INPUT.f32 D0,D1,D2,D3 OUTPUT.f32 THREADS
//     input: raw little-endian float32 of the given shape; writes the first output the same way
//     and prints {"dims": [...]}.
//   node ort.js bench MODEL.onnx BATCH WARMUP REPEATS THREADS
//     prints {"images_per_s", "latency_ms", "iqr_ms", "batch", "threads", "version"}: the median
//     (and interquartile range) of REPEATS timed runs of one random batch, after WARMUP untimed ones.
// Errors: one line on stderr, exit code 2.
'use strict';
const fs = require('fs');

function fail(message) {
  process.stderr.write(`ort.js: ${message}\n`);
  process.exit(2);
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  fail(`onnxruntime-node is not installed beside ${__filename} (npm ci --ignore-scripts there): ${e.message}`);
}

async function session(model, threads) {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
}

async function run([model, input, dimsText, output, threads]) {
  const dims = dimsText.split(',').map(Number);
  const bytes = fs.readFileSync(input);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) fail(`${input} holds ${data.length} floats, not ${dims}`);
  const s = await session(model, Number(threads));
  const result = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', data, dims) });
  const out = result[s.outputNames[0]];
  fs.writeFileSync(output, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  console.log(JSON.stringify({ dims: out.dims }));
}

async function bench([model, batchText, warmupText, repeatsText, threadsText]) {
  const [batch, warmup, repeats, threads] = [batchText, warmupText, repeatsText, threadsText].map(Number);
  const s = await session(model, threads);
  const shape = await inputShape(model, s, batch);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; ++i) data[i] = Math.sin(i * 12.9898) * 0.5;
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < warmup; ++i) await s.run(feeds);
  const times = [];
  for (let i = 0; i < repeats; ++i) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const quantile = (q) => times[Math.round(q * (times.length - 1))];
  console.log(JSON.stringify({
    images_per_s: (1000 * batch) / quantile(0.5), latency_ms: quantile(0.5), iqr_ms: quantile(0.75) - quantile(0.25),
    batch, threads, version: ort.env.versions.node,
  }));
}

// The input's C, H, W as the graph declares them ([batch, C, H, W], batch dynamic).
async function inputShape(model, s, batch) {
  const info = s.inputMetadata && s.inputMetadata[0];
  if (info && Array.isArray(info.shape) && info.shape.length === 4) return [batch, ...info.shape.slice(1).map(Number)];
  fail(`${model}: cannot read the input shape`);
}

const [mode, ...args] = process.argv.slice(2);
const commands = { run: [run, 5], bench: [bench, 5] };
if (!commands[mode] || args.length !== commands[mode][1]) fail('usage: ort.js run|bench ... (see the header)');
commands[mode][0](args).catch((e) => fail(e.message.split('\n')[0]));
