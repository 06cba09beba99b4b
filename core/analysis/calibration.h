// The images analyses run on: a seeded subset of a split (training images by default, as the
// paper presumes test data unavailable), and the token choice features are measured on.
#pragma once

#include "core/data/calibration_defaults.h"
#include "core/data/dataset.h"
#include "core/model/vit_config.h"
#include "core/progress.h"

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
    int64_t images = kCalibrationImages;
    uint64_t seed = kCalibrationSeed;
    std::string split = kCalibrationSplit;
};

// Loads spec's split and draws the subset; Error on N <= 0, N > dataset size or a model mismatch.
Dataset loadCalibrationSet(const std::string& spec, const ViTConfig& config, const CalibrationOptions& options);

// tokens [B, T, D] -> samples [n, D] for the entropy estimator.
torch::Tensor selectTokens(const torch::Tensor& tokens, TokenSet set, int64_t prefixTokens);

nlohmann::json calibrationJson(const Dataset& d, const CalibrationOptions& o);

} // namespace mlpify::core
