#include "core/bench/benchmark.h"
#include "core/bench/model_numbers.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/torch_compat.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlpify::core;

TEST(Benchmark, AnalyticFlopsFollowTheClosedForm)
{
    const auto c = mlpify::testing::tinyConfig(2); // 49 patches + CLS, width 24, MLP 48, 10 classes
    const double n = 50, d = 24, h = 48;
    const double embed = 2.0 * 49 * 16 * d;
    const double attention = 2 * n * d * 3 * d + 4 * n * n * d + 2 * n * d * d;
    const double mlp = 4 * n * d * h;
    const double head = 2 * d * 10;
    std::vector<BlockMode> modes(2);
    EXPECT_DOUBLE_EQ(analyticFlops(c, modes), embed + 2 * (attention + mlp) + head);
    modes[1] = {AttnMode::Removed, 0.0};
    EXPECT_DOUBLE_EQ(analyticFlops(c, modes), embed + attention + 2 * mlp + head);
}

TEST(Benchmark, RemovalSavingsAreTheRemovedModelsCounts)
{
    auto model = makeModel(mlpify::testing::tinyConfig(4));
    const auto before = summarize(model);
    const auto s = removalSavings(before, {2, 0, 2}); // a repeated block counts once
    auto modes = model.net->blockModes();
    modes[0] = modes[2] = {AttnMode::Removed, 0.0};
    model.net->setBlockModes(modes);
    const auto after = summarize(model);
    EXPECT_EQ(s.paramsBefore, before.totalParams);
    EXPECT_EQ(s.paramsBefore - s.paramsRemoved, after.totalParams);
    EXPECT_GT(s.paramsRemoved, 0);
    EXPECT_DOUBLE_EQ(s.flopsBefore, analyticFlops(before.config, std::vector<BlockMode>(4)));
    EXPECT_DOUBLE_EQ(s.flopsAfter, analyticFlops(after.config, modes));
    // Removing an MLP-only block again saves nothing more.
    const auto again = removalSavings(after, {0});
    EXPECT_EQ(again.paramsRemoved, 0);
    EXPECT_DOUBLE_EQ(again.flopsAfter, again.flopsBefore);
    EXPECT_THROW(removalSavings(before, {4}), Error);
    EXPECT_THROW(removalSavings(before, {-1}), Error);
}

TEST(Benchmark, RunMemoryIsPerRunAndGrowsWithTheBatch)
{
    auto model = makeModel(mlpify::testing::tinyConfig(2));
    BenchOptions o;
    o.device = "cpu";
    o.repeats = 2;
    o.warmup = 1;
    o.batchSize = 1024;
    const auto big = benchmarkModel(model, o);
    o.batchSize = 8;
    const auto small = benchmarkModel(model, o); // after the big run: a cumulative peak would not drop
    if (!big.peakIsPerRun || !small.peakIsPerRun)
        GTEST_SKIP() << "this kernel refuses to reset the peak RSS (/proc/self/clear_refs)";
    // 1024 images: the MLP's hidden activations alone are 1024 * 50 * 48 * 4 bytes = 9.4 MiB
    EXPECT_GT(big.runMemoryMiB, 9.0);
#if defined(__SANITIZE_ADDRESS__)
    // ASan's shadow pages and the quarantine of freed blocks are resident too: only the order holds.
    EXPECT_LT(small.runMemoryMiB, big.runMemoryMiB);
#else
    EXPECT_LT(small.runMemoryMiB, 2.0);
#endif
    EXPECT_LT(small.peakRssMiB, big.peakRssMiB);
    EXPECT_EQ(big.parameters, model.net->parameterCount());
    EXPECT_DOUBLE_EQ(big.weightsMiB, static_cast<double>(big.parameters) * 4.0 / (1024.0 * 1024.0));
}

// bf16 autocast: the products run in bfloat16 inside the scope, float32 after it; the benchmark
// and a training step say so and run.
TEST(Benchmark, Bf16AutocastIsScopedAndStated)
{
    auto model = makeModel(mlpify::testing::tinyConfig(2));
    model.net->eval();
    const auto x = torch::randn({2, 1, 28, 28});
    {
        torch::NoGradGuard g;
        mlpify::core::compat::ScopedBf16Autocast outer(torch::kCPU, true);
        {
            mlpify::core::compat::ScopedBf16Autocast inner(torch::kCPU, true);
            EXPECT_EQ(model.net->forward(x).scalar_type(), torch::kBFloat16);
        }
        EXPECT_EQ(model.net->forward(x).scalar_type(), torch::kBFloat16); // the outer scope still holds
    }
    EXPECT_EQ(model.net->forward(x).scalar_type(), torch::kFloat);
    {
        torch::NoGradGuard g;
        mlpify::core::compat::ScopedBf16Autocast off(torch::kCPU, false);
        EXPECT_EQ(model.net->forward(x).scalar_type(), torch::kFloat);
    }
    BenchOptions o;
    o.device = "cpu";
    o.batchSize = 4;
    o.warmup = 0;
    o.repeats = 1;
    o.bf16 = true;
    const auto r = benchmarkTraining(model, o);
    EXPECT_EQ(r.precision, "bf16 autocast");
    EXPECT_EQ(r.parallelism, "ops"); // autocast is per thread: never a batch split over threads
    EXPECT_EQ(model.net->forward(x).scalar_type(), torch::kFloat);
    o.bf16 = false;
    EXPECT_EQ(benchmarkModel(model, o).precision, "float32");
}

TEST(Benchmark, RatiosToTheOriginalAreNotInventedForWhatWasNotMeasured)
{
    const ModelNumbers original{"original", 0.9, 400, 2.0, 100, 50};
    const ModelNumbers slimmed{"slimmed", 0.81, 300, 1.5, 150, -1};
    const auto r = ratios(original, slimmed);
    EXPECT_EQ(r.name, "slimmed");
    EXPECT_DOUBLE_EQ(r.top1, 0.9);
    EXPECT_DOUBLE_EQ(r.parameters, 0.75);
    EXPECT_DOUBLE_EQ(r.gflopsPerImage, 0.75);
    EXPECT_DOUBLE_EQ(r.imagesPerSecond, 1.5);
    EXPECT_TRUE(std::isnan(r.runMemoryMiB)); // not measured
    EXPECT_TRUE(std::isnan(ratioTo(-1, 0.5)));
    EXPECT_TRUE(std::isnan(ratioTo(0, 0.5)));
    const auto back = nlohmann::json(slimmed).get<ModelNumbers>();
    EXPECT_EQ(back.name, slimmed.name);
    EXPECT_DOUBLE_EQ(back.top1, slimmed.top1);
    EXPECT_DOUBLE_EQ(back.imagesPerSecond, slimmed.imagesPerSecond);
    EXPECT_DOUBLE_EQ(back.runMemoryMiB, -1);
    EXPECT_DOUBLE_EQ(nlohmann::json({{"name", "x"}}).get<ModelNumbers>().top1, -1); // missing: not measured
}
