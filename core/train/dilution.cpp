#include "core/train/dilution.h"

#include "core/error.h"
#include "core/io/model_io.h"
#include "core/json_file.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace mlpify::core {

namespace fs = std::filesystem;

TrainOptions trainOptionsFor(const DilutionRun& run, TrainOptions base)
{
    auto t = std::move(base);
    t.epochs = run.epochs;
    t.batchSize = run.batch;
    t.lr = run.lr;
    t.warmupEpochs = run.warmupEpochs;
    t.trainLimit = run.trainLimit;
    t.augment = run.augment;
    t.device = run.device;
    t.bf16 = run.bf16;
    t.seed = run.seed;
    t.checkpoint = run.out + ".ckpt";
    return t;
}

LambdaSchedule parseLambdaSchedule(const std::string& name)
{
    const auto& names = lambdaScheduleNames();
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
        throw Error("schedule " + name, "unknown (linear, cosine)");
    return static_cast<LambdaSchedule>(it - names.begin());
}

std::string lambdaScheduleName(LambdaSchedule schedule)
{
    return lambdaScheduleNames().at(static_cast<size_t>(schedule));
}

DilutionOptions dilutionOptionsFor(const DilutionRun& run, std::vector<int64_t> blocks, std::vector<int64_t> mlpBlocks)
{
    DilutionOptions d;
    d.schedule = parseLambdaSchedule(run.schedule);
    d.blocks = std::move(blocks);
    d.mlpBlocks = std::move(mlpBlocks);
    d.dilutionEpochs = run.resolvedDilutionEpochs();
    return d;
}

double lambdaAt(const DilutionOptions& o, int64_t step)
{
    if (o.dilutionSteps <= 0)
        return 0.0;
    const double t = std::min(1.0, static_cast<double>(step) / static_cast<double>(o.dilutionSteps));
    return o.schedule == LambdaSchedule::Linear ? 1.0 - t : 0.5 * (1.0 + std::cos(M_PI * t));
}

DilutionOptions planDilution(const DilutionOptions& o, int64_t trainImages, const TrainOptions& to)
{
    DilutionOptions plan = o;
    if (o.dilutionEpochs >= 0)
        plan.dilutionSteps =
            static_cast<int64_t>(std::llround(o.dilutionEpochs * static_cast<double>(stepsPerEpoch(trainImages, to))));
    // Lambda must reach 0 by the last step (totalSteps - 1): a run diluting over all its epochs
    // would otherwise end just above 0, and the result could not be folded.
    const int64_t totalSteps = to.epochs * stepsPerEpoch(trainImages, to);
    plan.dilutionSteps = std::min(plan.dilutionSteps, std::max<int64_t>(0, totalSteps - 1));
    return plan;
}

TrainResult dilute(ModelBundle& model, const Dataset& train, const Dataset* test, const TrainOptions& to,
                   const DilutionOptions& o, Progress& progress, const CancelToken& cancel,
                   const TrainCallbacks& callbacks, bool resume)
{
    if (o.blocks.empty() && o.mlpBlocks.empty())
        throw Error("dilution", "no blocks selected for removal");
    const auto modes = model.net->blockModes();
    auto check = [&](int64_t b, bool has, const char* what) {
        if (b < 0 || b >= static_cast<int64_t>(modes.size()))
            throw Error("dilution", "block " + std::to_string(b) + " does not exist");
        if (!has)
            throw Error("dilution", "block " + std::to_string(b) + " has no " + what + " left to remove");
    };
    for (auto b : o.blocks)
        check(b, modes[static_cast<size_t>(b)].hasAttention(), "attention (it is already MLP-only)");
    for (auto b : o.mlpBlocks)
        check(b, modes[static_cast<size_t>(b)].hasMlp(), "MLP");
    const int64_t n = to.trainLimit > 0 ? std::min(to.trainLimit, train.size()) : train.size();
    const DilutionOptions plan = planDilution(o, n, to);
    TrainCallbacks cb = callbacks;
    cb.beforeStep = [&model, plan](int64_t step) {
        const double lambda = lambdaAt(plan, step);
        for (auto b : plan.blocks)
            model.net->setBlockMode(
                b, withAttention(model.net->blockModes()[static_cast<size_t>(b)], BranchMode::Diluting, lambda));
        for (auto b : plan.mlpBlocks)
            model.net->setBlockMode(
                b, withMlp(model.net->blockModes()[static_cast<size_t>(b)], BranchMode::Diluting, lambda));
        return lambda;
    };
    model.meta.training["dilution"] = {{"blocks", o.blocks},
                                       {"dilution_steps", plan.dilutionSteps},
                                       {"schedule", lambdaScheduleName(o.schedule)},
                                       {"rule", "x = (2 - lambda) x + lambda Attn(LN1 x)"}};
    if (!o.mlpBlocks.empty()) {
        model.meta.training["dilution"]["mlp_blocks"] = o.mlpBlocks;
        model.meta.training["dilution"]["mlp_rule"] = "y = (2 - lambda) y + lambda MLP(LN2 y)";
    }
    return trainSupervised(model, train, test, to, progress, cancel, cb, resume);
}

std::vector<int64_t> foldDiluted(ModelBundle& model)
{
    std::vector<int64_t> folded;
    const auto modes = model.net->blockModes();
    for (size_t i = 0; i < modes.size(); ++i) {
        if (modes[i].mode == BranchMode::Diluting && modes[i].lambda != 0.0)
            throw Error("fold", "block " + std::to_string(i) + " is still diluting at lambda " +
                                    std::to_string(modes[i].lambda) + "; train until lambda reaches 0");
        if (modes[i].mlp == BranchMode::Diluting && modes[i].mlpLambda != 0.0)
            throw Error("fold", "block " + std::to_string(i) + "'s MLP is still diluting at lambda " +
                                    std::to_string(modes[i].mlpLambda) + "; train until lambda reaches 0");
    }
    for (size_t i = 0; i < modes.size(); ++i) {
        // At lambda = 0 a diluting branch computes (2 - 0) x + 0 f(x) = 2x exactly: the removed state.
        auto mode = modes[i];
        if (mode.mode == BranchMode::Diluting)
            mode = withAttention(mode, BranchMode::Removed, 0.0);
        if (mode.mlp == BranchMode::Diluting)
            mode = withMlp(mode, BranchMode::Removed, 0.0);
        if (mode == modes[i])
            continue;
        model.net->setBlockMode(static_cast<int64_t>(i), mode);
        folded.push_back(static_cast<int64_t>(i));
    }
    model.meta.blocks = model.net->blockModes();
    return folded;
}

} // namespace mlpify::core

namespace mlpify::core {

std::vector<int64_t> dilutedBlocks(const ModelMeta& meta)
{
    const auto& t = meta.training;
    if (!t.contains("dilution") || !t.at("dilution").is_object() || !t.at("dilution").contains("blocks"))
        throw Error(meta.source, "records no dilution run (no diluted blocks to continue with)");
    return jsonIntegers(t.at("dilution").at("blocks"));
}

std::vector<int64_t> dilutedMlpBlocks(const ModelMeta& meta)
{
    const auto& t = meta.training;
    if (!t.contains("dilution") || !t.at("dilution").is_object() || !t.at("dilution").contains("mlp_blocks"))
        return {};
    return jsonIntegers(t.at("dilution").at("mlp_blocks"));
}

std::vector<int64_t> foldAndSave(ModelBundle& model, const std::string& out)
{
    std::vector<int64_t> folded;
    try {
        folded = foldDiluted(model);
    } catch (const Error& e) {
        const bool own = fs::path(out).extension() == ".mlpify";
        const auto kept = own ? out : out + ".diluted.mlpify";
        saveModel(model, kept);
        std::string finish = "mlpify fold " + kept + " OUT.mlpify, once lambda is 0";
        if (model.meta.training.contains("run")) { // an epoch at lambda 0 from the written model, then the fold
            auto run = model.meta.training.at("run").get<DilutionRun>();
            run.model = kept;
            run.remove = dilutedBlocks(model.meta);
            run.removeMlp = dilutedMlpBlocks(model.meta);
            run.ratio = 0;
            run.epochs = 1;
            run.dilutionEpochs = 0;
            run.newHead = false;
            run.inputSize = 0;
            run.out = own ? fs::path(out).replace_extension("").string() + "-folded.mlpify" : out;
            finish = commandLine(run);
        }
        throw Error(e.what() + std::string("; wrote the trained, diluted model to ") + kept +
                    "; finish it with: " + finish);
    }
    saveByExtension(model, out);
    return folded;
}

} // namespace mlpify::core
