#include "core/runtime.h"

#include <torch/torch.h>

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

using namespace mlpify::core;

TEST(Runtime, RunBalancedRunsEveryTaskOnceAndKeepsGradMode)
{
    torch::set_num_threads(2);
    const std::vector<double> costs{5, 1, 4, 2, 3, 0.5, 7};
    std::vector<std::atomic<int>> runs(costs.size());
    std::atomic<int> withGrad{0};
    torch::NoGradGuard noGrad;
    const auto t = torch::randn({64, 100});
    const auto expected = torch::matmul(t, t.t());
    runBalanced(costs, [&](size_t k) {
        runs[k]++;
        if (torch::GradMode::is_enabled())
            withGrad++;
        // ops inside a task give the same numbers as outside
        EXPECT_TRUE(torch::allclose(torch::matmul(t, t.t()), expected, 1e-5, 1e-5));
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
