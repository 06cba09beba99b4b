// One image's attention map as plain data (no LibTorch): shared by the CLI, the Attention tab, the
// figures and the tests.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

// A model's token sequence: special tokens first ("class token", "distillation token",
// "register 1" ...),
// then grid x grid patches of patchSize pixels, row-major.
struct TokenLayout {
    std::vector<std::string> special;
    int64_t grid = 0;
    int64_t patchSize = 0;

    int64_t prefix() const { return static_cast<int64_t>(special.size()); }
    int64_t tokens() const { return prefix() + grid * grid; }
    int64_t patchToken(int64_t row, int64_t col) const { return prefix() + row * grid + col; }
    // The token's name: a special token's, else "patch (row, col)".
    std::string tokenName(int64_t token) const;
};

struct AttentionMap {
    std::string model;
    int64_t block = 0;
    int64_t head = -1; // -1: the mean over heads
    bool rollout = false;
    std::string fusion = "mean"; // rollout's head fusion
    int64_t query = 0;           // the token whose attention this is
    std::string queryName;
    TokenLayout layout;
    std::vector<double> special; // attention to each special token, in layout order
    std::vector<double> patches; // attention to each patch, grid x grid row-major
    double patchShare() const;   // the sum over the patches (1 - the special tokens' share)
};

void to_json(nlohmann::json& j, const TokenLayout& l);
void from_json(const nlohmann::json& j, TokenLayout& l);
void to_json(nlohmann::json& j, const AttentionMap& m);
void from_json(const nlohmann::json& j, AttentionMap& m);

// "block 3, mean over heads: attention of the class token" (or "rollout to block 3 (heads
// fused by mean): attention of ...").
std::string attentionMapTitle(const AttentionMap& m);

// "row,col,token,attention" lines: the patches, then each special token with empty row and col.
std::string attentionMapCsv(const AttentionMap& m);

} // namespace mlpify::core
