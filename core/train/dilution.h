// Dilution learning (method.md section 4): fine-tune while the chosen blocks' attention fades,
// x = (2 - lambda) x + lambda Attn(LN1 x), lambda from 1 to 0, then fold them into MLP-only blocks.
#pragma once

#include "core/train/dilution_run.h"
#include "core/train/trainer.h"

#include <vector>

namespace mlpify::core {

enum class LambdaSchedule { Linear, Cosine };

struct DilutionOptions {
    std::vector<int64_t> blocks; // attention layers to remove
    int64_t dilutionSteps = 0;   // lambda reaches 0 after this many steps; later steps run at 0
    double dilutionEpochs = -1;  // when >= 0, sets dilutionSteps from the training set's epoch length
    LambdaSchedule schedule = LambdaSchedule::Linear;
};

// The trainer's and the dilution's options for a run (checkpoint OUT.ckpt). The blocks are the
// run's list, or those its method chose (analysis/selection.h, selectionFor); the teacher and a
// communicator are the caller's to add.
TrainOptions trainOptionsFor(const DilutionRun& run);
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

} // namespace mlpify::core
