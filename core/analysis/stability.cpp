#include "core/analysis/stability.h"

#include "core/error.h"

#include <algorithm>
#include <limits>
#include <map>

namespace mlpify::core {

SelectionStability selectionStability(const Dataset& calibration, const std::vector<std::vector<int64_t>>& resamples,
                                      const std::function<SelectionResult(const Dataset&, Progress&)>& select,
                                      int64_t depth, Progress& progress, const CancelToken* cancel)
{
    SelectionStability out;
    out.resamples = static_cast<int>(resamples.size());
    out.layerFrequency.assign(static_cast<size_t>(depth), 0.0);
    std::map<std::vector<int64_t>, int> counts;
    for (size_t k = 0; k < resamples.size(); ++k) {
        if (cancel && cancel->cancelled())
            throw Cancelled("bootstrap");
        const double n = static_cast<double>(resamples.size());
        ProgressSpan span(progress, static_cast<double>(k) / n, static_cast<double>(k + 1) / n);
        auto set = select(calibration.subset(resamples[k]), span).selected;
        std::sort(set.begin(), set.end());
        for (auto b : set)
            out.layerFrequency[static_cast<size_t>(b)] += 1.0 / n;
        ++counts[set];
    }
    for (const auto& [set, count] : counts)
        out.sets.emplace_back(set, count);
    std::stable_sort(out.sets.begin(), out.sets.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    return out;
}

void to_json(nlohmann::json& j, const SelectionStability& s)
{
    auto sets = nlohmann::json::array();
    for (const auto& [set, count] : s.sets)
        sets.push_back({{"set", set}, {"count", count}});
    j = {{"resamples", s.resamples}, {"layer_frequency", s.layerFrequency}, {"sets", sets}};
}

double chosenSetShare(const SelectionStability& s, std::vector<int64_t> set)
{
    if (s.resamples == 0)
        return std::numeric_limits<double>::quiet_NaN();
    std::sort(set.begin(), set.end());
    for (const auto& [seen, times] : s.sets)
        if (seen == set)
            return static_cast<double>(times) / s.resamples;
    return 0.0;
}

} // namespace mlpify::core
