// NOSE over removable units of every kind (resources/docs/units.md): attention sublayers, MLP
// sublayers and whole blocks, from one candidate pool, under a budget by count, parameters or
// FLOPs. Transfer entropy of a set of units to the head is method.md section 3's estimator with
// each unit skipped by its rule; the greedy step is NOSE's (argmin of the signed value, or of
// |TE|, ties to the earlier candidate).
#pragma once

#include "core/analysis/transfer_entropy.h"
#include "core/analysis/unit_names.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

enum class UnitPool {
    Attention, // attention sublayers (the paper's candidates; the default)
    Mlp,       // MLP sublayers
    Block,     // whole blocks (what is left of each)
    Mixed,     // attention and MLP sublayers together; a block goes when both of its are chosen
};
std::string toString(UnitPool pool);
UnitPool unitPoolFromString(const std::string& name); // Error naming the pool when unknown

// How units are ranked (unit_criteria.h for the field's criteria); every method takes the lowest
// value first, greedily, under the same budget.
enum class UnitMethod {
    Nose,       // transfer entropy of the set to the head (re-evaluated each step)
    Influence,  // 1 - cos across the unit: block influence for blocks, LLM-Drop's cosine for sublayers
    Angular,    // the class token's angular distance across the unit
    GreedyLoss, // calibration cross-entropy with the set skipped (re-evaluated each step)
    GreedyKl,   // KL from the model's own outputs with the set skipped (re-evaluated each step)
};
std::string toString(UnitMethod method);
UnitMethod unitMethodFromString(const std::string& name); // Error naming the method when unknown

enum class UnitKind { Attention, Mlp, Block };

struct Unit {
    UnitKind kind = UnitKind::Attention;
    int64_t block = 0;
    std::vector<int64_t> codes; // its members as transfer_entropy.h's unit codes
    int64_t params = 0;         // parameters its removal takes out
    double flops = 0;           // forward FLOPs per image its removal saves (bench/flops.h)
    std::string name() const;   // "attention 3", "MLP 3", "block 3"
};

// What a selection may take: exactly one of a number of units, a parameter budget or a FLOP budget
// (per image). A budget is never exceeded: the greedy search stops when no candidate left fits.
struct UnitBudget {
    int64_t count = 0;
    int64_t params = 0;
    double flops = 0;
    std::string describe() const; // "3 units", "at most 1200 parameters", "at most 2.5e6 FLOPs"
};

// The pool's candidates on the model as it is, in block order (attention before MLP in a block).
// Error naming the pool when the model has none (an MLP pool on a model whose MLPs are all gone).
std::vector<Unit> unitCandidates(const ModelBundle& model, UnitPool pool);

struct UnitSelection {
    UnitPool pool = UnitPool::Attention;
    UnitMethod method = UnitMethod::Nose;
    UnitBudget budget;
    std::vector<Unit> candidates;
    std::vector<size_t> chosen; // indices into candidates, in greedy order
    // Per step, every candidate's value by the method (TE in the entropy's units, a criterion, or a
    // loss in nats; NaN: taken or over budget), and the chosen candidate's value at each step.
    std::vector<std::vector<double>> values;
    std::vector<double> stepValues;
    double headEntropyFull = 0; // NOSE only
    int64_t paramsRemoved = 0;
    double flopsRemoved = 0;
    int64_t passes = 0;
    nlohmann::json settings;
};

// Greedy NOSE over the pool. The attention pool with a count gives selectNose's set and values
// exactly (it runs selectNose). Error on a budget below the cheapest candidate, a count of 0 or
// more than the pool holds, more than one budget, or a model that merges tokens.
UnitSelection selectUnits(ModelBundle& model, const Dataset& calibration, UnitPool pool, const UnitBudget& budget,
                          const TeOptions& options, Progress& progress, const CancelToken* cancel = nullptr);
// The same pool and budget ranked by another method; options give the batch size and device (and,
// for NOSE, everything else).
UnitSelection selectUnits(ModelBundle& model, const Dataset& calibration, UnitPool pool, UnitMethod method,
                          const UnitBudget& budget, const TeOptions& options, Progress& progress,
                          const CancelToken* cancel = nullptr);

// The block states with the chosen units taken out by rule (Removed: x = 2x for each branch, as
// folded; Skipped: x = x, the scoring rule).
std::vector<BlockMode> modesWithout(const ModelBundle& model, const std::vector<Unit>& units, BranchMode rule);
std::vector<BlockMode> removedModes(const ModelBundle& model, const std::vector<Unit>& units);

void to_json(nlohmann::json& j, const UnitSelection& s);

} // namespace mlpify::core
