#include "core/model/vit_config.h"

#include "core/error.h"
#include "core/json_file.h"

namespace mlpify::core {

void ViTConfig::validate() const
{
    auto fail = [&](const std::string& why) { throw Error("model config '" + name + "'", why); };
    if (imageSize <= 0 || patchSize <= 0 || imageSize % patchSize != 0)
        fail("image size " + std::to_string(imageSize) + " is not a multiple of patch size " +
             std::to_string(patchSize));
    if (inChans <= 0 || numClasses < 0 || depth <= 0 || mlpHidden <= 0)
        fail("channels, depth and MLP width must be positive, classes 0 (no classifier) or more");
    if (numHeads <= 0 || embedDim % numHeads != 0)
        fail("embedding width " + std::to_string(embedDim) + " is not divisible by " + std::to_string(numHeads) +
             " heads");
    if (registerTokens < 0 || registerTokens > 256)
        fail("register tokens must be 0 to 256 (got " + std::to_string(registerTokens) + ")");
}

ViTConfig presetConfig(const std::string& name)
{
    ViTConfig c;
    c.name = name;
    auto deit = [&](int64_t dim, int64_t heads) {
        c.embedDim = dim;
        c.numHeads = heads;
        c.mlpHidden = 4 * dim;
    };
    if (name == "micro") {
        // Sized so the default Fashion-MNIST model trains in well under an hour on 2 CPU cores.
        c.imageSize = 28;
        c.patchSize = 4;
        c.inChans = 1;
        c.numClasses = 10;
        deit(48, 3);
    } else if (name == "deit_tiny_patch16_224") {
        deit(192, 3);
    } else if (name == "deit_small_patch16_224") {
        deit(384, 6);
    } else if (name == "deit_base_patch16_224") {
        deit(768, 12);
    } else {
        std::string known;
        for (const auto& n : presetNames())
            known += (known.empty() ? "" : ", ") + n;
        throw Error("unknown model preset '" + name + "' (known: " + known + ")");
    }
    return c;
}

std::vector<std::string> presetNames()
{
    return {"micro", "deit_tiny_patch16_224", "deit_small_patch16_224", "deit_base_patch16_224"};
}

void to_json(nlohmann::json& j, const ViTConfig& c)
{
    j = {{"name", c.name},
         {"image_size", c.imageSize},
         {"patch_size", c.patchSize},
         {"in_chans", c.inChans},
         {"num_classes", c.numClasses},
         {"embed_dim", c.embedDim},
         {"depth", c.depth},
         {"num_heads", c.numHeads},
         {"mlp_hidden", c.mlpHidden},
         {"distilled", c.distilled},
         {"ln_eps", c.lnEps}};
    if (c.distilled && !c.distilledHead) // written only where set: files of DeiT-layout models stay as they were
        j["distilled_head"] = false;
    if (c.layerScale)
        j["layer_scale"] = true;
    if (c.registerTokens)
        j["register_tokens"] = c.registerTokens;
    if (c.maskToken)
        j["mask_token"] = true;
    if (c.headOnPatchMean)
        j["head_input"] = "class+patch_mean";
    if (c.pooler)
        j["pooler"] = true;
}

void from_json(const nlohmann::json& j, ViTConfig& c)
{
    c.name = j.at("name").get<std::string>();
    c.imageSize = jsonInteger(j.at("image_size"));
    c.patchSize = jsonInteger(j.at("patch_size"));
    c.inChans = jsonInteger(j.at("in_chans"));
    c.numClasses = jsonInteger(j.at("num_classes"));
    c.embedDim = jsonInteger(j.at("embed_dim"));
    c.depth = jsonInteger(j.at("depth"));
    c.numHeads = jsonInteger(j.at("num_heads"));
    c.mlpHidden = jsonInteger(j.at("mlp_hidden"));
    c.distilled = j.value("distilled", false);
    c.lnEps = j.value("ln_eps", 1e-6);
    c.distilledHead = j.value("distilled_head", true);
    c.layerScale = j.value("layer_scale", false);
    c.registerTokens = j.contains("register_tokens") ? jsonInteger(j.at("register_tokens")) : 0;
    c.maskToken = j.value("mask_token", false);
    c.pooler = j.value("pooler", false);
    const auto head = j.value("head_input", std::string("class"));
    if (head != "class" && head != "class+patch_mean")
        throw Error("model config", "head_input '" + head + "' is unknown (class, class+patch_mean)");
    c.headOnPatchMean = head == "class+patch_mean";
}

} // namespace mlpify::core
