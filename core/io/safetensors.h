// Reader and writer for .safetensors (8-byte little-endian header length, JSON header, raw data).
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace mlpify::core {

std::vector<std::pair<std::string, torch::Tensor>> readSafetensors(const std::string& path);
void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors);

} // namespace mlpify::core
