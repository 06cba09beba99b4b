// Everything about a model that is not a weight: versioned metadata stored in every .mlpify file.
#pragma once

#include "core/model/block_mode.h"
#include "core/model/merge_schedule.h"
#include "core/model/vit_config.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlpify::core {

// 2: the file carries a CRC-32 over metadata and weights (1: no checksum, still read).
constexpr int kMetaVersion = 2;

struct Normalization {
    std::vector<double> mean{0.485, 0.456, 0.406}; // ImageNet, as timm/DeiT
    std::vector<double> std{0.229, 0.224, 0.225};
};

struct ModelMeta {
    ViTConfig config;
    std::vector<BlockMode> blocks;
    Normalization normalization;
    std::vector<std::string> classNames;
    nlohmann::json training = nlohmann::json::object(); // how it was made: command, data, schedule
    nlohmann::json metrics = nlohmann::json::object();  // e.g. {"test_top1": 0.9, "data": "fashion-mnist"}
    // The token merging chosen for deployment (the GUI's accuracy-throughput front): eval and
    // bench run with it unless --tome says otherwise; loading leaves the network unmerged, so
    // analyses and training see every token.
    MergeSchedule tome;
    std::string source; // file it was read from, or "preset:NAME"
};

void to_json(nlohmann::json& j, const Normalization& n);
void from_json(const nlohmann::json& j, Normalization& n);
nlohmann::json metaToJson(const ModelMeta& m);
ModelMeta metaFromJson(const nlohmann::json& j, const std::string& file); // throws Error naming file

} // namespace mlpify::core
