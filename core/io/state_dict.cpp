#include "core/io/state_dict.h"

#include "core/error.h"
#include "core/io/pickle.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>

namespace mlpify::core {

namespace {
bool isTensorDict(const PyValue& v)
{
    if (v.kind != PyValue::Kind::Dict || v.dict.empty())
        return false;
    for (const auto& kv : v.dict)
        if (kv.second->kind != PyValue::Kind::Tensor)
            return false;
    return true;
}

// The "config" of the sidecar exportTimm writes beside a .pth whose blocks lack branches
// (FILE.json); empty where there is none or it does not parse (then the weights alone decide).
nlohmann::json sidecarConfig(const std::string& file)
{
    std::ifstream in(file + ".json");
    if (!in)
        return nlohmann::json::object();
    const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    return j.is_object() && j.contains("config") && j.at("config").is_object() ? j.at("config")
                                                                               : nlohmann::json::object();
}
} // namespace

StateDict toStateDict(const PyValue& v)
{
    StateDict sd;
    for (const auto& kv : v.dict)
        if (kv.first->kind == PyValue::Kind::Str && kv.second->kind == PyValue::Kind::Tensor)
            sd[kv.first->s] = kv.second->tensor;
    return sd;
}

StateDict findStateDict(const PyPtr& top, const std::string& file)
{
    if (isTensorDict(*top))
        return toStateDict(*top);
    for (const char* key : {"model", "state_dict", "model_state_dict", "module", "model_ema"}) {
        if (const PyPtr* inner = top->find(key); inner && (*inner)->kind == PyValue::Kind::Dict)
            return toStateDict(**inner);
    }
    throw Error(file, "no state dict found (expected a dict of tensors, bare or under 'model' or 'state_dict')");
}

ViTConfig inferTimmConfig(const StateDict& sd, const std::string& file, const ImportOptions& options)
{
    auto need = [&](const std::string& key, int64_t dims) -> const torch::Tensor& {
        auto it = sd.find(key);
        if (it == sd.end())
            throw Error(file, "not a ViT state dict in timm layout: missing '" + key + "'");
        if (it->second.dim() != dims)
            throw Error(file, "'" + key + "' has shape " + c10::str(it->second.sizes()) + ", not " +
                                  std::to_string(dims) + " dimensions");
        return it->second;
    };
    ViTConfig c;
    const auto& patch = need("patch_embed.proj.weight", 4);
    const auto& cls = need("cls_token", 3);
    const auto& pos = need("pos_embed", 3);
    c.embedDim = cls.size(2);
    c.inChans = patch.size(1);
    c.patchSize = patch.size(2);
    c.distilled = sd.count("dist_token") > 0;
    c.distilledHead = sd.count("head_dist.weight") > 0;
    // timm's names for LayerScale and registers; a head twice the width reads [class, mean patch].
    // Blocks may lack a branch (MLP-only, attention-only) or every weight (gone): the depth is the
    // highest block index named, or the sidecar's (model_io.h) where trailing blocks are gone.
    static const std::regex blockKey(R"(^blocks\.(\d+)\.(.*)$)");
    c.depth = 0;
    std::string mlpKey;
    for (const auto& kv : sd) {
        std::smatch m;
        if (!std::regex_match(kv.first, m, blockKey))
            continue;
        c.depth = std::max<int64_t>(c.depth, std::stoll(m[1].str()) + 1);
        c.layerScale = c.layerScale || m[2] == "ls1.gamma" || m[2] == "ls2.gamma";
        if (m[2] == "mlp.fc1.weight" && mlpKey.empty())
            mlpKey = kv.first;
    }
    const auto sidecar = sidecarConfig(file);
    if (sd.count("reg_token"))
        c.registerTokens = need("reg_token", 3).size(1);
    const int64_t patches = pos.size(1) - (c.distilled ? 2 : 1);
    const auto grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(patches))));
    if (grid * grid != patches)
        throw Error(file,
                    "pos_embed has " + std::to_string(pos.size(1)) + " tokens, not a square grid plus prefix tokens");
    c.imageSize = grid * c.patchSize;
    if (sidecar.contains("depth") && sidecar.at("depth").is_number_integer())
        c.depth = std::max<int64_t>(c.depth, sidecar.at("depth").get<int64_t>());
    if (c.depth == 0)
        throw Error(file, "no transformer blocks (no 'blocks.N.' keys)");
    if (!mlpKey.empty())
        c.mlpHidden = need(mlpKey, 2).size(0);
    else if (sidecar.contains("mlp_hidden") && sidecar.at("mlp_hidden").is_number_integer())
        c.mlpHidden = sidecar.at("mlp_hidden").get<int64_t>();
    else // no block keeps an MLP: the width is never used
        c.mlpHidden = 4 * c.embedDim;
    c.numClasses = need("head.weight", 2).size(0);
    c.headOnPatchMean = need("head.weight", 2).size(1) == 2 * c.embedDim;
    c.maskToken = sd.count("mask_token") > 0;
    const int64_t sidecarHeads = sidecar.contains("num_heads") && sidecar.at("num_heads").is_number_integer()
                                     ? sidecar.at("num_heads").get<int64_t>()
                                     : 0;
    c.numHeads =
        options.numHeads.value_or(sidecarHeads > 0 ? sidecarHeads : (c.embedDim % 64 == 0 ? c.embedDim / 64 : 0));
    if (c.numHeads <= 0)
        throw Error(file, "cannot tell the number of attention heads for width " + std::to_string(c.embedDim) +
                              "; the number of heads must be given");
    c.validate();
    return c;
}

StateDict torchvisionToTimm(const StateDict& tv, const std::string& file)
{
    static const std::vector<std::pair<std::regex, std::string>> rules{
        {std::regex(R"(^conv_proj\.(weight|bias)$)"), "patch_embed.proj.$1"},
        {std::regex(R"(^class_token$)"), "cls_token"},
        {std::regex(R"(^encoder\.pos_embedding$)"), "pos_embed"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.ln_1\.(weight|bias)$)"), "blocks.$1.norm1.$2"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_weight$)"),
         "blocks.$1.attn.qkv.weight"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_bias$)"),
         "blocks.$1.attn.qkv.bias"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.out_proj\.(weight|bias)$)"),
         "blocks.$1.attn.proj.$2"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.ln_2\.(weight|bias)$)"), "blocks.$1.norm2.$2"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.mlp\.(0|linear_1)\.(weight|bias)$)"),
         "blocks.$1.mlp.fc1.$3"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.mlp\.(3|linear_2)\.(weight|bias)$)"),
         "blocks.$1.mlp.fc2.$3"},
        {std::regex(R"(^encoder\.ln\.(weight|bias)$)"), "norm.$1"},
        {std::regex(R"(^heads\.head\.(weight|bias)$)"), "head.$1"},
    };
    StateDict out;
    for (const auto& [key, t] : tv) {
        bool mapped = false;
        for (const auto& [re, repl] : rules) {
            if (std::regex_match(key, re)) {
                out[std::regex_replace(key, re, repl)] = t;
                mapped = true;
                break;
            }
        }
        if (!mapped)
            throw Error(file, "torchvision key '" + key +
                                  "' has no counterpart in a DeiT/timm ViT "
                                  "(pre-logits heads are not supported)");
    }
    return out;
}

} // namespace mlpify::core
