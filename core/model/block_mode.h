// What a block's two branches do: the states of method.md sections 3 and 4, for the attention
// branch and, by the same rules, for the MLP branch (resources/docs/units.md).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

// One residual branch f (attention: f = Attn(LN1 x); MLP: f = MLP(LN2 x)).
enum class BranchMode {
    Active,   // x = x + f(x)
    Diluting, // x = (2 - lambda) x + lambda f(x)
    Removed,  // x = 2x: the branch and its parameters are gone (the fold of lambda = 0)
    Skipped,  // x = x: analysis only (transfer entropy, criteria), weights kept, no compensation
};
using AttnMode = BranchMode;

struct BlockMode {
    BranchMode mode = BranchMode::Active; // the attention branch
    double lambda = 1.0;                  // meaningful for Diluting only
    BranchMode mlp = BranchMode::Active;  // the MLP branch
    double mlpLambda = 1.0;               // meaningful for mlp == Diluting only

    bool hasAttention() const { return mode != BranchMode::Removed; }
    bool hasMlp() const { return mlp != BranchMode::Removed; }
    // Both branches removed: the block is x = 4x, the identity up to a scale.
    bool gone() const { return !hasAttention() && !hasMlp(); }
    bool operator==(const BlockMode& o) const
    {
        return mode == o.mode && (mode != BranchMode::Diluting || lambda == o.lambda) && mlp == o.mlp &&
               (mlp != BranchMode::Diluting || mlpLambda == o.mlpLambda);
    }
    bool operator!=(const BlockMode& o) const { return !(*this == o); }
};

// The block's attention state with its MLP branch as it is (the attention-only analyses).
BlockMode withAttention(BlockMode block, BranchMode mode, double lambda = 1.0);
// The block's MLP state with its attention branch as it is.
BlockMode withMlp(BlockMode block, BranchMode mode, double lambda = 1.0);

std::string toString(BranchMode mode);
// What the block is, in one word: full, mlp-only, attention-only, gone, or with a diluting or
// skipped branch its branches' states ("attention diluting 0.40, mlp active").
std::string describe(const BlockMode& block);
// Block indices as a list: "2,6" (or with another separator), as --remove takes them.
std::string blockList(const std::vector<int64_t>& blocks, const std::string& separator = ",");
BranchMode attnModeFromString(const std::string& s); // throws Error on an unknown name

// {"attention": state, "lambda": l} and, only where the MLP branch is not active, "mlp" and
// "mlp_lambda": files written before MLP states existed read unchanged.
void to_json(nlohmann::json& j, const BlockMode& m);
void from_json(const nlohmann::json& j, BlockMode& m);

} // namespace mlpify::core
