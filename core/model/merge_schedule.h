// Token merging (ToMe: Bolya et al., "Token Merging: Your ViT But Faster", ICLR 2023) as a
// schedule: how many tokens each block merges away. Plain data; the tensor side is
// token_merging.h, the model applies a schedule in VisionTransformer::setMergeSchedule.
#pragma once

#include "core/model/vit_config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

struct MergeSchedule {
    std::vector<int64_t> r; // tokens merged away per block; missing trailing blocks merge none
    bool active() const;    // some block merges
    int64_t at(int64_t block) const { return block < static_cast<int64_t>(r.size()) ? r[block] : 0; }
    std::string describe() const; // "8 from block 1" (constant), "16,14,13,...", or "off"
    bool operator==(const MergeSchedule& o) const;
};

// ToMe's two schedules over blocks [start, depth) (earlier blocks merge none): the same r in every
// block, or r falling linearly from 2r in block `start` to 0 in the last block (ToMe's
// "inflection -1"; the same total, each value truncated to an integer as ToMe does).
MergeSchedule constantSchedule(int64_t r, int64_t depth, int64_t start = 0);
MergeSchedule decreasingSchedule(int64_t r, int64_t depth, int64_t start = 0);

// The command-line form: "R" with shape "constant" or "decreasing" from block start, or a comma
// list "r0,r1,..." with one value per block (shorter lists leave the last blocks unmerged; start
// must then be 0). Error naming `what` (the face's name of the setting; `what`-schedule and
// `what`-start for the other two) on a negative r, a list longer than the model or a start outside it.
MergeSchedule parseMergeSchedule(const std::string& text, const std::string& shape, int64_t start, int64_t depth,
                                 const std::string& what);

// How many tokens a block with `tokens` tokens really merges for a requested r: at most half of
// the tokens that may be merged (the class token, and the distillation token of a distilled
// model, never are), ToMe's clamp.
int64_t mergeCount(int64_t r, int64_t tokens, bool distilled);
// Tokens entering each block under the schedule: [0] = config.numTokens(), [i + 1] = after block
// i's merge (size depth + 1).
std::vector<int64_t> tokensPerBlock(const ViTConfig& config, const MergeSchedule& s);

void to_json(nlohmann::json& j, const MergeSchedule& s);
void from_json(const nlohmann::json& j, MergeSchedule& s);

} // namespace mlpify::core
