// The accuracy-throughput front: models (the original and slimmed ones) under a range of token
// merging settings, each measured for test top-1 and images/s, with the points no other beats.
// The types are plain data (the GUI's front view includes this header).
#pragma once

#include "core/model/merge_schedule.h"
#include "core/progress.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlpify::core {

struct FrontPoint {
    std::string model; // the model spec
    std::string label; // e.g. "original", "slimmed"
    int64_t r = 0;     // ToMe r in every block (0: no merging)
    MergeSchedule tome;
    double top1 = 0;
    double imagesPerSecond = 0;
    double gflopsPerImage = 0;
    double latencyMs = 0;
    double runMemoryMiB = 0;
};

// Indices of the points that no other point beats on both top-1 and images/s (at least as good
// on both, better on one), in order of rising throughput. Equal points are all on the front.
std::vector<size_t> paretoFront(const std::vector<FrontPoint>& points);

// One row per point: model, label, r, top1, images_per_s, gflops, latency_ms, run_memory_mib,
// on_front (1/0).
std::string frontCsv(const std::vector<FrontPoint>& points);

struct FrontOptions {
    std::vector<int64_t> rs{0, 1, 2, 3}; // constant ToMe r per block
    int64_t evalLimit = 0;               // test images (0: all)
    int64_t batch = 64;                  // throughput batch
    int repeats = 10;
    std::string device = "auto";
};
// r = 0, 1, ..., maxR: the range a front measures.
std::vector<int64_t> tomeRange(int64_t maxR);

struct FrontModel {
    std::string spec, label;
};
// Measures every model at every r: top-1 on the data's test split, then images/s. Empty when
// cancelled; Error naming the model or data that cannot be read.
std::vector<FrontPoint> measureFront(const std::vector<FrontModel>& models, const std::string& data,
                                     const FrontOptions& options, Progress& progress,
                                     const CancelToken* cancel = nullptr);

void to_json(nlohmann::json& j, const FrontPoint& p);
void from_json(const nlohmann::json& j, FrontPoint& p);

} // namespace mlpify::core
