// Architecture of a DeiT/timm-layout VisionTransformer and the named presets; plain data.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

struct ViTConfig {
    std::string name = "custom";
    int64_t imageSize = 224;
    int64_t patchSize = 16;
    int64_t inChans = 3;
    int64_t numClasses = 1000; // 0: no classifier (a base model); forward gives the class token's feature
    int64_t embedDim = 768;
    int64_t depth = 12;
    int64_t numHeads = 12;
    int64_t mlpHidden = 3072;  // fc1 width, 4 * embedDim for every DeiT
    bool distilled = false;    // a distillation token after the class token
    bool distilledHead = true; // with distilled: head_dist on it, averaged with head (DeiT's rule);
                               // false: the class token's head alone (transformers' DeiTForImageClassification)
    double lnEps = 1e-6;
    // DINOv2's additions (all off for DeiT/timm ViTs):
    bool layerScale = false;      // each branch scaled per channel: x + gamma * f(x) (ls1.gamma, ls2.gamma)
    int64_t registerTokens = 0;   // tokens after the class token, without a position embedding
    bool maskToken = false;       // a [1, D] mask_token kept for export; no forward reads it
    bool headOnPatchMean = false; // the classifier reads [class token, mean patch token] (width 2D)
    bool pooler = false;          // transformers' ViTModel pooler (dense D x D) kept for export; unused

    int64_t gridSize() const { return imageSize / patchSize; }
    int64_t numPatches() const { return gridSize() * gridSize(); }
    // Tokens before the patch tokens: class, distillation, registers.
    int64_t numPrefixTokens() const { return (distilled ? 2 : 1) + registerTokens; }
    int64_t numTokens() const { return numPatches() + numPrefixTokens(); }
    int64_t numPositions() const { return numPatches() + (distilled ? 2 : 1); } // pos_embed rows
    int64_t headInputDim() const { return headOnPatchMean ? 2 * embedDim : embedDim; }
    bool hasDistHead() const { return distilled && distilledHead && numClasses > 0; }
    bool hasClassifier() const { return numClasses > 0; }

    // Throws Error when the numbers cannot describe a working model.
    void validate() const;
};

// "micro", "deit_tiny_patch16_224", "deit_small_patch16_224", "deit_base_patch16_224".
ViTConfig presetConfig(const std::string& name);
std::vector<std::string> presetNames();

void to_json(nlohmann::json& j, const ViTConfig& c);
void from_json(const nlohmann::json& j, ViTConfig& c);

} // namespace mlpify::core
