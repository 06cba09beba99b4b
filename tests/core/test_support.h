// Small helpers shared by the core tests: a tiny micro-shaped config and per-process temp paths.
#pragma once

#include "core/data/dataset.h"
#include "core/model/vit_config.h"

#include <filesystem>
#include <string>
#include <unistd.h>

namespace mlpify::testing {

// The micro preset (28x28x1, patch 4) made tiny: width 24, 2 heads, MLP 48.
inline core::ViTConfig tinyConfig(int64_t depth, const std::string& name = "tiny-test")
{
    auto c = core::presetConfig("micro");
    c.name = name;
    c.embedDim = 24;
    c.numHeads = 2;
    c.mlpHidden = 48;
    c.depth = depth;
    return c;
}

// A path in a folder of its own for this test process.
inline std::string tempPath(const std::string& group, const std::string& name)
{
    auto d = std::filesystem::temp_directory_path() / ("mlpify_" + group + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return (d / name).string();
}

// n images of Fashion-MNIST's split drawn with seed (Debian's dataset-fashion-mnist), spec kept.
inline core::Dataset fashionMnistSubset(core::Split split, int64_t n, uint64_t seed)
{
    auto full = core::loadDataset("fashion-mnist", split);
    auto s = full.subset(core::seededSubset(full.size(), n, seed));
    s.spec = "fashion-mnist";
    return s;
}

} // namespace mlpify::testing
