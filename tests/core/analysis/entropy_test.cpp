#include "core/analysis/entropy.h"
#include "core/error.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlpify::core;

TEST(Entropy, MatchesTheClosedFormExactly)
{
    // Each channel takes +s and -s equally often: population std is exactly s.
    const std::vector<double> s{0.5, 1.0, 2.0, 3.0};
    auto x = torch::empty({1000, 4}, torch::kDouble);
    for (int64_t i = 0; i < 1000; ++i)
        for (int64_t c = 0; c < 4; ++c)
            x[i][c] = (i % 2 ? 1.0 : -1.0) * s[static_cast<size_t>(c)] + 7.0;
    double expectedNats = 0;
    for (double v : s)
        expectedNats += std::log(v);
    ChannelMoments m;
    m.add(x);
    EXPECT_NEAR(m.entropy(EntropyOptions().base(std::exp(1.0)).dof(0)), expectedNats, 1e-12);
    EXPECT_NEAR(m.entropy(EntropyOptions().base(2.0).dof(0)), expectedNats / std::log(2.0), 1e-12);
    // ddof 1 scales each variance by n / (n - 1)
    EXPECT_NEAR(m.entropy(EntropyOptions().base(std::exp(1.0)).dof(1)), expectedNats + 2.0 * std::log(1000.0 / 999.0),
                1e-12);
    EXPECT_EQ(EntropyOptions().base(2.0).units(), "bits");
    EXPECT_EQ(EntropyOptions().base(std::exp(1.0)).units(), "nats");
}

TEST(Entropy, EstimatesGaussianDataWithKnownVariances)
{
    torch::manual_seed(0);
    const std::vector<double> sigma{0.1, 1.0, 10.0};
    auto x = torch::randn({200000, 3}, torch::kDouble) * torch::tensor(sigma, torch::kDouble);
    double expected = 0;
    for (double v : sigma)
        expected += std::log(v);
    // std error of log(sigma_hat) is about 1/sqrt(2n) per channel
    EXPECT_NEAR(gaussianEntropy(x, EntropyOptions().base(std::exp(1.0)).dof(1)), expected, 0.01);
}

TEST(Entropy, StreamingEqualsOneShotInFloat64)
{
    torch::manual_seed(1);
    auto x = torch::randn({3001, 16}, torch::kFloat) * 3.0 + 100.0; // large mean: the naive formula would lose digits
    ChannelMoments streamed;
    int64_t at = 0;
    for (int64_t size : {1, 7, 128, 1000, 5, 1860}) {
        streamed.add(x.narrow(0, at, size));
        at += size;
    }
    ASSERT_EQ(at, 3001);
    for (int ddof : {0, 1}) {
        const auto o = EntropyOptions().base(2.0).dof(ddof);
        EXPECT_NEAR(streamed.entropy(o), gaussianEntropy(x, o), 1e-9);
    }
    ChannelMoments a, b;
    a.add(x.narrow(0, 0, 1500));
    b.add(x.narrow(0, 1500, 1501));
    a.merge(b);
    EXPECT_NEAR(a.entropy(EntropyOptions()), streamed.entropy(EntropyOptions()), 1e-9);
}

TEST(Entropy, ConstantChannelIsMinusInfinityNotNaN)
{
    auto x = torch::randn({50, 3}, torch::kDouble);
    x.select(1, 1).fill_(4.0);
    ChannelMoments m;
    m.add(x);
    const double h = m.entropy(EntropyOptions());
    EXPECT_TRUE(std::isinf(h) && h < 0);
    EXPECT_TRUE(std::isinf(gaussianEntropy(x, EntropyOptions())));
    ChannelMoments one;
    one.add(x.narrow(0, 0, 1));
    EXPECT_THROW(one.entropy(EntropyOptions().dof(1)), Error);
}
