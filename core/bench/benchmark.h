// Speed and size of a model: parameters, analytic FLOPs, measured images/s and latency.
#pragma once

#include "core/bench/flops.h"
#include "core/model/inference.h"
#include "core/model/model_bundle.h"

#include <nlohmann/json.hpp>

namespace mlpify::core {

struct BenchOptions {
    int64_t batchSize = 64;
    int warmup = 3;
    int repeats = 10;
    std::string device = "auto";
    Parallelism parallelism = Parallelism::Auto;
    bool bf16 = false; // bfloat16 autocast (torch.autocast); every op on all threads then (autocast is per thread)
};

struct BenchResult {
    std::string model;
    MergeSchedule tome; // the token merging the model ran with
    int64_t parameters = 0;
    double gflopsPerImage = 0;  // analytic, multiply-add = 2 FLOPs
    double imagesPerSecond = 0; // batch / median batch latency
    double latencyMs = 0;       // median forward time of one batch
    double latencyIqrMs = 0;    // interquartile range of the repeats
    double peakRssMiB = 0;      // peak resident memory of the process during this run
    bool peakIsPerRun = false;  // false: the kernel could not reset the peak; it is the process's so far
    double runMemoryMiB = 0;    // peak minus the resident memory before the run: inputs, activations, workspace
    double weightsMiB = 0;      // parameters at 4 bytes
    int64_t batchSize = 0;
    std::string device;
    int threads = 1;         // LibTorch's compute threads
    std::string parallelism; // how the batch used them: "ops" or "images" (model/inference.h)
    std::string blas;        // runtime.h blasThreading()
    std::string precision;   // "float32" or "bf16 autocast"
};

BenchResult benchmarkModel(ModelBundle& model, const BenchOptions& options);
// Training throughput: forward, backward and an AdamW step on one random batch, repeated, with the
// trainer's threading (train/parallel_step.h). FLOPs per image count forward + backward as 3x forward.
BenchResult benchmarkTraining(ModelBundle& model, const BenchOptions& options);
void to_json(nlohmann::json& j, const BenchResult& r);

} // namespace mlpify::core
