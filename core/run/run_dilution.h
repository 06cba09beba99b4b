// A whole dilution run, executed the same way by every face (the CLI's `dilute`, the window's
// in-process run): preparation, the layer choice, the dilution, the fold and the written result.
// It sits above analysis (the choice) and train (the rest).
#pragma once

#include "core/train/dilution.h"

#include <memory>
#include <string>
#include <vector>

namespace mlpify::core {

// How to execute a run, beyond what the run itself says.
struct DilutionExecution {
    // The trainer's settings: trainOptionsFor(run), plus what a face adds (a communicator, an
    // evaluation limit, a checkpoint path, ...). Its teacher is set here from `teacher`.
    TrainOptions train;
    bool resume = false;                  // continue from train.checkpoint, which is then the model read
    bool fold = true;                     // false: write the model as it ends, its blocks still diluting
    bool write = true;                    // false on ranks other than 0: rank 0 writes the result
    std::shared_ptr<ModelBundle> teacher; // for run.distill; read from run.model when null
    std::string command;                  // provenance the written model records; empty: commandLine(run)
};

struct DilutionOutcome {
    TrainResult training;         // cancelled: the checkpoint is written, nothing else
    std::vector<int64_t> blocks;  // the blocks diluted
    std::vector<int64_t> folded;  // the blocks folded (MLP-only, attention-only or gone: units.md)
    std::vector<BlockMode> modes; // the written model's block states
    int64_t parameters = 0;       // of the written model
    bool written = false;
};

// Refusals that need no file: neither a block list nor a ratio (a resumed run may give neither;
// with both, the list is the run's, as in DilutionRun), distillation with a new head (the teacher
// is the original model with its own head), an unknown schedule. Error naming the setting.
void checkDilutionRun(const DilutionRun& run, bool resume);

// Executes the run: checkDilutionRun; the model (or the checkpoint when resuming); the data, input
// size, channel and class checks (training_data.h); the blocks (the run's list, those recorded in
// the checkpoint, or chooseLayers); the new head; the teacher; dilute; then foldAndSave (or the
// model as it is) to run.out. Notices report the resize, the chosen blocks and the new head.
DilutionOutcome runDilution(const DilutionRun& run, const DilutionExecution& how, Progress& progress,
                            const CancelToken& cancel, const TrainCallbacks& callbacks = {});

} // namespace mlpify::core
