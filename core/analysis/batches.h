// Running a model over every batch of a dataset for an analysis: in order on one thread, or one
// batch per compute thread side by side.
#pragma once

#include "core/data/dataset.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"

#include <functional>
#include <string>

namespace mlpify::core {

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

} // namespace mlpify::core
