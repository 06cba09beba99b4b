// What the what-if reports for one set of attention layers, as plain data (no LibTorch): the
// Slim tab shows it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

struct WhatIfResult {
    std::vector<int64_t> removed; // in index order
    int64_t images = 0;
    double skipTop1 = 0, skipLoss = 0;     // attention taken out by x = x
    double doubleTop1 = 0, doubleLoss = 0; // by x = 2x, what a fold gives
    double transferEntropy = 0;            // TE(S -> head) with the TeOptions' rule and target
    std::string units;
};
void to_json(nlohmann::json& j, const WhatIfResult& r);

} // namespace mlpify::core
