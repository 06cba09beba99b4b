// The field's training-free criteria for which attention layers to remove, beside NOSE (all
// behind core::selectLayers): each from one traced pass over calibration images, or, for the
// greedy loss, from evaluating candidate sets. Definitions and sources: README, "Criteria".
#pragma once

#include "core/analysis/criteria_comparison.h"
#include "core/analysis/selection_result.h"
#include "core/analysis/transfer_entropy.h"
#include "core/data/dataset.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"
#include "core/train/evaluate.h"

#include <functional>
#include <string>
#include <vector>

namespace mlpify::core {

// The blocks that still have attention (every method's candidates), in index order.
std::vector<int64_t> attentionLayers(const ModelBundle& model);
// Error unless 1 <= count <= the attention layers left.
void checkSelectionCount(const ModelBundle& model, int64_t count);

// Per block; NaN where a block has no attention (it is not a candidate).
struct CriterionScores {
    // ShortGPT's Block Influence: 1 - cos(block input, block output), averaged over images and
    // tokens. Low: the block changes its input little.
    std::vector<double> blockInfluence;
    // LLM-Drop's attention-drop score (He et al. 2024): cos(x, x + Attn(LN1 x)) for the block's
    // input x, averaged over images and tokens. High: the attention sublayer changes little.
    std::vector<double> attentionCosine;
    // Gromov et al.'s angular distance, on the attention branch: arccos(cos(x, x + Attn(LN1 x))) / pi
    // of the class token, averaged over images (the representation the head reads, one sublayer
    // apart). Low: the attention moves the class token little.
    std::vector<double> angularDistance;
};

CriterionScores scoreCriteria(ModelBundle& model, const Dataset& calibration, int64_t batchSize,
                              const std::string& device, Progress& progress, const CancelToken* cancel = nullptr);

// method: block-influence (lowest first), attention-cosine (highest first) or angular (lowest
// first); the per-block score is the selection's single candidates row.
SelectionResult selectByCriterion(ModelBundle& model, const Dataset& calibration, const std::string& method,
                                  int64_t count, const std::string& device, Progress& progress,
                                  const CancelToken* cancel = nullptr);

// SLEB-style greedy removal: at each step the attention layer whose skipping (x = x, weights
// kept) together with the layers already chosen gives the lowest calibration loss: cross-entropy
// with the labels, or (kl) the KL divergence from the original model's outputs. The step's
// losses are the candidates rows, the chosen loss each stepValue.
SelectionResult selectGreedyLoss(ModelBundle& model, const Dataset& calibration, int64_t count, bool kl,
                                 const std::string& device, Progress& progress, const CancelToken* cancel = nullptr);

// Training-free: top-1 and loss on data with the attention of `removed` taken out by the rule
// (Skip: x = x; DiluteZero: x = 2x, what a fold gives), the model's states restored after.
EvalResult evaluateWithout(ModelBundle& model, const Dataset& data, const std::vector<int64_t>& removed, SkipRule rule,
                           const EvalOptions& options, Progress& progress, const CancelToken* cancel = nullptr);

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

// How sure a method's choice is: the method run on resamples of the calibration images.
struct SelectionStability {
    int resamples = 0;
    std::vector<double> layerFrequency; // per block: the fraction of resamples whose set holds it
    // Each distinct set (in index order) with the number of resamples that chose it, most often first.
    std::vector<std::pair<std::vector<int64_t>, int>> sets;
};
// resamples[k] lists the calibration images of resample k (indices may repeat). Runs `select`
// (a selectLayers call) on each.
SelectionStability selectionStability(const Dataset& calibration, const std::vector<std::vector<int64_t>>& resamples,
                                      const std::function<SelectionResult(const Dataset&, Progress&)>& select,
                                      int64_t depth, Progress& progress, const CancelToken* cancel = nullptr);
void to_json(nlohmann::json& j, const SelectionStability& s);

// Criteria side by side on the same calibration images (core/analysis/criteria_comparison.h).
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
// What a diluted, folded model gives a comparison (attachDiluted): the blocks it has no attention
// in and its test top-1 from its metadata; Error naming file when it has no test top-1.
struct DilutedResult {
    std::vector<int64_t> removed;
    double top1 = 0;
};
DilutedResult dilutedResultOf(const ModelBundle& model, const std::string& file);

// The methods a comparison runs by default, in the README's order.
std::vector<std::string> comparedMethods();

} // namespace mlpify::core
