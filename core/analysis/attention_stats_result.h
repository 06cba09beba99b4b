// Per-model attention statistics as plain data (no LibTorch): mean attention distance and
// attention entropy per head of every block with attention.
#pragma once

#include "core/analysis/attention_map_result.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

// Per head: the mean over images, and the spread (standard deviation over images, ddof 1).
struct HeadStatistic {
    std::vector<double> mean;
    std::vector<double> spread;
};

struct BlockAttentionStats {
    int64_t block = 0;
    std::string state;                               // "active" or "diluting" (block_mode.h)
    HeadStatistic distance;                          // pixels
    HeadStatistic entropy;                           // nats
    HeadStatistic specialShare;                      // attention the patch queries give the special tokens
    double meanDistance = 0.0, distanceSpread = 0.0; // over heads; spread over images of the head mean
    double meanEntropy = 0.0, entropySpread = 0.0;
};

struct AttentionStatistics {
    std::string model;
    int64_t images = 0;
    TokenLayout layout;
    double maxEntropy = 0.0;                 // ln(tokens): a row that attends uniformly to every token
    double uniformDistance = 0.0;            // pixels: a head that attends uniformly to every patch
    std::vector<BlockAttentionStats> blocks; // the blocks that have attention, ascending
    std::vector<int64_t> removedBlocks;      // MLP-only blocks (no attention to measure)
    nlohmann::json settings;

    const BlockAttentionStats* find(int64_t block) const;
};

void to_json(nlohmann::json& j, const AttentionStatistics& s);
void from_json(const nlohmann::json& j, AttentionStatistics& s);

// One table of models side by side: "model,block,head,distance_px,distance_spread,entropy_nats,
// entropy_spread,special_share", a line per head, then each block's mean over heads (head "mean").
std::string attentionStatisticsCsv(const std::vector<AttentionStatistics>& models);

} // namespace mlpify::core
