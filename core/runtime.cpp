#include "core/runtime.h"

#include <torch/torch.h>

#include <dlfcn.h>
#include <thread>

namespace mlpify::core {

int defaultThreads()
{
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

void configureThreads(int n)
{
    using SetThreads = void (*)(int);
    if (auto* fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        fn(1);
    torch::set_num_threads(n > 0 ? n : defaultThreads());
}

} // namespace mlpify::core
