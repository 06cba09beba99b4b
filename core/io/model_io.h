// Loading and saving whole models: MLPify's own .mlpify format, timm/DeiT and torchvision .pth
// files, and .safetensors; the format is told from the file's content, not its name.
#pragma once

#include "core/model/model_bundle.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace mlpify::core {

struct ImportOptions {
    std::optional<int64_t> numHeads; // head count cannot be read off weights; default embed_dim / 64
    ImportOptions& heads(int64_t n)
    {
        numHeads = n;
        return *this;
    }
};

using StateDict = std::map<std::string, torch::Tensor>;

// spec: a file path, "default" (the embedded Fashion-MNIST model) or "preset:NAME" (random init).
ModelBundle loadModel(const std::string& spec, const ImportOptions& options = {});
ModelBundle makeModel(const ViTConfig& config);
std::string defaultModelPath();

// Own format: weights plus metadata, atomically written; loadModel reads it back bit-exactly.
void saveModel(const ModelBundle& model, const std::string& path);
// timm layout, a bare state dict that Python's torch.load and timm's load_state_dict accept;
// when any block is MLP-only, a PATH.json beside it says which (timm cannot represent them).
void exportTimm(const ModelBundle& model, const std::string& path);
// Chooses by extension: .mlpify, .pth/.pt, .safetensors, .onnx (onnx_export.h); a name ending in
// / a Hugging Face folder.
void saveByExtension(const ModelBundle& model, const std::string& path);

// The state dict in what torch.load returns (top): a bare dict of tensors, or one nested under a
// usual key ('model', 'state_dict', ...); Error naming file otherwise.
struct PyValue;
StateDict findStateDict(const std::shared_ptr<PyValue>& top, const std::string& file);

// Building blocks, exposed for tests.
StateDict torchvisionToTimm(const StateDict& tv, const std::string& file);
ViTConfig inferTimmConfig(const StateDict& sd, const std::string& file, const ImportOptions& options);

} // namespace mlpify::core
