// Model files (.pth, .mlpify, .safetensors): the whole import a user's file goes through, zip +
// pickle VM or safetensors header, then the ViT shape checks and the state dict load.
#include "core/io/model_io.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto path = mlpify::fuzz::writeInput("model", data, size);
    // The seeds are 8 wide, so the default head count (width / 64) would refuse them all.
    mlpify::fuzz::rejectCleanly([&] { mlpify::core::loadModel(path, mlpify::core::ImportOptions().heads(2)); });
    return 0;
}
