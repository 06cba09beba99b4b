// A reader for the PyTorch zip checkpoint format (torch.save): the zip container is read by
// LibTorch's own PyTorchStreamReader, the pickle program by a small pickle VM, because
// LibTorch 1.13's unpickler turns collections.OrderedDict (every state_dict) into None.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mlpify::core {

struct PyValue;
using PyPtr = std::shared_ptr<PyValue>;

struct PyValue {
    enum class Kind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, Object, Tensor, Storage, Mark };
    Kind kind = Kind::None;
    bool b = false;
    int64_t i = 0;
    double f = 0;
    std::string s;                             // Str, Bytes; Global: "module.name"
    std::vector<PyPtr> items;                  // Tuple, List; Object: constructor arguments
    std::vector<std::pair<PyPtr, PyPtr>> dict; // Dict (insertion order kept); Object: state
    torch::Tensor tensor;                      // Tensor, Storage (flat, typed)

    const PyPtr* find(const std::string& key) const; // Dict lookup by string key
};

// Reads a torch.save zip file; throws Error naming the file on anything it cannot read.
PyPtr loadTorchFile(const std::string& path);

// Writes name -> tensor as a plain dict that Python's torch.load opens, atomically, plus
// optional extra string entries at the top level (when nested is false the dict is the top).
void saveTorchFile(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                   const std::vector<std::pair<std::string, std::string>>& strings = {},
                   const std::string& nestUnder = "");

} // namespace mlpify::core
