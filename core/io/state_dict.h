// State dicts as other tools write them: where the tensors sit in what torch.load returns, and the
// timm layout MLPify's model reads (a timm/DeiT config inferred from the weights, torchvision's
// names mapped). The model-file reader (model_io) and the Hugging Face reader (hf_folder) share it.
#pragma once

#include "core/model/vit_config.h"

#include <torch/torch.h>

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

struct PyValue;
// The tensors of a dict (string keys, tensor values), others skipped.
StateDict toStateDict(const PyValue& dict);
// The state dict in what torch.load returns (top): a bare dict of tensors, or one nested under a
// usual key ('model', 'state_dict', ...); Error naming file otherwise.
StateDict findStateDict(const std::shared_ptr<PyValue>& top, const std::string& file);

// Building blocks, exposed for tests.
StateDict torchvisionToTimm(const StateDict& tv, const std::string& file);
ViTConfig inferTimmConfig(const StateDict& sd, const std::string& file, const ImportOptions& options);

} // namespace mlpify::core
