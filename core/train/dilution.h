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
    std::vector<int64_t> blocks;    // attention layers to remove
    std::vector<int64_t> mlpBlocks; // MLP branches to remove, by the same rule (units.md)
    int64_t dilutionSteps = 0;      // lambda reaches 0 after this many steps; later steps run at 0
    double dilutionEpochs = -1;     // when >= 0, sets dilutionSteps from the training set's epoch length
    LambdaSchedule schedule = LambdaSchedule::Linear;
};

// The trainer's and the dilution's options for a run (checkpoint OUT.ckpt). The blocks are the
// run's list, or those its method chose (analysis/selection.h, selectionFor); the teacher and a
// communicator are the caller's to add.
// base holds what a run does not say (learning-rate floor, weight decay, ...): a face's own options.
TrainOptions trainOptionsFor(const DilutionRun& run, TrainOptions base = {});
// mlpBlocks: the MLP branches (the run's removeMlp, or on a resumed run dilutedMlpBlocks).
DilutionOptions dilutionOptionsFor(const DilutionRun& run, std::vector<int64_t> blocks,
                                   std::vector<int64_t> mlpBlocks = {});

// lambda at a global step: linear max(0, 1 - step / D) (the official per-epoch rule, per step
// here), or a cosine from 1 to 0 over D steps.
double lambdaAt(const DilutionOptions& options, int64_t step);

// Fine-tunes model with the chosen attention layers (blocks) and MLP branches (mlpBlocks)
// diluting under one lambda; the rest stay as they are. Test
// accuracy each epoch is measured at the lambda in force, which the epoch stats report. The
// model is left with the selected blocks at the final lambda (fold them when it is 0).
TrainResult dilute(ModelBundle& model, const Dataset& train, const Dataset* test, const TrainOptions& train_options,
                   const DilutionOptions& options, Progress& progress, const CancelToken& cancel,
                   const TrainCallbacks& callbacks = {}, bool resume = false);

// Replaces every branch diluting at lambda = 0 with its fold: an attention branch by x = 2x (an
// MLP-only block), an MLP branch by x = 2x after the attention (an attention-only block), both
// (a gone block, x = 4x): the same function, without that branch's parameters. Throws Error if a
// diluting branch has lambda > 0. Returns the indices of the blocks folded.
std::vector<int64_t> foldDiluted(ModelBundle& model);

// The blocks a dilution run dilutes, as the model it writes records them (its checkpoint too, so
// a resumed run continues with the same blocks). Error naming the model when it records none.
std::vector<int64_t> dilutedBlocks(const ModelMeta& meta);
// The MLP branches it dilutes; empty for a run without MLP units.
std::vector<int64_t> dilutedMlpBlocks(const ModelMeta& meta);

// The end of a dilution run: folds, then writes the model to out (by its extension). When the fold
// cannot happen, no run ends without its result: the trained, diluted model is written (to out
// when it is .mlpify, else to out + ".diluted.mlpify") and Error says so, and gives the one
// command that finishes it (an epoch at lambda 0 from that file, then the fold).
std::vector<int64_t> foldAndSave(ModelBundle& model, const std::string& out);

// The dilution steps of a run over trainImages images: lambda falls from 1 at step 0 to 0 by the
// last step of the dilution epochs, and at the latest on the run's last step.
DilutionOptions planDilution(const DilutionOptions& o, int64_t trainImages, const TrainOptions& to);

} // namespace mlpify::core
