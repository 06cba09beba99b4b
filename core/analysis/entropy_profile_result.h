// The per-block entropy curves as plain data (no LibTorch), shared by the CLI, the GUI and tests.
#pragma once

#include "core/model/block_mode.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mlpify::core {

struct BlockEntropy {
    int64_t block = 0;
    BlockMode mode;
    std::optional<double> attn; // none when the block runs no attention
    double mlp = 0;             // NaN where the block has no MLP (units.md)
    double out = 0;
    std::optional<double> attnSpread;
    double mlpSpread = 0;
    double outSpread = 0;
};

struct EntropyProfile {
    std::vector<BlockEntropy> blocks;
    std::string units;
    nlohmann::json settings;   // tokens, log base, ddof, folds
    nlohmann::json provenance; // model, data, split, images, seed
};

void to_json(nlohmann::json& j, const EntropyProfile& p);
void from_json(const nlohmann::json& j, EntropyProfile& p);

} // namespace mlpify::core
