// Plain supervised training (the baseline that produces the default model): AdamW, warmup +
// cosine learning rate, label smoothing, light augmentation, periodic atomic checkpoints, resume.
#pragma once

#include "core/data/dataset.h"
#include "core/model/inference.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"
#include "core/train/training_log.h"

#include <functional>

namespace mlpify::core {

class Communicator;

struct TrainOptions {
    int64_t epochs = 15;
    int64_t batchSize = 128;
    double lr = 1e-3;
    double minLr = 1e-5;
    double weightDecay = 0.05;
    double warmupEpochs = 1.0;
    double labelSmoothing = 0.1;
    double clipNorm = 0.0; // 0 = no clipping
    bool augment = true;
    uint64_t seed = 0;
    int64_t trainLimit = 0;      // use the first N training images only (0 = all)
    int64_t evalLimit = 0;       // evaluate on the first N test images (0 = all)
    std::string checkpoint;      // PATH: model at PATH, optimizer and step at PATH.state
    int64_t checkpointEvery = 0; // steps; 0 = at epoch ends only
    std::string device = "auto";
    // How a step uses the compute threads (model/inference.h): narrow models split the batch.
    Parallelism parallelism = Parallelism::Auto;
    // bfloat16 autocast for the training steps' forward and backward (torch.autocast; every op on
    // all threads then, as autocast is per thread); evaluation stays float32.
    bool bf16 = false;
    // Optional soft-target distillation from a teacher (e.g. the original model during dilution):
    // loss = (1 - alpha) CE + alpha T^2 KL(teacher_T || student_T).
    ModelBundle* teacher = nullptr;
    double distillAlpha = 0.5;
    double distillTemperature = 1.0;
    // Data-parallel training (distributed.h): batchSize is per rank, each rank reads its own
    // part of every global batch, gradients are averaged, rank 0 alone writes checkpoints.
    Communicator* comm = nullptr;
};

// Steps in one epoch: every image once (the last batch may be short); with more than one
// rank, full global batches of batchSize x ranks only.
int64_t stepsPerEpoch(int64_t trainImages, const TrainOptions& o);

struct TrainResult {
    std::vector<EpochStats> history;
    int64_t steps = 0;
    bool cancelled = false;
};

struct TrainCallbacks {
    // Called before every step with the global step; returns the dilution lambda it set (the
    // dilution trainer changes block states here), or 1.
    std::function<double(int64_t step)> beforeStep;
    std::function<void(const StepStats&)> onStep;
    std::function<void(const EpochStats&)> onEpoch;
};

// Learning rate at a step: linear warmup from 0, then cosine from lr down to minLr.
double scheduledLr(const TrainOptions& o, int64_t step, int64_t stepsPerEpoch);

// The step a checkpoint was written at and the epochs before it (from the model's metadata).
struct TrainState {
    int64_t step = 0;
    std::vector<EpochStats> history;
};

// The optimizer state saved with the model file's step, read into opt: CKPT.state, or
// CKPT.state.prev when a run was killed between writing the two. Error naming the file when
// neither fits or one is corrupt.
TrainState loadTrainState(ModelBundle& model, torch::optim::AdamW& opt, const TrainOptions& options);

// Trains model in place. With resume, continues from options.checkpoint's saved state (the
// model must have been loaded from that checkpoint). Cancel is honoured within one batch and
// leaves a checkpoint when options.checkpoint is set.
TrainResult trainSupervised(ModelBundle& model, const Dataset& train, const Dataset* test, const TrainOptions& options,
                            Progress& progress, const CancelToken& cancel, const TrainCallbacks& callbacks = {},
                            bool resume = false);

} // namespace mlpify::core
