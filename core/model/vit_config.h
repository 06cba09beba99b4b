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
    int64_t numClasses = 1000;
    int64_t embedDim = 768;
    int64_t depth = 12;
    int64_t numHeads = 12;
    int64_t mlpHidden = 3072; // fc1 width, 4 * embedDim for every DeiT
    bool distilled = false;
    double lnEps = 1e-6;

    int64_t gridSize() const { return imageSize / patchSize; }
    int64_t numPatches() const { return gridSize() * gridSize(); }
    int64_t numPrefixTokens() const { return distilled ? 2 : 1; }
    int64_t numTokens() const { return numPatches() + numPrefixTokens(); }

    // Throws Error when the numbers cannot describe a working model.
    void validate() const;
};

// "micro", "deit_tiny_patch16_224", "deit_small_patch16_224", "deit_base_patch16_224".
ViTConfig presetConfig(const std::string& name);
std::vector<std::string> presetNames();

void to_json(nlohmann::json& j, const ViTConfig& c);
void from_json(const nlohmann::json& j, ViTConfig& c);

} // namespace mlpify::core
