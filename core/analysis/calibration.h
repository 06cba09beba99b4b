// The images analyses run on: a seeded subset of a split (training images by default, as the
// paper presumes test data unavailable), and the token choice features are measured on.
#pragma once

#include "core/data/dataset.h"
#include "core/model/vit_config.h"
#include "core/progress.h"

#include <functional>

#include <nlohmann/json.hpp>

#include <string>

namespace mlpify::core {

enum class TokenSet {
    Cls,       // the class token only (default, as the paper)
    All,       // every token as an extra sample
    PatchMean, // the mean of the patch tokens
};

std::string toString(TokenSet t);
TokenSet tokenSetFromString(const std::string& s); // "cls", "all", "patch"

struct CalibrationOptions {
    int64_t images = 1000;
    uint64_t seed = 0;
    std::string split = "train";
};

// Loads spec's split and draws the subset; Error on N <= 0, N > dataset size or a model mismatch.
Dataset loadCalibrationSet(const std::string& spec, const ViTConfig& config, const CalibrationOptions& options);

// tokens [B, T, D] -> samples [n, D] for the entropy estimator.
torch::Tensor selectTokens(const torch::Tensor& tokens, TokenSet set, int64_t prefixTokens);

struct ModelBundle;

// Runs fn on every normalised batch of data in order (eval mode, no grad, on device), reporting
// progress; throws Cancelled when cancel is set between batches.
void forEachBatch(ModelBundle& model, const Dataset& data, int64_t batchSize, const torch::Device& device,
                  Progress& progress, const std::string& what, const CancelToken* cancel,
                  const std::function<void(const torch::Tensor& images, int64_t offset)>& fn);

// Accumulator slots forEachBatchParallel uses on device: LibTorch's thread count on a CPU, 1 on a GPU.
size_t parallelSlots(const torch::Device& device);

// forEachBatch for work that is independent per batch: on a CPU the loader hands over one batch
// per thread at a time and fn runs on them side by side, each on its own thread with
// single-threaded ops (for small models this uses the cores far better than parallelising
// inside each op). slot < parallelSlots(device) is the same for no two calls running at once, so
// per-slot accumulators need no lock. Every call still sees exactly one batch of batchSize
// images, so results do not depend on the number of threads.
void forEachBatchParallel(ModelBundle& model, const Dataset& data, int64_t batchSize, const torch::Device& device,
                          Progress& progress, const std::string& what, const CancelToken* cancel,
                          const std::function<void(const torch::Tensor& images, int64_t offset, size_t slot)>& fn);

nlohmann::json calibrationJson(const Dataset& d, const CalibrationOptions& o);

} // namespace mlpify::core
