// The optimizer half of a training checkpoint (CKPT.state beside the model file): AdamW's
// moments per parameter and the global step, as a plain torch.save dict read back by MLPify's
// own hardened reader (Python's torch.load opens it too).
#pragma once

#include <torch/torch.h>

#include <string>

namespace mlpify::core {

// Writes opt's per-parameter state (in parameter order) and step to path, atomically.
void saveTrainState(torch::optim::AdamW& opt, int64_t step, const std::string& path);

// The step path was written at; when it equals want, opt's state is replaced by the file's
// (all or nothing). Error naming the file when it is not a training state or its moments do
// not fit opt's parameters.
int64_t readTrainState(const std::string& path, torch::optim::AdamW& opt, int64_t want);

} // namespace mlpify::core
