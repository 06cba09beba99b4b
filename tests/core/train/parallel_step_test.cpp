// The batch split across threads (model/inference.h, train/parallel_step.h) computes what one
// thread computes. Compared in float64, where a tolerance of 1e-10 is far above the rounding of
// a different summation order and far below any real difference.
#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/model/inference.h"
#include "core/train/parallel_step.h"
#include "core/train/trainer.h"
#include "tests/core/test_support.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

using namespace mlpify::core;

namespace {
// Restores LibTorch's thread count when a test ends, whatever it set.
struct Threads {
    explicit Threads(int n) : before(at::get_num_threads()) { at::set_num_threads(n); }
    ~Threads() { at::set_num_threads(before); }
    int before;
};

ModelBundle float64Model(int64_t depth = 3)
{
    torch::manual_seed(0);
    auto model = makeModel(mlpify::testing::tinyConfig(depth, "split-test"));
    model.net->to(torch::kDouble);
    return model;
}

std::map<std::string, torch::Tensor> gradients(VisionTransformer& net)
{
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : net->named_parameters())
        out[p.key()] = p.value().grad().clone();
    return out;
}

void expectClose(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b)
{
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [k, t] : a) {
        ASSERT_TRUE(t.defined()) << k;
        EXPECT_TRUE(torch::allclose(t, b.at(k), 1e-10, 1e-12))
            << k << " differs by " << (t - b.at(k)).abs().max().item<double>();
    }
}
} // namespace

TEST(ParallelStep, SplitBatchGivesContiguousPartsCoveringEveryImageOnce)
{
    using Parts = std::vector<std::pair<int64_t, int64_t>>;
    EXPECT_EQ(splitBatch(10, 3), (Parts{{0, 4}, {4, 3}, {7, 3}}));
    EXPECT_EQ(splitBatch(2, 5), (Parts{{0, 1}, {1, 1}})); // never an empty part
    EXPECT_EQ(splitBatch(7, 1), (Parts{{0, 7}}));
    EXPECT_EQ(splitBatch(128, 16).size(), 16u);
}

TEST(ParallelStep, AutoSplitsNarrowModelsAndRunsWideOnesWithinEachOp)
{
    auto narrow = mlpify::testing::tinyConfig(2);
    auto wide = presetConfig("deit_small_patch16_224");
    auto base = presetConfig("deit_base_patch16_224");
    auto large = base;
    large.embedDim = 1024;
    EXPECT_EQ(resolveParallelism(Parallelism::Auto, narrow, 128, 2), Parallelism::AcrossImages);
    EXPECT_EQ(resolveParallelism(Parallelism::Auto, wide, 128, 2), Parallelism::WithinOps);
    // Training splits the batch up to a wider model than inference does (the thresholds' comment).
    EXPECT_EQ(resolveParallelism(Parallelism::Auto, wide, 128, 2, Workload::Training), Parallelism::AcrossImages);
    EXPECT_EQ(resolveParallelism(Parallelism::Auto, base, 128, 2, Workload::Training), Parallelism::AcrossImages);
    EXPECT_EQ(resolveParallelism(Parallelism::Auto, large, 128, 2, Workload::Training), Parallelism::WithinOps);
    EXPECT_EQ(resolveParallelism(Parallelism::WithinOps, narrow, 128, 2, Workload::Training), Parallelism::WithinOps);
    EXPECT_EQ(resolveParallelism(Parallelism::Auto, base, 1, 2, Workload::Training), Parallelism::WithinOps);
    EXPECT_EQ(resolveParallelism(Parallelism::AcrossImages, wide, 128, 2), Parallelism::AcrossImages);
    EXPECT_EQ(resolveParallelism(Parallelism::AcrossImages, narrow, 1, 2), Parallelism::WithinOps);
    EXPECT_EQ(resolveParallelism(Parallelism::Auto, narrow, 128, 1), Parallelism::WithinOps);
    EXPECT_EQ(parseParallelism("images"), Parallelism::AcrossImages);
    EXPECT_THROW(parseParallelism("threads"), Error);
}

TEST(ParallelStep, InferenceSplitAcrossThreadsGivesTheSameLogits)
{
    Threads two(2);
    auto model = float64Model();
    model.net->eval();
    model.net->setBlockMode(1, {AttnMode::Diluting, 0.25});
    const auto images = torch::randn({11, 1, 28, 28}, torch::kDouble);
    const auto whole = inferLogits(model.net, images, Parallelism::WithinOps);
    const auto split = inferLogits(model.net, images, Parallelism::AcrossImages);
    ASSERT_EQ(split.sizes(), whole.sizes());
    EXPECT_TRUE(torch::allclose(split, whole, 1e-12, 1e-12)) << (split - whole).abs().max().item<double>();
}

TEST(ParallelStep, TrainingStepSplitAcrossThreadsGivesTheSameLossAndGradients)
{
    Threads two(2);
    auto model = float64Model();
    auto teacher = float64Model();
    teacher.net->eval();
    model.net->setBlockMode(0, {AttnMode::Removed, 0.0});    // replicas follow block states:
    model.net->setBlockMode(1, {AttnMode::Diluting, 0.375}); // removed, diluting, active
    model.net->train();
    const auto images = torch::randn({13, 1, 28, 28}, torch::kDouble);
    const auto labels = torch::randint(10, {13}, torch::kLong);
    for (ModelBundle* t : {static_cast<ModelBundle*>(nullptr), &teacher}) {
        const StepLoss loss{0.1, t, 0.4, 2.0};
        model.net->zero_grad();
        const auto one = ParallelStep(Parallelism::WithinOps).run(model.net, images, labels, loss);
        const auto want = gradients(model.net);
        model.net->zero_grad();
        ParallelStep split(Parallelism::AcrossImages);
        const auto parts = split.run(model.net, images, labels, loss);
        EXPECT_NEAR(parts.loss, one.loss, 1e-12);
        EXPECT_EQ(parts.hits, one.hits);
        EXPECT_EQ(parts.count, 13);
        expectClose(gradients(model.net), want);

        // The replicas share the weights: after an update the next step still agrees.
        {
            torch::NoGradGuard noGrad;
            for (auto& p : model.net->parameters())
                p.sub_(0.01 * p.grad());
        }
        model.net->setBlockMode(1, {AttnMode::Diluting, 0.125});
        model.net->zero_grad();
        ParallelStep(Parallelism::WithinOps).run(model.net, images, labels, loss);
        const auto wantAfter = gradients(model.net);
        model.net->zero_grad();
        split.run(model.net, images, labels, loss);
        expectClose(gradients(model.net), wantAfter);
        model.net->setBlockMode(1, {AttnMode::Diluting, 0.375});
    }
}

// A whole run with augmentation: one thread (each op whole) and two (the batch split) end at the
// same weights, so a result does not depend on the machine's core count.
TEST(ParallelStep, TrainingWithOneThreadOrTwoEndsAtTheSameWeights)
{
    static const Dataset data = [] {
        auto full = loadDataset("fashion-mnist", Split::Train);
        return full.subset(seededSubset(full.size(), 256, 3));
    }();
    TrainOptions o;
    o.epochs = 2;
    o.batchSize = 64;
    o.lr = 2e-3;
    o.warmupEpochs = 0.5;
    o.device = "cpu";
    FunctionProgress quiet;
    CancelToken none;
    auto run = [&](int threads) {
        Threads t(threads);
        auto model = float64Model(2);
        EXPECT_EQ(resolveParallelism(o.parallelism, model.meta.config, o.batchSize, threads, Workload::Training),
                  threads == 1 ? Parallelism::WithinOps : Parallelism::AcrossImages);
        trainSupervised(model, data, nullptr, o, quiet, none);
        return model.net->stateDict();
    };
    const auto one = run(1), two = run(2);
    for (const auto& [k, t] : one)
        EXPECT_TRUE(torch::allclose(t, two.at(k), 1e-9, 1e-10)) << k;
}
