#include "core/bench/model_numbers.h"

#include <limits>

namespace mlpify::core {

double ratioTo(double reference, double value)
{
    return reference > 0 && value >= 0 ? value / reference : std::numeric_limits<double>::quiet_NaN();
}

ModelNumbers ratios(const ModelNumbers& reference, const ModelNumbers& m)
{
    return {m.name,
            ratioTo(reference.top1, m.top1),
            ratioTo(reference.parameters, m.parameters),
            ratioTo(reference.gflopsPerImage, m.gflopsPerImage),
            ratioTo(reference.imagesPerSecond, m.imagesPerSecond),
            ratioTo(reference.runMemoryMiB, m.runMemoryMiB)};
}

void to_json(nlohmann::json& j, const ModelNumbers& m)
{
    j = {{"name", m.name},
         {"top1", m.top1},
         {"parameters", m.parameters},
         {"gflops_per_image", m.gflopsPerImage},
         {"images_per_s", m.imagesPerSecond},
         {"run_memory_mib", m.runMemoryMiB}};
}

void from_json(const nlohmann::json& j, ModelNumbers& m)
{
    m.name = j.at("name").get<std::string>();
    m.top1 = j.value("top1", -1.0);
    m.parameters = j.value("parameters", 0.0);
    m.gflopsPerImage = j.value("gflops_per_image", 0.0);
    m.imagesPerSecond = j.value("images_per_s", 0.0);
    m.runMemoryMiB = j.value("run_memory_mib", -1.0);
}

} // namespace mlpify::core
