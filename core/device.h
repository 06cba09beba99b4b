// Which device a computation runs on: "cpu", "cuda" or "auto" (CUDA when LibTorch has it and a
// GPU is visible).
#pragma once

#include <torch/torch.h>

#include <string>

namespace mlpify::core {

// Error naming the device when it is unknown, or CUDA when this LibTorch has none.
torch::Device resolveDevice(const std::string& name);

} // namespace mlpify::core
