// What a block's attention branch does: the states of method.md sections 3 and 4.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

enum class AttnMode {
    Active,   // x = x + Attn(LN1 x)
    Diluting, // x = (2 - lambda) x + lambda Attn(LN1 x)
    Removed,  // x = 2x: an MLP-only block, no attention parameters kept
    Skipped,  // x = x: analysis only (transfer entropy), weights kept, no compensation
};

struct BlockMode {
    AttnMode mode = AttnMode::Active;
    double lambda = 1.0; // meaningful for Diluting only

    bool hasAttention() const { return mode != AttnMode::Removed; }
    bool operator==(const BlockMode& o) const
    {
        return mode == o.mode && (mode != AttnMode::Diluting || lambda == o.lambda);
    }
};

std::string toString(AttnMode mode);
// Block indices as a list: "2,6" (or with another separator), as --remove takes them.
std::string blockList(const std::vector<int64_t>& blocks, const std::string& separator = ",");
AttnMode attnModeFromString(const std::string& s); // throws Error on an unknown name

void to_json(nlohmann::json& j, const BlockMode& m);
void from_json(const nlohmann::json& j, BlockMode& m);

} // namespace mlpify::core
