// CIFAR binary batches: first byte odd = CIFAR-100 (test.bin), even = CIFAR-10 (test_batch.bin).
#include "core/data/dataset.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const bool cifar100 = data[0] & 1;
    const auto dir = mlpify::fuzz::scratchDir() / (cifar100 ? "cifar100" : "cifar10");
    mlpify::fuzz::writeInput((cifar100 ? "cifar100/test.bin" : "cifar10/test_batch.bin"), data + 1, size - 1);
    const std::string spec = (cifar100 ? "cifar100:" : "cifar10:") + dir.string();
    mlpify::fuzz::rejectCleanly([&] { mlpify::core::loadDataset(spec, mlpify::core::Split::Test); });
    return 0;
}
