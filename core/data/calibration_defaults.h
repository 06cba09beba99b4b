// The calibration images every face takes unless told otherwise (plain constants, no LibTorch):
// 1000 images of the training split, drawn with seed 0, as the paper presumes test data unavailable.
#pragma once

#include <cstdint>

namespace mlpify::core {

inline constexpr int64_t kCalibrationImages = 1000;
inline constexpr uint64_t kCalibrationSeed = 0;
inline constexpr const char* kCalibrationSplit = "train";

} // namespace mlpify::core
