// ONNX export of any MLPify model (active, diluting and MLP-only blocks, distilled heads), written
// with the ONNX project's own protobuf definitions and checked by its checker before the file is
// written. resources/docs/deployment.md ("ONNX") describes the graph, the opset and the metadata.
#pragma once

#include "core/model/model_bundle.h"

#include <string>

namespace mlpify::core {

// The opset the graph uses: LayerNormalization needs 17, and Debian's ONNX 1.12 knows up to 17.
constexpr int kOnnxOpset = 17;

// The model as ModelProto bytes: input "images" float32 [batch, C, H, W] (normalised as the
// metadata says), output "logits" float32 [batch, classes] ("features" [batch, width] for a
// model without a classifier), batch dynamic. Float64 models are
// written in float32. Error when the model merges tokens (ToMe) or the file would pass 2 GiB.
std::string onnxModelBytes(const ModelBundle& model);
// onnxModelBytes, written atomically to path.
void exportOnnx(const ModelBundle& model, const std::string& path);
// False in a build without the ONNX library, where both functions above throw an Error saying so.
bool onnxExportAvailable();

} // namespace mlpify::core
