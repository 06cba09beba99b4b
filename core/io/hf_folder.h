// Hugging Face `transformers` model folders: config.json, preprocessor_config.json and the weights
// (model.safetensors, pytorch_model.bin, or shards with their .index.json), for
// ViTForImageClassification, DeiTForImageClassificationWithTeacher (two classifiers averaged)
// and MLPify's slimmed models of them (config "mlpify_mlp_only_layers").
#pragma once

#include "core/model/model_bundle.h"

#include <string>

namespace mlpify::core {

struct ImportOptions;

// A folder holding config.json.
bool isHfFolder(const std::string& path);
// The architecture, heads, LayerNorm epsilon, image and patch size and class names from
// config.json, the input normalisation from preprocessor_config.json; Error naming the file for
// an unsupported architecture (named), a missing or mismatched shard, or a missing weight.
ModelBundle loadHfFolder(const std::string& dir, const ImportOptions& options);
// The same layout back (config.json, preprocessor_config.json, model.safetensors), written into a
// folder beside dir and renamed in; the config a model was imported with is kept, with the
// architecture's fields set from the model and its MLP-only layers listed.
// Error when dir exists or a block is still diluting (fold first).
void exportHfFolder(const ModelBundle& model, const std::string& dir);
// An output path naming a Hugging Face folder: one that ends in '/'.
bool isHfFolderPath(const std::string& path);

} // namespace mlpify::core
