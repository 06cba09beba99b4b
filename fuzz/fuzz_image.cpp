// Images in a class-folder dataset, decoded by OpenCV: first byte picks the file extension
// (OpenCV decodes by content, the extension only decides whether the file is listed).
#include "core/data/dataset.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    static const char* kExtensions[] = {".png", ".jpg", ".bmp", ".webp", ".tiff", ".ppm", ".pgm", ".jpeg"};
    const auto dir = mlpify::fuzz::scratchDir() / "images";
    std::filesystem::remove_all(dir / "cls");
    mlpify::fuzz::writeInput("images/cls/a" + std::string(kExtensions[data[0] % 8]), data + 1, size - 1);
    mlpify::fuzz::rejectCleanly([&] {
        mlpify::core::loadDataset("folder:" + dir.string(), mlpify::core::Split::Test,
                                  mlpify::core::DataOptions().size(32));
    });
    return 0;
}
