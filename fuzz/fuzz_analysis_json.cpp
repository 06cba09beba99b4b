// The result JSON files users hand back to MLPify (`mlpify select analysis.json`, the figure
// renderers): read with readJsonFile, then each result type's from_json. Their callers turn
// nlohmann's exceptions into an Error naming the file, so those are clean rejections too.
#include "core/analysis/entropy_profile_result.h"
#include "core/analysis/selection_result.h"
#include "core/analysis/spectrum_result.h"
#include "core/json_file.h"
#include "fuzz/fuzz_support.h"

namespace {
template <class Result> void convert(const nlohmann::json& j)
{
    try {
        (void)j.get<Result>();
    } catch (const nlohmann::json::exception&) {
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto path = mlpify::fuzz::writeInput("analysis.json", data, size);
    mlpify::fuzz::rejectCleanly([&] {
        const auto j = mlpify::core::readJsonFile(path);
        convert<mlpify::core::EntropyProfile>(j);
        convert<mlpify::core::SelectionResult>(j);
        convert<mlpify::core::SpectrumResult>(j);
    });
    return 0;
}
