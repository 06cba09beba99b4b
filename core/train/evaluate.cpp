#include "core/train/evaluate.h"

#include "core/data/batch_loader.h"
#include "core/device.h"
#include "core/error.h"
#include "core/model/adapt.h"
#include "core/model/inference.h"

namespace mlpify::core {

EvalResult evaluate(ModelBundle& model, const Dataset& fullData, const EvalOptions& options, Progress& progress,
                    const CancelToken* cancel)
{
    checkCompatible(fullData, model.meta.config);
    requireClassifier(model.meta.config, "evaluation");
    Dataset limited;
    const Dataset* data = &fullData;
    if (options.limit > 0 && options.limit < fullData.size()) {
        std::vector<int64_t> first(static_cast<size_t>(options.limit));
        std::iota(first.begin(), first.end(), 0);
        limited = fullData.subset(first);
        data = &limited;
    }
    const auto device = resolveDevice(options.device);
    model.net->to(device);
    const bool wasTraining = model.net->is_training();
    model.net->eval();
    torch::NoGradGuard noGrad;

    EvalResult r;
    r.evaluatedAt = model.net->blockModes();
    std::vector<torch::Tensor> logits;
    LoaderOptions lo{options.batchSize};
    lo.imageSize = model.meta.config.imageSize;
    BatchLoader loader(*data, model.meta.normalization, lo);
    double lossSum = 0;
    while (auto batch = loader.next()) {
        if (cancel && cancel->cancelled()) {
            r.cancelled = true;
            break;
        }
        auto out =
            inferLogits(model.net, batch->images.to(device, model.net->dtype()), options.parallelism).to(torch::kCPU);
        lossSum += torch::nn::functional::cross_entropy(
                       out, batch->labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                       .item<double>();
        r.correct += out.argmax(1).eq(batch->labels).sum().item<int64_t>();
        r.count += batch->labels.size(0);
        if (options.keepLogits)
            logits.push_back(out);
        progress.report(static_cast<double>(batch->index + 1) / loader.numBatches(),
                        "evaluating " + std::to_string(r.count) + "/" + std::to_string(data->size()));
    }
    r.loss = r.count ? lossSum / static_cast<double>(r.count) : 0.0;
    if (options.keepLogits && !logits.empty()) {
        r.logits = torch::cat(logits);
        r.labels = data->labels.narrow(0, 0, r.count);
    }
    model.net->train(wasTraining);
    return r;
}

} // namespace mlpify::core
