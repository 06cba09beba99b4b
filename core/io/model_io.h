// Loading and saving whole models: MLPify's own .mlpify format, timm/DeiT and torchvision .pth
// files, and .safetensors; the format is told from the file's content, not its name.
#pragma once

#include "core/io/state_dict.h"
#include "core/model/model_bundle.h"

#include <memory>
#include <string>

namespace mlpify::core {

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

} // namespace mlpify::core
