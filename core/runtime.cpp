#include "core/runtime.h"

#include <torch/torch.h>

#include <ATen/Parallel.h>

#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
#error "runtime.cpp must be compiled with OpenMP: at::parallel_for would run every task on one thread"
#endif

#include <algorithm>
#include <dlfcn.h>
#include <limits>
#include <malloc.h>
#include <numeric>
#include <string>
#include <thread>

namespace mlpify::core {

int defaultThreads()
{
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

std::string blasThreading()
{
    using GetParallel = int (*)();
    auto* fn = reinterpret_cast<GetParallel>(dlsym(RTLD_DEFAULT, "openblas_get_parallel"));
    if (!fn)
        return "other";
    switch (fn()) {
    case 0:
        return "openblas-sequential";
    case 1:
        return "openblas-pthread";
    case 2:
        return "openblas-openmp";
    default:
        return "other";
    }
}

void configureThreads(int n)
{
    n = n > 0 ? n : defaultThreads();
    // LibTorch's threads are OpenMP's; setting them also sets this thread's OpenMP team size,
    // which OpenBLAS's OpenMP build follows at every call.
    torch::set_num_threads(n);
    using SetThreads = void (*)(int);
    auto* setBlas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (!setBlas)
        return;
    // OpenBLAS's pthread build would start a second pool beside OpenMP's: one thread for it.
    setBlas(blasThreading() == "openblas-openmp" ? n : 1);
}

void configureAllocator()
{
    // Every batch frees its activations and asks for the same sizes again. glibc gives blocks above
    // its mmap threshold back to the kernel and trims the top of the heap, so each batch would fault
    // in fresh zeroed pages; the largest threshold glibc accepts (32 MiB on 64-bit) and no trimming
    // keep those pages in the process for the next batch.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
}

void runBalanced(const std::vector<double>& costs, const std::function<void(size_t)>& task)
{
    const auto workers = std::min<size_t>(static_cast<size_t>(std::max(1, at::get_num_threads())), costs.size());
    if (workers <= 1 || at::in_parallel_region()) {
        for (size_t k = 0; k < costs.size(); ++k)
            task(k);
        return;
    }
    std::vector<size_t> order(costs.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return costs[a] > costs[b]; });
    std::vector<std::vector<size_t>> plan(workers);
    std::vector<double> load(workers, 0.0);
    for (auto k : order) {
        const auto w = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        plan[w].push_back(k);
        load[w] += costs[k];
    }
    const bool grad = torch::GradMode::is_enabled();
    at::parallel_for(0, static_cast<int64_t>(workers), 1, [&](int64_t begin, int64_t end) {
        torch::AutoGradMode mode(grad); // grad mode is per thread; workers take the caller's
        for (auto w = begin; w < end; ++w)
            for (auto k : plan[static_cast<size_t>(w)])
                task(k);
    });
}

} // namespace mlpify::core
