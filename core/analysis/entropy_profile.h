// Per-block entropy curves (the paper's Figure 1): attention branch, MLP branch, block output.
#pragma once

#include "core/analysis/calibration.h"
#include "core/analysis/entropy.h"
#include "core/analysis/entropy_profile_result.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace mlpify::core {

struct ProfileOptions {
    TokenSet tokens = TokenSet::Cls;
    // The CLS-feature variant of method.md section 2: natural log, population std.
    EntropyOptions entropy = EntropyOptions::nats();
    int folds = 3;          // the spread is the std of the estimate over this many disjoint seeded folds
    int64_t batchSize = 64; // images per forward; on a CPU the batches run one per thread
    std::string device = "auto";
};

EntropyProfile profileEntropy(ModelBundle& model, const Dataset& calibration, const ProfileOptions& options,
                              Progress& progress, const CancelToken* cancel = nullptr);

} // namespace mlpify::core
