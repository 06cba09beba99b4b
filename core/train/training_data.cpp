#include "core/train/training_data.h"

#include "core/data/batch_loader.h"
#include "core/model/adapt.h"

namespace mlpify::core {

TrainingData prepareTrainingData(ModelBundle& model, const DataFit& fit, Progress& progress)
{
    if (!fit.resume && fit.inputSize > 0 && fit.inputSize != model.meta.config.imageSize) {
        const auto before = model.meta.config.imageSize;
        setInputSize(model, fit.inputSize);
        progress.notice("input size " + std::to_string(before) + " -> " + std::to_string(fit.inputSize) +
                        ": position embedding resampled bicubically over the patch grid");
    }
    const auto size = DataOptions().size(model.meta.config.imageSize);
    TrainingData d{loadDataset(fit.data, Split::Train, size), loadDataset(fit.data, Split::Test, size)};
    checkCompatible(d.train, model.meta.config);
    if (const auto resize = inputResize(d.train, model.meta.config); !resize.empty())
        progress.notice("data: " + fit.data + ", " + resize);
    if (!fit.resume && !fit.newHead)
        checkClasses(d.train, model.meta.config);
    return d;
}

void fitHead(ModelBundle& model, const DataFit& fit, const Dataset& train, Progress& progress)
{
    if (fit.resume)
        return;
    if (fit.newHead) {
        const auto before = model.meta.config.numClasses;
        replaceHead(model, classCount(train), train.classNames);
        progress.notice("new head: " + std::to_string(model.meta.config.numClasses) + " classes (was " +
                        std::to_string(before) + ")" + (model.meta.config.hasDistHead() ? ", both heads" : ""));
    }
    model.meta.classNames = train.classNames;
}

} // namespace mlpify::core
