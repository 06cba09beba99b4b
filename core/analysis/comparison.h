// Criteria side by side on the same calibration images (the data: criteria_comparison.h): every
// method's set, timed, each assessed the same way (assessment.h), every set's transfer entropy in
// one pass.
#pragma once

#include "core/analysis/criteria_comparison.h"
#include "core/analysis/transfer_entropy.h"
#include "core/analysis/unit_selection.h"
#include "core/data/dataset.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"
#include "core/train/evaluate.h"

#include <string>
#include <vector>

namespace mlpify::core {

struct ComparisonOptions {
    std::vector<std::string> methods; // of selectionMethods(); empty: every method but exhaustive
    int64_t count = 0;                // layers each removes
    uint64_t randomSeed = 0;          // for random
    TeOptions te;                     // the yardstick TE; te.bootstrap resamples give its interval
    int stability = 0;                // resamples each method is run again on (0: none)
    uint64_t stabilitySeed = 0;
    EvalOptions eval; // the training-free top-1 on the test split
};
// Every criterion's set, timed; its TE with interval, training-free top-1 by x = x and x = 2x on
// test, and (with stability > 0) its selection stability. Dilution numbers are attached by the
// caller (attachDiluted), from models that exist.
CriteriaComparison compareCriteria(ModelBundle& model, const Dataset& calibration, const Dataset& test,
                                   const ComparisonOptions& options, Progress& progress,
                                   const CancelToken* cancel = nullptr);
// Pools side by side at one budget (resources/docs/units.md): each pool's set by each method
// (default NOSE) under the same parameter, FLOP or count budget, each assessed alike: its TE to the
// head with interval (every set in one pass), training-free top-1 by x = x and x = 2x on test, and
// what it takes out. A pool whose cheapest unit is above the budget gets a row with a note and no
// set. Error on a model that merges tokens or a budget that is not exactly one of the three.
struct PoolComparisonOptions {
    std::vector<UnitPool> pools;     // empty: attention, mlp, block, mixed
    std::vector<UnitMethod> methods; // empty: nose
    UnitBudget budget;
    TeOptions te; // the selections' and the yardstick's; te.bootstrap resamples give the interval
    EvalOptions eval;
};
CriteriaComparison comparePools(ModelBundle& model, const Dataset& calibration, const Dataset& test,
                                const PoolComparisonOptions& options, Progress& progress,
                                const CancelToken* cancel = nullptr);
// What a diluted, folded model gives a comparison (attachDiluted): the blocks it has no attention
// in and its test top-1 from its metadata; Error naming file when it has no test top-1.
struct DilutedResult {
    std::vector<int64_t> removed;      // blocks without attention
    std::vector<int64_t> removedUnits; // every removed branch as a unit code (a comparison of pools)
    double top1 = 0;
};
DilutedResult dilutedResultOf(const ModelBundle& model, const std::string& file);

} // namespace mlpify::core
