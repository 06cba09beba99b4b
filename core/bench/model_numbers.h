// Before vs after as plain data (no LibTorch): a model's accuracy, size, cost, throughput and
// memory, and each quantity's ratio to a reference model. The Compare tab, the project file and
// `bench --json` share it.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace mlpify::core {

struct ModelNumbers {
    std::string name;
    double top1 = -1; // fraction; -1 = not measured
    double parameters = 0;
    double gflopsPerImage = 0;
    double imagesPerSecond = 0;
    double runMemoryMiB = -1; // -1 = not measured
};

// value / reference, or NaN where either is not measured (reference <= 0 or value < 0).
double ratioTo(double reference, double value);

// Every quantity of m relative to reference (NaN where not measured).
ModelNumbers ratios(const ModelNumbers& reference, const ModelNumbers& m);

void to_json(nlohmann::json& j, const ModelNumbers& m);   // name, top1, parameters, gflops_per_image, ...
void from_json(const nlohmann::json& j, ModelNumbers& m); // missing numbers: not measured

} // namespace mlpify::core
