// A frequency-spectrum result as plain data (no LibTorch): shared by CLI, GUI and tests.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

struct BlockSpectrum {
    int64_t block = 0;
    std::vector<double> radius; // normalised radial frequency (1 = pi)
    std::vector<double> dlogA;  // relative log amplitude, natural log
};

struct SpectrumResult {
    std::string model;
    std::vector<BlockSpectrum> blocks;
    int64_t grid = 0;
    nlohmann::json settings;
};

void to_json(nlohmann::json& j, const SpectrumResult& r);
void from_json(const nlohmann::json& j, SpectrumResult& r);

} // namespace mlpify::core
