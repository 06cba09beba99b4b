// ONNX export in a build without the ONNX library (a GPU server's headless build): refused by
// name, with what the build lacks.
#include "core/io/onnx_export.h"

#include "core/error.h"

namespace mlpify::core {

namespace {
constexpr const char* kWhy = "ONNX export needs the ONNX library, and this MLPify was built without it (install "
                             "it, e.g. Debian's libonnx-dev, and configure again)";
}

std::string onnxModelBytes(const ModelBundle&)
{
    throw Error("ONNX export", kWhy);
}

void exportOnnx(const ModelBundle&, const std::string& path)
{
    throw Error(path, kWhy);
}

bool onnxExportAvailable()
{
    return false;
}

} // namespace mlpify::core
