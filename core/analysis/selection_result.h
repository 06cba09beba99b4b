// The outcome of a layer selection as plain data (no LibTorch): shared by CLI, GUI and tests.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace mlpify::core {

struct SelectionResult {
    std::string method;                          // nose, exhaustive, single-te, first, random, entropy
    std::vector<int64_t> selected;               // in the order chosen
    std::vector<double> stepValues;              // TE of the set after each step (nose); empty otherwise
    std::vector<std::vector<double>> candidates; // step x layer: T[l] at that step, NaN where not a candidate
    double headEntropyFull = std::nan("");       // H(G | full model), when computed
    int64_t passes = 0;                          // set evaluations over the calibration data
    int64_t blockPasses = 0;                     // blocks run per calibration image (nose)
    int64_t guessPasses = 0;                     // set evaluations on the subset that guessed the path (nose)
    // With a bootstrap of the calibration images (TeOptions::bootstrap): the 95% percentile
    // interval of each candidates cell over `resamples` resamples; NaN where the cell has none.
    std::vector<std::vector<double>> candidatesLow, candidatesHigh;
    int resamples = 0;
    nlohmann::json settings;
};

void to_json(nlohmann::json& j, const SelectionResult& r);
void from_json(const nlohmann::json& j, SelectionResult& r);

} // namespace mlpify::core
