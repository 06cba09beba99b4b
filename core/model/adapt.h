// Fitting a pretrained model to new data: another input size (the position embedding resampled
// over the patch grid, as timm does) and a new classifier for another set of classes.
#pragma once

#include "core/model/model_bundle.h"

#include <string>
#include <vector>

namespace mlpify::core {

// pos [1, prefix + g*g, D] -> [1, prefix + grid*grid, D]: the first `prefix` rows (class and
// distillation tokens) kept, the patch rows resampled bicubically over the grid
// (align_corners false, antialias on, as timm's resample_abs_pos_embed), in float64 when pos is.
torch::Tensor resamplePositionEmbedding(const torch::Tensor& pos, int64_t prefix, int64_t grid);

// The model for imageSize x imageSize inputs: the same weights, the position embedding resampled
// to the new grid. Error unless imageSize is a positive multiple of the patch size.
void setInputSize(ModelBundle& model, int64_t imageSize);

// Error for a model without a classifier: `what` needs one.
void requireClassifier(const ViTConfig& config, const std::string& what);

// A new classifier for `classes` classes named `names` (and, for a distilled model, a new
// distillation head too), initialised as the model's own layers and as timm and DeiT initialise a
// fine-tuning head (weights normal with std 0.02, here clamped at 2 std for timm's truncation;
// biases 0); recorded in meta.training.new_head.
void replaceHead(ModelBundle& model, int64_t classes, const std::vector<std::string>& names);

} // namespace mlpify::core
