#include "core/analysis/candidates.h"

#include "core/error.h"

namespace mlpify::core {

std::vector<int64_t> attentionLayers(const ModelBundle& model)
{
    std::vector<int64_t> out;
    const auto modes = model.net->blockModes();
    for (size_t i = 0; i < modes.size(); ++i)
        if (modes[i].hasAttention())
            out.push_back(static_cast<int64_t>(i));
    return out;
}

void checkSelectionCount(const ModelBundle& model, int64_t count)
{
    const auto n = static_cast<int64_t>(attentionLayers(model).size());
    if (count < 1 || count > n)
        throw Error("selection", "cannot choose " + std::to_string(count) + " of the " + std::to_string(n) +
                                     " attention layers left");
}

std::vector<int64_t> selectionCandidates(const ModelBundle& model, int64_t count)
{
    checkSelectionCount(model, count);
    return attentionLayers(model);
}

} // namespace mlpify::core
