// Transfer entropy of a set of attention layers to the head (method.md section 3):
// TE(S -> G) = H(G | full model) - H(G | attention of S skipped), and the two heatmap matrices.
#pragma once

#include "core/analysis/calibration.h"
#include "core/analysis/entropy.h"
#include "core/io/model_io.h"
#include "core/progress.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace mlpify::core {

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
    EntropyOptions entropy = EntropyOptions().base(2.0).dof(1);
    SkipRule rule = SkipRule::Skip;
    bool absolute = false;   // rank by |TE| instead of the signed value
    bool reusePrefix = true; // false: the naive reference (every set forwarded from the input, all outputs kept)
    int64_t batchSize = 64;  // images per forward; on a CPU the batches run one per thread
    std::string device = "auto";
};

std::string toString(SkipRule r);
std::string toString(TeTarget t);
nlohmann::json teSettingsJson(const TeOptions& o);

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
    int64_t passes() const { return m_passes; } // set evaluations so far (1 per set, 1 for the full model)

private:
    std::vector<BlockMode> modesFor(const std::vector<int64_t>& set) const;
    torch::Tensor target(const torch::Tensor& blockOut);

    ModelBundle& m_model;
    const Dataset& m_data;
    TeOptions m_opt;
    std::optional<double> m_full;
    int64_t m_passes = 0;
};

// Signed TE for one set.
double transferEntropy(ModelBundle& model, const Dataset& calibration, const std::vector<int64_t>& set,
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

} // namespace mlpify::core
