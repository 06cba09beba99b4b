// Transfer entropy of a set of attention layers to the head (method.md section 3):
// TE(S -> G) = H(G | full model) - H(G | attention of S skipped), and the two heatmap matrices.
// A set may also hold MLP units (resources/docs/units.md): unit b < depth is block b's attention,
// unit depth + b its MLP (skipped by the same rule: y = x, or y = 2x with DiluteZero); a whole
// block is both (with TeOptions::units). Sets of attention layers alone mean what they always have.
#pragma once

#include "core/analysis/calibration.h"
#include "core/analysis/entropy.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

namespace mlpify::core {

// The unit code of block b's MLP in a model of `depth` blocks (its attention's is b).
inline int64_t mlpUnit(int64_t block, int64_t depth)
{
    return depth + block;
}

enum class SkipRule {
    Skip,       // z = x + MLP(LN2 x): attention removed, no compensation (default, the author's rule)
    DiluteZero, // lambda = 0 with the factor 2: z = 2x + MLP(LN2 2x)
};

enum class TeTarget {
    Logits,  // the head's logits (default; log2, ddof 1: "bits")
    Feature, // the final CLS feature after the last LayerNorm
};

struct TeOptions {
    TeTarget target = TeTarget::Logits;
    EntropyOptions entropy = EntropyOptions::bits();
    SkipRule rule = SkipRule::Skip;
    bool absolute = false;   // rank by |TE| instead of the signed value
    bool reusePrefix = true; // false: the naive reference (every set forwarded from the input, all outputs kept)
    bool speculate = true;   // NOSE: evaluate a path guessed on a subset in one pass, checked (exact either way)
    int64_t guessImages = 0; // the subset that guesses the path; 0: N/8, at least 2 batches, at most 512
    std::vector<int64_t>
        guessPath;          // NOSE: a first guess to check (e.g. an earlier run's path), instead of the subset's
    int64_t batchSize = 64; // images per forward; on a CPU the batches run one per thread
    std::string device = "auto";
    // Confidence: every set's entropy also on this many bootstrap resamples of the calibration
    // images (seeded), from the same pass (weighted moments); 0: none.
    int bootstrap = 0;
    uint64_t bootstrapSeed = 0;
    // Sets may hold MLP units (depth + b, below); off, every member must be an attention layer.
    bool units = false;
};

// The percentile interval a bootstrap gives (2.5% and 97.5% of the resampled values).
constexpr double kIntervalLevel = 0.95;
// The resamples the window and `criteria` take for an interval unless told otherwise.
constexpr int kDefaultIntervalResamples = 100;
struct Interval {
    double low = 0, high = 0;
};
Interval percentileInterval(const std::vector<double>& resampled);

std::string toString(SkipRule r);
std::string toString(TeTarget t);
nlohmann::json teSettingsJson(const TeOptions& o);

// How a list of sets is evaluated with prefix reuse: the input of block j under a set depends
// only on the set's part below j, so each set starts from the deepest such "stream state" an
// earlier set computed, and a state is kept only from the task that computes it to the last one
// starting from it. The plan depends on the sets alone (not on the data), so it is made once.
struct StreamPlan {
    struct Task {
        size_t set = 0;
        int64_t start = 0;                          // first block this set runs
        int startState = 0;                         // the state entering block `start`
        std::vector<std::pair<int64_t, int>> store; // (block j, state id): keep the input of block j
        std::vector<int> release;                   // states no later task needs
    };
    std::vector<Task> tasks; // one per set, in order
    int states = 0;          // state ids used
    int peakStates = 1;      // most states held at once (memory = this x one batch's tokens)
    int64_t blockPasses = 0; // blocks run in all (a set from the input runs depth blocks)
};
StreamPlan planStreams(const std::vector<std::vector<int64_t>>& sets, int64_t depth);

// Evaluates H(G | S skipped) for many sets S in one pass over the calibration images. With
// reusePrefix, the stream with the sets' common part skipped is computed once per chunk and
// every set starts at its first block beyond it; memory holds one chunk, whatever the number
// of images.
class HeadEntropyEvaluator {
public:
    HeadEntropyEvaluator(ModelBundle& model, const Dataset& calibration, TeOptions options);

    double fullEntropy(Progress& progress, const CancelToken* cancel = nullptr);
    std::vector<double> entropies(const std::vector<std::vector<int64_t>>& sets, Progress& progress,
                                  const CancelToken* cancel = nullptr);
    // With options.bootstrap (or resamples set here): per set of the last entropies() call, its
    // entropy on each resample; and the full model's.
    void setResamples(const std::vector<std::vector<int64_t>>& resamples);
    int resamples() const { return m_counts.defined() ? static_cast<int>(m_counts.size(0)) : 0; }
    const std::vector<std::vector<double>>& resampledEntropies() const { return m_resampled; }
    const std::vector<double>& resampledFullEntropy(Progress& progress, const CancelToken* cancel = nullptr);
    // Of the last call, with resamples: the 95% interval of entropy(set a) - entropy(set b), the
    // difference taken resample by resample (a = the empty set gives set b's TE).
    Interval intervalOfDifference(size_t a, size_t b) const;
    // TE of the last call's set k on each resample: full - set, resample by resample.
    std::vector<double> resampledTransferEntropy(size_t k, Progress& progress, const CancelToken* cancel = nullptr);
    int64_t passes() const { return m_passes; }           // set evaluations so far (1 per set, 1 for the full model)
    int64_t blockPasses() const { return m_blockPasses; } // blocks run per image so far

private:
    std::vector<BlockMode> modesFor(const std::vector<int64_t>& set) const;
    torch::Tensor target(const torch::Tensor& blockOut);

    ModelBundle& m_model;
    const Dataset& m_data;
    TeOptions m_opt;
    std::optional<double> m_full;
    torch::Tensor m_counts; // [B, images]: the resamples' counts, when bootstrapping
    std::vector<std::vector<double>> m_resampled;
    std::vector<double> m_fullResampled;
    int64_t m_passes = 0;
    int64_t m_blockPasses = 0;
};

// Signed TE for one set.
double transferEntropy(ModelBundle& model, const Dataset& calibration, const std::vector<int64_t>& set,
                       const TeOptions& options, Progress& progress, const CancelToken* cancel = nullptr);

// The same, with its 95% interval when options.bootstrap > 0 (the same pass, weighted moments).
struct TeEstimate {
    double value = 0;
    std::optional<Interval> interval;
    int resamples = 0;
};
TeEstimate estimateTransferEntropy(ModelBundle& model, const Dataset& calibration, const std::vector<int64_t>& set,
                                   const TeOptions& options, Progress& progress, const CancelToken* cancel = nullptr);

// Row i = attention i skipped alone; column j < depth = block j's output (tokens as given),
// column depth = the head; value H(F_j | full) - H(F_j | i skipped); NaN where j < i.
struct LayerMap {
    std::vector<std::vector<double>> values;
    std::string units;
    nlohmann::json settings;
};
LayerMap layerToLayerMap(ModelBundle& model, const Dataset& calibration, const TeOptions& options, TokenSet tokens,
                         Progress& progress, const CancelToken* cancel = nullptr);
void to_json(nlohmann::json& j, const LayerMap& m);
void from_json(const nlohmann::json& j, LayerMap& m); // null cells read as NaN

} // namespace mlpify::core
