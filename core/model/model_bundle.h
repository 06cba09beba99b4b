// A model as every analysis, trainer and view takes it: the network and its metadata.
#pragma once

#include "core/model/model_meta.h"
#include "core/model/vit.h"

namespace mlpify::core {

struct ModelBundle {
    VisionTransformer net{nullptr};
    ModelMeta meta;
};

} // namespace mlpify::core
