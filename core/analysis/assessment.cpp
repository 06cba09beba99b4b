#include "core/analysis/assessment.h"

#include "core/analysis/entropy.h"

namespace mlpify::core {

SelectionAssessment assessSelection(ModelBundle& model, const Dataset& calibration, const std::vector<int64_t>& set,
                                    const LayerSelection& selection, const AssessmentOptions& o, Progress& progress,
                                    const CancelToken* cancel)
{
    SelectionAssessment a;
    if (o.transferEntropy) {
        ProgressSpan span(progress, 0.0, 0.3);
        a.transferEntropy = estimateTransferEntropy(model, calibration, set, o.te, span, cancel);
    }
    if (o.test) {
        ProgressSpan span(progress, 0.3, 0.5);
        a.trainingFree = trainingFreeTop1(model, *o.test, set, o.eval, span, cancel);
    }
    if (o.stability > 0) {
        ProgressSpan span(progress, 0.5, 1.0);
        a.stability = selectionStability(
            calibration, bootstrapResamples(calibration.size(), o.stability, o.stabilitySeed),
            [&](const Dataset& resample, Progress& p) { return selectLayers(model, &resample, selection, p, cancel); },
            model.meta.config.depth, span, cancel);
        a.chosenSetShare = chosenSetShare(*a.stability, set);
    }
    return a;
}

} // namespace mlpify::core
