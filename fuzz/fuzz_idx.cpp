// IDX datasets (raw or gzip; zlib reads both): input = u32 LE length of the image file, the
// image file, then the label file.
#include "core/data/dataset.h"
#include "fuzz/fuzz_support.h"

#include <algorithm>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    uint32_t imageBytes = 0;
    if (size >= 4)
        std::memcpy(&imageBytes, data, 4);
    const size_t rest = size >= 4 ? size - 4 : 0;
    const size_t n = std::min<size_t>(imageBytes, rest);
    const auto dir = mlpify::fuzz::scratchDir() / "idx";
    mlpify::fuzz::writeInput("idx/t10k-images-idx3-ubyte", data + (size - rest), n);
    mlpify::fuzz::writeInput("idx/t10k-labels-idx1-ubyte", data + (size - rest) + n, rest - n);
    mlpify::fuzz::rejectCleanly([&] { mlpify::core::loadDataset("idx:" + dir.string(), mlpify::core::Split::Test); });
    return 0;
}
