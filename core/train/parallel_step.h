// One training step's forward and backward, spread over the compute threads. Wide models run
// each op on all threads; narrow ones (the default model) split the batch: every thread runs its
// contiguous part on a replica that shares the model's weights and keeps its own gradients, and
// the parts' gradients are then summed into the model's in part order, so a step's result does
// not depend on which thread finished first.
#pragma once

#include "core/model/inference.h"
#include "core/model/model_bundle.h"

#include <vector>

namespace mlpify::core {

struct StepLoss {
    double labelSmoothing = 0.0;
    ModelBundle* teacher = nullptr; // soft targets: (1 - alpha) CE + alpha T^2 KL(teacher_T || student_T)
    double distillAlpha = 0.5;
    double distillTemperature = 1.0;
};

struct StepOutcome {
    double loss = 0;  // the batch's mean loss
    int64_t hits = 0; // images whose top-1 class is the label
    int64_t count = 0;
};

class ParallelStep {
public:
    explicit ParallelStep(Parallelism parallelism = Parallelism::Auto) : m_parallelism(parallelism) {}

    // Forward and backward of one batch: the mean loss's gradients are added to net's .grad
    // (zero them before, as for loss.backward()). The teacher, if any, runs without autograd.
    StepOutcome run(VisionTransformer& net, const torch::Tensor& images, const torch::Tensor& labels,
                    const StepLoss& loss);

private:
    void prepareReplicas(VisionTransformer& net, size_t count);

    Parallelism m_parallelism;
    std::vector<VisionTransformer> m_replicas;
};

} // namespace mlpify::core
