// ONNX Runtime (the npm package onnxruntime-node, CPU) run on exported files through
// tools/onnxruntime/ort.js: the runtime that checks MLPify's ONNX export and measures it in bench.
#pragma once

#include "core/bench/benchmark.h"

#include <torch/torch.h>

#include <string>

namespace mlpify::core {

// Empty when node and onnxruntime-node are installed; otherwise what is missing and how to add it.
std::string onnxRuntimeProblem();
// The graph's first output for images (float32 [B, C, H, W]), computed by ONNX Runtime with the
// given intra-op threads. Error with ort.js's message when the run fails.
torch::Tensor runOnnxRuntime(const std::string& onnxPath, const torch::Tensor& images, int threads);
// images/s and median latency of ONNX Runtime on one batch; parameters and FLOPs come from model,
// memory is not measured (0).
BenchResult benchmarkOnnxRuntime(const ModelBundle& model, const BenchOptions& options);

} // namespace mlpify::core
