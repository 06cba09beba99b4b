#include "core/bench/flops.h"

#include "core/error.h"

#include <cmath>
#include <set>
#include <string>

namespace mlpify::core {

double analyticFlops(const ViTConfig& c, const std::vector<BlockMode>& modes, const MergeSchedule& merge)
{
    const double d = static_cast<double>(c.embedDim);
    const double h = static_cast<double>(c.mlpHidden);
    const double patch = static_cast<double>(c.inChans * c.patchSize * c.patchSize);
    auto config = c;
    config.depth = static_cast<int64_t>(modes.size());
    const auto tokens = tokensPerBlock(config, merge);
    double flops = 2.0 * static_cast<double>(c.numPatches()) * patch * d; // patch embedding
    for (size_t i = 0; i < modes.size(); ++i) {
        const auto& m = modes[i];
        const double n = static_cast<double>(tokens[i]), after = static_cast<double>(tokens[i + 1]);
        const bool attention = m.mode == AttnMode::Active || m.mode == AttnMode::Diluting;
        if (attention)
            flops += 2.0 * n * d * 3.0 * d   // qkv
                     + 2.0 * 2.0 * n * n * d // q k^T and attn v over all heads
                     + 2.0 * n * d * d;      // proj
        if (after < n) {                     // the matching product of a merging block
            const double width = attention ? d / static_cast<double>(c.numHeads) : d;
            flops += 2.0 * std::ceil(n / 2.0) * std::floor(n / 2.0) * width;
        }
        if (m.mlp == BranchMode::Active || m.mlp == BranchMode::Diluting)
            flops += 2.0 * 2.0 * after * d * h; // fc1 and fc2
    }
    flops += 2.0 * static_cast<double>(c.headInputDim() + (c.hasDistHead() ? c.embedDim : 0)) *
             static_cast<double>(c.numClasses);
    return flops;
}

RemovalSavings removalSavings(const ModelSummary& s, const std::vector<int64_t>& remove,
                              const std::vector<int64_t>& removeMlp)
{
    std::vector<BlockMode> modes;
    for (const auto& b : s.blocks)
        modes.push_back(b.mode);
    RemovalSavings r;
    r.paramsBefore = s.totalParams;
    r.flopsBefore = analyticFlops(s.config, modes);
    for (const int64_t b : std::set<int64_t>(remove.begin(), remove.end())) {
        if (b < 0 || b >= static_cast<int64_t>(s.blocks.size()))
            throw Error("block " + std::to_string(b),
                        "is outside the model's " + std::to_string(s.blocks.size()) + " blocks");
        r.paramsRemoved += s.blocks[static_cast<size_t>(b)].attentionParams;
        modes[static_cast<size_t>(b)] = withAttention(modes[static_cast<size_t>(b)], BranchMode::Removed, 0.0);
    }
    for (const int64_t b : std::set<int64_t>(removeMlp.begin(), removeMlp.end())) {
        if (b < 0 || b >= static_cast<int64_t>(s.blocks.size()))
            throw Error("MLP of block " + std::to_string(b),
                        "is outside the model's " + std::to_string(s.blocks.size()) + " blocks");
        auto& m = modes[static_cast<size_t>(b)];
        if (m.hasMlp())
            r.paramsRemoved += s.blocks[static_cast<size_t>(b)].mlpParams;
        m = withMlp(m, BranchMode::Removed, 0.0);
    }
    r.flopsAfter = analyticFlops(s.config, modes);
    return r;
}

} // namespace mlpify::core
