// Top-1 accuracy and loss of a model on a dataset, at the block states the model has right now.
#pragma once

#include "core/data/dataset.h"
#include "core/model/inference.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"

namespace mlpify::core {

struct EvalOptions {
    int64_t batchSize = 256;
    int64_t limit = 0; // first N images only (0 = all)
    bool keepLogits = false;
    std::string device = "auto";
    Parallelism parallelism = Parallelism::Auto; // model/inference.h
};

struct EvalResult {
    int64_t count = 0;
    int64_t correct = 0;
    double loss = 0; // mean cross-entropy, natural log
    bool cancelled = false;
    torch::Tensor logits; // [count, classes] on CPU when keepLogits
    torch::Tensor labels;
    std::vector<BlockMode> evaluatedAt; // the block states (and lambdas) the numbers belong to
    double top1() const { return count ? static_cast<double>(correct) / static_cast<double>(count) : 0.0; }
};

EvalResult evaluate(ModelBundle& model, const Dataset& data, const EvalOptions& options, Progress& progress,
                    const CancelToken* cancel = nullptr);

} // namespace mlpify::core
