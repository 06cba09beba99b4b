// The instant what-if of the Slim tab: training-free top-1 and loss (both removal rules) and the
// transfer entropy of any set of attention layers on a fixed subset of labelled calibration
// images, in milliseconds. The full model's stream states (the input of every block, per batch)
// are computed once; a set whose lowest layer is m starts from the full model's input to block
// m, since the blocks below it run unchanged.
#pragma once

#include "core/analysis/transfer_entropy.h"
#include "core/analysis/what_if_result.h"
#include "core/data/dataset.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"

#include <vector>

namespace mlpify::core {

class WhatIf {
public:
    // Keeps the model's stream states for images (which need labels): depth x images x tokens x
    // width values, so a subset of a few hundred images. model must outlive this object and
    // not change while it is used; evaluate() does not change the model.
    WhatIf(ModelBundle& model, const Dataset& images, TeOptions te, Progress& progress,
           const CancelToken* cancel = nullptr);
    // removed: attention layers, or with te.units any unit codes (transfer_entropy.h: depth + b is
    // block b's MLP). Error naming the block when one does not exist or lacks the branch.
    WhatIfResult evaluate(std::vector<int64_t> removed, const CancelToken* cancel = nullptr) const;
    int64_t images() const { return m_images; }

private:
    ModelBundle& m_model;
    TeOptions m_te;
    torch::Device m_device;
    std::vector<std::vector<torch::Tensor>> m_states; // per batch: the input of each block
    std::vector<torch::Tensor> m_labels;              // per batch
    double m_fullEntropy = 0;
    int64_t m_images = 0;
};

} // namespace mlpify::core
