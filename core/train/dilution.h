// Dilution learning (method.md section 4): fine-tune while the chosen blocks' attention fades,
// x = (2 - lambda) x + lambda Attn(LN1 x), lambda from 1 to 0, then fold them into MLP-only blocks.
#pragma once

#include "core/train/dilution_run.h"
#include "core/train/trainer.h"

#include <vector>

namespace mlpify::core {

enum class LambdaSchedule { Linear, Cosine };

// The schedule a name in lambdaScheduleNames() (dilution_run.h) stands for, and back.
LambdaSchedule parseLambdaSchedule(const std::string& name); // Error naming the schedule when unknown
std::string lambdaScheduleName(LambdaSchedule schedule);

struct DilutionOptions {
    std::vector<int64_t> blocks; // attention layers to remove
    int64_t dilutionSteps = 0;   // lambda reaches 0 after this many steps; later steps run at 0
    double dilutionEpochs = -1;  // when >= 0, sets dilutionSteps from the training set's epoch length
    LambdaSchedule schedule = LambdaSchedule::Linear;
};

// The trainer's and the dilution's options for a run (checkpoint OUT.ckpt). The blocks are the
// run's list, or those its method chose (analysis/selection.h, selectionFor); the teacher and a
// communicator are the caller's to add.
// base holds what a run does not say (learning-rate floor, weight decay, ...): a face's own options.
TrainOptions trainOptionsFor(const DilutionRun& run, TrainOptions base = {});
DilutionOptions dilutionOptionsFor(const DilutionRun& run, std::vector<int64_t> blocks);

// lambda at a global step: linear max(0, 1 - step / D) (the official per-epoch rule, per step
// here), or a cosine from 1 to 0 over D steps.
double lambdaAt(const DilutionOptions& options, int64_t step);

// Fine-tunes model with the chosen blocks diluting; unselected blocks stay as they are. Test
// accuracy each epoch is measured at the lambda in force, which the epoch stats report. The
// model is left with the selected blocks at the final lambda (fold them when it is 0).
TrainResult dilute(ModelBundle& model, const Dataset& train, const Dataset* test, const TrainOptions& train_options,
                   const DilutionOptions& options, Progress& progress, const CancelToken& cancel,
                   const TrainCallbacks& callbacks = {}, bool resume = false);

// Replaces every block diluting at lambda = 0 with an MLP-only block (x = 2x; x = x + MLP(LN2 x)):
// the same function, no attention parameters. Throws Error if a diluting block has lambda > 0.
// Returns the folded block indices.
std::vector<int64_t> foldDiluted(ModelBundle& model);

// The blocks a dilution run dilutes, as the model it writes records them (its checkpoint too, so
// a resumed run continues with the same blocks). Error naming the model when it records none.
std::vector<int64_t> dilutedBlocks(const ModelMeta& meta);

// The end of a dilution run: folds, then writes the model to out (by its extension). When the fold
// cannot happen, no run ends without its result: the trained, diluted model is written (to out
// when it is .mlpify, else to out + ".diluted.mlpify") and Error says so, and gives the one
// command that finishes it (an epoch at lambda 0 from that file, then the fold).
std::vector<int64_t> foldAndSave(ModelBundle& model, const std::string& out);

// The dilution steps of a run over trainImages images: lambda falls from 1 at step 0 to 0 by the
// last step of the dilution epochs, and at the latest on the run's last step.
DilutionOptions planDilution(const DilutionOptions& o, int64_t trainImages, const TrainOptions& to);

} // namespace mlpify::core
