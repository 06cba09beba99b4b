// A torch-free description of a loaded model, shared by `mlpify info` and the GUI's summary.
#pragma once

#include "core/model/model_meta.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mlpify::core {

struct ModelBundle;

struct BlockSummary {
    int64_t index = 0;
    BlockMode mode;
    int64_t attentionParams = 0; // norm1 + attn (0 when removed)
    int64_t mlpParams = 0;       // norm2 + mlp
};

struct ModelSummary {
    std::string name;
    std::string source;
    ViTConfig config;
    int64_t totalParams = 0;
    std::vector<BlockSummary> blocks;
    std::optional<double> testTop1;
    std::string metricsData; // which data the accuracy is on
    nlohmann::json training;
};

ModelSummary summarize(const ModelBundle& model);
nlohmann::json summaryToJson(const ModelSummary& s);
std::string summaryToText(const ModelSummary& s);

} // namespace mlpify::core
