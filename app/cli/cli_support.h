// What the analysis commands share: the calibration-data options, CSV numbers, atomic text
// output and the way a set of layers is printed.
#pragma once

#include "core/analysis/calibration.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace mlpify::app {

struct DataArgs {
    std::string data = "fashion-mnist";
    int64_t images = core::kCalibrationImages;
    uint64_t seed = core::kCalibrationSeed;
    std::string split = core::kCalibrationSplit;
    int64_t batch = 64; // images per forward; on a CPU one batch per thread (measured: 64 fastest, analysis.md)

    void add(CLI::App* cmd);
    core::CalibrationOptions calibration() const { return {images, seed, split}; }
};

std::string csvNumber(double v);                                  // empty for NaN
void writeText(const std::string& path, const std::string& text); // atomically; says so on stderr
std::string joinLayers(const std::vector<int64_t>& v);            // "{2,6}"
std::string joined(const std::vector<std::string>& words, const std::string& separator);

} // namespace mlpify::app
