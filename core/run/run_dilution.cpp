#include "core/run/run_dilution.h"

#include "core/analysis/selection.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/model/block_mode.h"
#include "core/setting.h"
#include "core/train/training_data.h"

namespace mlpify::core {

void checkDilutionRun(const DilutionRun& run, bool resume)
{
    if (run.remove.empty() && run.removeMlp.empty() && run.ratio <= 0 && !resume)
        throw Error(settingName(Setting::Remove), "give the blocks to remove or " + settingName(Setting::Ratio));
    if (run.distill && run.newHead)
        throw Error(settingName(Setting::Distill), "the teacher is the original model with its own head; it cannot "
                                                   "be combined with " +
                                                       settingName(Setting::NewHead));
    parseLambdaSchedule(run.schedule);
}

namespace {
// The listed blocks against the model read, before any data: each must exist and have the branch
// (attention for --remove, MLP for --remove-mlp).
void checkListedBlocks(const ModelBundle& model, const std::vector<int64_t>& blocks, bool mlp = false)
{
    const auto list = blockList(blocks);
    const auto setting = settingName(mlp ? Setting::RemoveMlp : Setting::Remove);
    const auto modes = model.net->blockModes();
    const auto depth = static_cast<int64_t>(modes.size());
    for (auto b : blocks) {
        if (b < 0 || b >= depth)
            throw Error(setting + " " + list, "block " + std::to_string(b) +
                                                  " does not exist (the model has blocks 0 to " +
                                                  std::to_string(depth - 1) + ")");
        if (mlp ? !modes[static_cast<size_t>(b)].hasMlp() : !modes[static_cast<size_t>(b)].hasAttention())
            throw Error(setting + " " + list,
                        "block " + std::to_string(b) + " has no " + (mlp ? "MLP" : "attention") + " left to remove");
    }
}
} // namespace

DilutionOutcome runDilution(const DilutionRun& run, const DilutionExecution& how, Progress& progress,
                            const CancelToken& cancel, const TrainCallbacks& callbacks)
{
    checkDilutionRun(run, how.resume);
    auto model = loadModel(how.resume ? how.train.checkpoint : run.model);
    if (!how.resume) {
        checkListedBlocks(model, run.remove);
        checkListedBlocks(model, run.removeMlp, /*mlp=*/true);
        if (model.meta.tome.active() && !run.removeMlp.empty())
            throw Error(settingName(Setting::RemoveMlp), "the model is saved with token merging (ToMe " +
                                                             model.meta.tome.describe() +
                                                             "); MLP units are removed from a model without it");
    }
    const DataFit fit{run.data, run.inputSize, run.newHead, how.resume};
    auto data = prepareTrainingData(model, fit, progress);

    DilutionOutcome outcome;
    if (!run.remove.empty()) {
        outcome.blocks = run.remove;
    } else if (how.resume) {
        outcome.blocks = dilutedBlocks(model.meta);
    } else if (run.ratio > 0) {
        outcome.blocks = chooseLayers(model, run, progress, &cancel).selected;
        progress.notice(run.method + " selected blocks " + blockList(outcome.blocks, " "));
    }
    fitHead(model, fit, data.train, progress); // after the choice, which reads the pretrained head
    const auto mlpBlocks =
        !run.removeMlp.empty() ? run.removeMlp : (how.resume ? dilutedMlpBlocks(model.meta) : std::vector<int64_t>{});
    const auto dilution = dilutionOptionsFor(run, outcome.blocks, mlpBlocks);

    auto train = how.train;
    auto teacher = how.teacher;
    if (run.distill && !teacher)
        teacher = std::make_shared<ModelBundle>(loadModel(run.model));
    train.teacher = run.distill ? teacher.get() : nullptr;
    if (!how.resume) {
        model.meta.training["command"] = how.command.empty() ? commandLine(run) : how.command;
        model.meta.training["run"] = run;
    }
    outcome.training = dilute(model, data.train, &data.test, train, dilution, progress, cancel, callbacks, how.resume);
    if (outcome.training.cancelled || !how.write)
        return outcome;
    if (how.fold)
        outcome.folded = foldAndSave(model, run.out); // writes the trained model also when the fold cannot happen
    else
        saveByExtension(model, run.out);
    outcome.parameters = model.net->parameterCount();
    outcome.modes = model.net->blockModes();
    outcome.written = true;
    return outcome;
}

} // namespace mlpify::core
