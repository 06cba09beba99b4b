#include "core/analysis/calibration.h"

#include "core/data/batch_loader.h"
#include "core/error.h"

#include <algorithm>

namespace mlpify::core {

std::string toString(TokenSet t)
{
    switch (t) {
    case TokenSet::Cls:
        return "cls";
    case TokenSet::All:
        return "all";
    case TokenSet::PatchMean:
        return "patch";
    }
    return "cls";
}

TokenSet tokenSetFromString(const std::string& s)
{
    for (TokenSet t : {TokenSet::Cls, TokenSet::All, TokenSet::PatchMean})
        if (toString(t) == s)
            return t;
    throw Error("token set '" + s + "'", "unknown (use cls, all or patch)");
}

Dataset loadCalibrationSet(const std::string& spec, const ViTConfig& config, const CalibrationOptions& o)
{
    if (o.split != "train" && o.split != "test")
        throw Error("calibration split '" + o.split + "'", "unknown (use train or test)");
    auto full =
        loadDataset(spec, o.split == "train" ? Split::Train : Split::Test, DataOptions().size(config.imageSize));
    checkCompatible(full, config);
    auto subset = full.subset(seededSubset(full.size(), o.images, o.seed));
    subset.spec = full.spec;
    return subset;
}

torch::Tensor selectTokens(const torch::Tensor& tokens, TokenSet set, int64_t prefixTokens)
{
    switch (set) {
    case TokenSet::Cls:
        return tokens.select(1, 0);
    case TokenSet::All:
        return tokens.reshape({-1, tokens.size(2)});
    case TokenSet::PatchMean:
        return tokens.narrow(1, prefixTokens, tokens.size(1) - prefixTokens).mean(1);
    }
    return tokens.select(1, 0);
}

nlohmann::json calibrationJson(const Dataset& d, const CalibrationOptions& o)
{
    return {{"data", d.spec}, {"split", o.split}, {"images", d.size()}, {"seed", o.seed}};
}

} // namespace mlpify::core
