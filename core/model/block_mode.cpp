#include "core/model/block_mode.h"

#include "core/error.h"

#include <cstdio>

namespace mlpify::core {

std::string blockList(const std::vector<int64_t>& blocks, const std::string& separator)
{
    std::string list;
    for (auto b : blocks)
        list += (list.empty() ? "" : separator) + std::to_string(b);
    return list;
}

BlockMode withAttention(BlockMode block, BranchMode mode, double lambda)
{
    block.mode = mode;
    block.lambda = lambda;
    return block;
}

BlockMode withMlp(BlockMode block, BranchMode mode, double lambda)
{
    block.mlp = mode;
    block.mlpLambda = lambda;
    return block;
}

std::string toString(BranchMode mode)
{
    switch (mode) {
    case BranchMode::Active:
        return "active";
    case BranchMode::Diluting:
        return "diluting";
    case BranchMode::Removed:
        return "removed";
    case BranchMode::Skipped:
        return "skipped";
    }
    return "active";
}

std::string describe(const BlockMode& block)
{
    const bool attnPlain = block.mode == BranchMode::Active || block.mode == BranchMode::Removed;
    const bool mlpPlain = block.mlp == BranchMode::Active || block.mlp == BranchMode::Removed;
    if (attnPlain && mlpPlain)
        return block.gone() ? "gone" : !block.hasAttention() ? "mlp-only" : !block.hasMlp() ? "attention-only" : "full";
    auto branch = [](BranchMode m, double lambda) {
        std::string s = toString(m);
        if (m == BranchMode::Diluting) {
            char buf[32];
            std::snprintf(buf, sizeof buf, " %.2f", lambda);
            s += buf;
        }
        return s;
    };
    return "attention " + branch(block.mode, block.lambda) + ", mlp " + branch(block.mlp, block.mlpLambda);
}

BranchMode attnModeFromString(const std::string& s)
{
    for (BranchMode m : {BranchMode::Active, BranchMode::Diluting, BranchMode::Removed, BranchMode::Skipped})
        if (toString(m) == s)
            return m;
    throw Error("unknown block state '" + s + "' (expected active, diluting, removed or skipped)");
}

void to_json(nlohmann::json& j, const BlockMode& m)
{
    j = {{"attention", toString(m.mode)}};
    if (m.mode == BranchMode::Diluting)
        j["lambda"] = m.lambda;
    if (m.mlp != BranchMode::Active)
        j["mlp"] = toString(m.mlp);
    if (m.mlp == BranchMode::Diluting)
        j["mlp_lambda"] = m.mlpLambda;
}

void from_json(const nlohmann::json& j, BlockMode& m)
{
    try {
        m.mode = attnModeFromString(j.at("attention").get<std::string>());
        m.mlp = attnModeFromString(j.value("mlp", std::string("active")));
    } catch (const Error& e) { // a JSON problem, which every reader reports with its file's name
        throw nlohmann::json::other_error::create(501, e.reason(), &j);
    }
    auto defaultLambda = [](BranchMode mode) { return mode == BranchMode::Removed ? 0.0 : 1.0; };
    m.lambda = j.value("lambda", defaultLambda(m.mode));
    m.mlpLambda = j.value("mlp_lambda", defaultLambda(m.mlp));
}

} // namespace mlpify::core
