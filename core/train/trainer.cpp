#include "core/train/trainer.h"

#include "core/json_file.h"
#include "core/train/distributed.h"

#include "core/data/batch_loader.h"
#include "core/device.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/model/adapt.h"
#include "core/torch_compat.h"
#include "core/train/evaluate.h"
#include "core/train/parallel_step.h"
#include "core/train/train_state.h"

#include <chrono>
#include <cmath>
#include <filesystem>

namespace mlpify::core {

namespace {

using Clock = std::chrono::steady_clock;

nlohmann::json historyJson(const std::vector<EpochStats>& h)
{
    auto out = nlohmann::json::array();
    for (const auto& e : h)
        out.push_back({{"epoch", e.epoch},
                       {"train_loss", e.trainLoss},
                       {"train_top1", e.trainTop1},
                       {"test_top1", e.testTop1},
                       {"lr", e.lr},
                       {"seconds", e.seconds}});
    return out;
}

std::vector<EpochStats> historyFromJson(const nlohmann::json& j, const std::string& file)
{
    std::vector<EpochStats> h;
    try {
        for (const auto& e : j)
            h.push_back({jsonInteger(e.at("epoch")), e.at("train_loss").get<double>(), e.at("train_top1").get<double>(),
                         e.at("test_top1").get<double>(), e.at("lr").get<double>(), e.at("seconds").get<double>()});
    } catch (const nlohmann::json::exception& e) {
        throw Error(file, std::string("malformed training history in the metadata: ") + e.what());
    }
    return h;
}

void saveCheckpoint(ModelBundle& model, torch::optim::AdamW& opt, const TrainState& s, const TrainOptions& o)
{
    if (o.checkpoint.empty() || (o.comm && o.comm->rank() != 0)) // one writer: rank 0
        return;
    const auto device = model.net->parameters().front().device();
    model.net->to(torch::kCPU); // checkpoints are device-neutral
    model.meta.training["step"] = s.step;
    model.meta.training["history"] = historyJson(s.history);
    // Two files cannot be replaced at once, so the state that matches the model file on disk is
    // kept as .prev until the new model file is in place: a run killed at any instant resumes.
    const auto statePath = o.checkpoint + ".state", previous = statePath + ".prev";
    std::error_code ec;
    if (std::filesystem::exists(statePath, ec))
        std::filesystem::rename(statePath, previous, ec);
    saveTrainState(opt, s.step, statePath);
    saveModel(model, o.checkpoint);
    std::filesystem::remove(previous, ec);
    model.net->to(device);
}

} // namespace

TrainState loadTrainState(ModelBundle& model, torch::optim::AdamW& opt, const TrainOptions& o)
{
    const int64_t want = jsonInteger(model.meta.training, "step", int64_t{-1});
    std::string problem;
    for (const auto& path : {o.checkpoint + ".state", o.checkpoint + ".state.prev"}) {
        if (!std::filesystem::exists(path))
            continue;
        TrainState s;
        s.step = readTrainState(path, opt, want);
        if (s.step != want) {
            problem = "training state (step " + std::to_string(s.step) + ") does not belong to the model file " +
                      o.checkpoint + " (step " + std::to_string(want) + ")";
            continue;
        }
        s.history = historyFromJson(model.meta.training.value("history", nlohmann::json::array()), o.checkpoint);
        return s;
    }
    throw Error(o.checkpoint + ".state", problem.empty() ? "no training state to resume from" : problem);
}

int64_t stepsPerEpoch(int64_t trainImages, const TrainOptions& o)
{
    const int64_t ranks = o.comm ? o.comm->size() : 1;
    return ranks == 1 ? (trainImages + o.batchSize - 1) / o.batchSize : trainImages / (o.batchSize * ranks);
}

namespace {
// A heartbeat while any rank is paused (no collective may wait past the timeout); every rank
// leaves at the same beat. Returns true when some rank cancelled meanwhile.
bool waitWhileAnyRankPaused(Communicator& comm, const CancelToken& cancel)
{
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::vector<torch::Tensor> flags{
            torch::tensor({cancel.paused() ? 1.0f : 0.0f, cancel.cancelled() ? 1.0f : 0.0f})};
        comm.allreduceSum(flags);
        if (flags[0][1].item<float>() > 0)
            return true;
        if (flags[0][0].item<float>() == 0)
            return false;
    }
}

// Distributed evaluation: each rank takes every ranks-th test image, the counts are summed.
EvalResult evaluateSharded(ModelBundle& model, const Dataset& test, const TrainOptions& o, const CancelToken& cancel)
{
    FunctionProgress quiet;
    EvalOptions eo;
    eo.device = o.device;
    if (!o.comm || o.comm->size() == 1) {
        eo.limit = o.evalLimit;
        return evaluate(model, test, eo, quiet, &cancel);
    }
    const int64_t n = o.evalLimit > 0 ? std::min(o.evalLimit, test.size()) : test.size();
    std::vector<int64_t> mine;
    for (int64_t i = o.comm->rank(); i < n; i += o.comm->size())
        mine.push_back(i);
    auto r = evaluate(model, test.subset(mine), eo, quiet, &cancel);
    std::vector<torch::Tensor> sums{torch::tensor(
        {static_cast<double>(r.correct), static_cast<double>(r.count), r.loss * static_cast<double>(r.count)},
        torch::kDouble)};
    o.comm->allreduceSum(sums);
    r.correct = static_cast<int64_t>(std::llround(sums[0][0].item<double>()));
    r.count = static_cast<int64_t>(std::llround(sums[0][1].item<double>()));
    r.loss = r.count ? sums[0][2].item<double>() / static_cast<double>(r.count) : 0.0;
    return r;
}
} // namespace

double scheduledLr(const TrainOptions& o, int64_t step, int64_t stepsPerEpoch)
{
    const double warm = o.warmupEpochs * static_cast<double>(stepsPerEpoch);
    const double total = static_cast<double>(o.epochs * stepsPerEpoch);
    if (step < warm)
        return o.lr * (step + 1) / warm;
    const double t = total > warm ? (step - warm) / (total - warm) : 1.0;
    return o.minLr + 0.5 * (o.lr - o.minLr) * (1.0 + std::cos(M_PI * std::min(1.0, t)));
}

TrainResult trainSupervised(ModelBundle& model, const Dataset& fullTrain, const Dataset* test, const TrainOptions& o,
                            Progress& progress, const CancelToken& cancel, const TrainCallbacks& callbacks, bool resume)
{
    checkCompatible(fullTrain, model.meta.config);
    checkClasses(fullTrain, model.meta.config);
    if (o.epochs <= 0 || o.batchSize <= 0 || o.lr <= 0)
        throw Error("training options", "epochs, batch size and learning rate must be positive");
    Dataset limited;
    const Dataset* train = &fullTrain;
    if (o.trainLimit > 0 && o.trainLimit < fullTrain.size()) {
        limited = fullTrain.subset(seededSubset(fullTrain.size(), o.trainLimit, o.seed));
        train = &limited;
    }
    const auto device = resolveDevice(o.device);
    torch::manual_seed(o.seed);
    model.net->to(device);

    // timm's rule: no weight decay on biases, norms, tokens and position embeddings.
    std::vector<torch::Tensor> decay, noDecay;
    for (const auto& p : model.net->named_parameters())
        (p.value().dim() <= 1 || p.key().find("token") != std::string::npos || p.key() == "pos_embed" ? noDecay : decay)
            .push_back(p.value());
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                   torch::optim::AdamWOptions(o.lr).weight_decay(o.weightDecay)));
    groups.emplace_back(noDecay,
                        std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o.lr).weight_decay(0)));
    torch::optim::AdamW opt(std::move(groups), torch::optim::AdamWOptions(o.lr));

    TrainState state;
    const int64_t ranks = o.comm ? o.comm->size() : 1;
    if (resume) {
        state = loadTrainState(model, opt, o);
        // A changed world size changes the global batch: continue at the same number of images seen.
        const auto old = model.meta.training.value("schedule", nlohmann::json::object());
        const int64_t oldGlobal = jsonInteger(old, "batch_size", o.batchSize) * jsonInteger(old, "ranks", int64_t{1});
        if (oldGlobal != o.batchSize * ranks)
            state.step = state.step * oldGlobal / (o.batchSize * ranks);
    }
    if (o.comm && ranks > 1) { // every rank starts from rank 0's weights
        auto params = model.net->parameters();
        o.comm->broadcastFromRank0(params);
    }
    model.meta.training["schedule"] = {{"optimizer", "AdamW"},
                                       {"lr", o.lr},
                                       {"min_lr", o.minLr},
                                       {"weight_decay", o.weightDecay},
                                       {"warmup_epochs", o.warmupEpochs},
                                       {"epochs", o.epochs},
                                       {"batch_size", o.batchSize},
                                       {"ranks", ranks},
                                       {"label_smoothing", o.labelSmoothing},
                                       {"augment", o.augment},
                                       {"seed", o.seed},
                                       {"data", fullTrain.spec},
                                       {"train_images", train->size()}};

    const int64_t stepsPerEpoch = core::stepsPerEpoch(train->size(), o);
    if (stepsPerEpoch == 0)
        throw Error(fullTrain.spec, std::to_string(train->size()) +
                                        " training images do not fill one global batch of " +
                                        std::to_string(o.batchSize * ranks));
    const int64_t totalSteps = stepsPerEpoch * o.epochs;
    TrainResult result;
    // Forward and backward over the compute threads (parallel_step.h); a non-finite loss takes no step.
    ParallelStep stepper(o.bf16 ? Parallelism::WithinOps : o.parallelism);
    const StepLoss stepLoss{o.labelSmoothing, o.teacher, o.distillAlpha, o.distillTemperature};

    double lambda = callbacks.beforeStep ? callbacks.beforeStep(state.step) : 1.0;
    bool groupPause = false, groupCancel = false; // distributed: decided together at each step
    if (o.teacher) {
        o.teacher->net->to(device);
        o.teacher->net->eval();
    }
    while (state.step < totalSteps) {
        const int64_t epoch = state.step / stepsPerEpoch;
        const auto epochStart = Clock::now();
        model.net->train();
        LoaderOptions lo{o.batchSize, true, o.augment, o.seed, epoch, state.step % stepsPerEpoch};
        lo.imageSize = model.meta.config.imageSize;
        lo.shardRank = o.comm ? o.comm->rank() : 0;
        lo.shardCount = ranks;
        BatchLoader loader(*train, model.meta.normalization, lo);
        double lossSum = 0;
        int64_t seen = 0, correct = 0;
        auto windowStart = Clock::now();
        while (auto batch = loader.next()) {
            // Distributed ranks pause and stop together, on flags that travel with the gradients.
            if (ranks > 1 ? groupPause : cancel.paused() && !cancel.cancelled()) {
                // A paused run is safe to stop: its state is on disk until it goes on.
                saveCheckpoint(model, opt, state, o);
                const auto paused = "paused at step " + std::to_string(state.step) + " (checkpoint written)";
                progress.report(static_cast<double>(state.step) / totalSteps, paused);
                progress.stateChanged(RunState::Paused, paused);
                if (ranks > 1)
                    groupCancel = waitWhileAnyRankPaused(*o.comm, cancel);
                else
                    while (cancel.paused() && !cancel.cancelled())
                        std::this_thread::sleep_for(std::chrono::milliseconds(50));
                groupPause = false;
                const auto resumed = "resumed at step " + std::to_string(state.step);
                progress.report(static_cast<double>(state.step) / totalSteps, resumed);
                progress.stateChanged(RunState::Running, resumed);
            }
            if (ranks > 1 ? groupCancel : cancel.cancelled()) {
                saveCheckpoint(model, opt, state, o);
                result.cancelled = true;
                result.history = state.history;
                result.steps = state.step;
                return result;
            }
            lambda = callbacks.beforeStep ? callbacks.beforeStep(state.step) : 1.0;
            const double lr = scheduledLr(o, state.step, stepsPerEpoch);
            for (auto& g : opt.param_groups())
                static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
            auto images = batch->images.to(device, model.net->dtype()), labels = batch->labels.to(device);
            opt.zero_grad();
            const auto outcome = [&] {
                compat::ScopedBf16Autocast autocast(device, o.bf16);
                return stepper.run(model.net, images, labels, stepLoss);
            }();
            double lossValue = outcome.loss;
            auto n = outcome.count;
            auto hits = outcome.hits;
            double commSeconds = 0;
            if (ranks > 1) {
                // Gradients averaged across ranks in one bucketed all-reduce that also sums the
                // step's loss and counts, so every rank logs (and stops on) the same numbers.
                auto extra = torch::tensor({static_cast<float>(lossValue * static_cast<double>(n)),
                                            static_cast<float>(hits), static_cast<float>(n),
                                            cancel.paused() ? 1.0f : 0.0f, cancel.cancelled() ? 1.0f : 0.0f},
                                           torch::TensorOptions().dtype(model.net->dtype())); // one bucket dtype
                averageGradients(*o.comm, model.net->parameters(), extra);
                groupPause = extra[3].item<float>() > 0; // honoured before the next batch, on every rank
                groupCancel = extra[4].item<float>() > 0;
                commSeconds = o.comm->takeCommSeconds();
                n = static_cast<int64_t>(std::llround(extra[2].item<double>()));
                hits = static_cast<int64_t>(std::llround(extra[1].item<double>()));
                lossValue = extra[0].item<double>() / static_cast<double>(n);
            }
            if (!std::isfinite(lossValue))
                throw Error(o.checkpoint.empty() ? "training" : o.checkpoint,
                            "loss became " + std::to_string(lossValue) + " at step " + std::to_string(state.step) +
                                "; stopped (lower the learning rate); the last good checkpoint is kept");
            if (o.clipNorm > 0)
                torch::nn::utils::clip_grad_norm_(model.net->parameters(), o.clipNorm);
            opt.step();
            ++state.step;
            lossSum += lossValue * static_cast<double>(n);
            correct += hits;
            seen += n;
            const double secs = std::chrono::duration<double>(Clock::now() - windowStart).count();
            windowStart = Clock::now();
            if (callbacks.onStep)
                callbacks.onStep(
                    {state.step, totalSteps, epoch, lossValue, lr, secs > 0 ? n / secs : 0.0, lambda, commSeconds});
            progress.report(static_cast<double>(state.step) / totalSteps, "epoch " + std::to_string(epoch + 1) + "/" +
                                                                              std::to_string(o.epochs) + " loss " +
                                                                              std::to_string(lossValue).substr(0, 6));
            if (o.checkpointEvery > 0 && state.step % o.checkpointEvery == 0)
                saveCheckpoint(model, opt, state, o);
        }
        EpochStats es;
        es.epoch = epoch + 1;
        es.trainLoss = seen ? lossSum / seen : 0;
        es.trainTop1 = seen ? static_cast<double>(correct) / seen : 0;
        es.lr = scheduledLr(o, state.step - 1, stepsPerEpoch);
        es.lambda = lambda;
        if (test) {
            auto ev = evaluateSharded(model, *test, o, cancel);
            es.testTop1 = ev.top1();
            model.meta.metrics = {{"test_top1", ev.top1()},
                                  {"test_images", ev.count},
                                  {"data", test->spec},
                                  {"evaluated_at", ev.evaluatedAt}};
        }
        es.seconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
        state.history.push_back(es);
        if (callbacks.onEpoch)
            callbacks.onEpoch(es);
        saveCheckpoint(model, opt, state, o);
    }
    model.net->to(torch::kCPU);
    model.meta.training["step"] = state.step;
    model.meta.training["history"] = historyJson(state.history);
    result.history = state.history;
    result.steps = state.step;
    return result;
}

} // namespace mlpify::core
