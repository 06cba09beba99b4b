#include "core/runtime.h"

#include <torch/torch.h>

#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

using namespace mlpify::core;

TEST(Runtime, RunBalancedRunsEveryTaskOnceAndKeepsGradMode)
{
    torch::set_num_threads(2);
    const std::vector<double> costs{5, 1, 4, 2, 3, 0.5, 7};
    std::vector<std::atomic<int>> runs(costs.size());
    std::atomic<int> withGrad{0};
    torch::NoGradGuard noGrad;
    const auto t = torch::randn({64, 100}, torch::kDouble); // inside and outside may sum in other orders
    const auto expected = torch::matmul(t, t.t());
    runBalanced(costs, [&](size_t k) {
        runs[k]++;
        if (torch::GradMode::is_enabled())
            withGrad++;
        // ops inside a task give the same numbers as outside
        EXPECT_TRUE(torch::allclose(torch::matmul(t, t.t()), expected, 1e-12, 1e-12));
    });
    for (const auto& r : runs)
        EXPECT_EQ(r.load(), 1);
    EXPECT_EQ(withGrad.load(), 0);
}

TEST(Runtime, RunBalancedRethrowsATasksError)
{
    torch::set_num_threads(2);
    EXPECT_THROW(runBalanced({1, 1, 1},
                             [](size_t k) {
                                 if (k == 1)
                                     throw std::runtime_error("task 1 failed");
                             }),
                 std::runtime_error);
}

// The tasks really run side by side: two tasks each wait (bounded) until both have started,
// which on one thread cannot happen. (at::parallel_for runs everything on the calling thread
// when the caller is compiled without OpenMP; this caught exactly that.)
TEST(Runtime, RunBalancedRunsTasksConcurrently)
{
    torch::set_num_threads(2);
    std::atomic<int> started{0};
    std::atomic<int> metOther{0};
    std::atomic<int> inRegion{0};
    runBalanced({1, 1}, [&](size_t) {
        started++;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (started.load() < 2 && std::chrono::steady_clock::now() < until)
            std::this_thread::yield();
        if (started.load() == 2)
            metOther++;
        if (at::in_parallel_region())
            inRegion++; // so ops inside run single-threaded
    });
    EXPECT_EQ(metOther.load(), 2);
    EXPECT_EQ(inRegion.load(), 2);
}
