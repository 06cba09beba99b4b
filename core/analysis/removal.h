// Training-free removal: a model's accuracy with chosen attention layers taken out (x = x, or
// x = 2x as a fold gives) and no training, for one set or a method's whole order.
#pragma once

#include "core/analysis/transfer_entropy.h"
#include "core/data/dataset.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"
#include "core/train/evaluate.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace mlpify::core {

// Training-free: top-1 and loss on data with the attention of `removed` taken out by the rule
// (Skip: x = x; DiluteZero: x = 2x, what a fold gives), the model's states restored after.
// With units, `removed` may hold MLP units as well (transfer_entropy.h's codes: depth + b), taken
// out by the same rules.
EvalResult evaluateWithout(ModelBundle& model, const Dataset& data, const std::vector<int64_t>& removed, SkipRule rule,
                           const EvalOptions& options, Progress& progress, const CancelToken* cancel = nullptr,
                           bool units = false);

// Both rules on the same set: what the set's removal costs before any training.
struct TrainingFreeTop1 {
    EvalResult skip;  // x = x
    EvalResult twice; // x = 2x
};
// Core::Cancelled when cancelled.
TrainingFreeTop1 trainingFreeTop1(ModelBundle& model, const Dataset& data, const std::vector<int64_t>& removed,
                                  const EvalOptions& options, Progress& progress, const CancelToken* cancel = nullptr,
                                  bool units = false);
nlohmann::json trainingFreeJson(const TrainingFreeTop1& t); // {images, skip: {top1, loss}, double: {...}}

struct RemovalCurvePoint {
    std::vector<int64_t> removed; // the first k layers of the method's order
    double skipTop1 = 0, doubleTop1 = 0;
    double skipLoss = 0, doubleLoss = 0;
};
// Training-free top-1 and loss under both rules for k = 1..order.size(): where a criterion's
// cliff is.
std::vector<RemovalCurvePoint> removalCurve(ModelBundle& model, const Dataset& data, const std::vector<int64_t>& order,
                                            const EvalOptions& options, Progress& progress,
                                            const CancelToken* cancel = nullptr);
void to_json(nlohmann::json& j, const RemovalCurvePoint& p);

} // namespace mlpify::core
