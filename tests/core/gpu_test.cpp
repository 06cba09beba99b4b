// The CUDA path against the CPU path: the forward, the entropy profile, transfer entropy and NOSE,
// the units (every block state, a mixed-pool search), a dilution run and its checkpoint resumed on the other device,
// the benchmark, the fused attention kernel, and collectives over CUDA tensors. Every test skips, saying why, where
// this LibTorch has no CUDA or no GPU is visible.
//
// float32 tolerances: one output of a block sums products over at most K = max(width, MLP width)
// terms; two devices summing in different orders differ by about sqrt(K) eps per block relative to
// the values' scale (eps = 2^-23), and the depth adds those errors up. The bound used is
// kSafety * depth * sqrt(K) * eps, kSafety = 16 for the spread between rounding patterns and the
// softmax's and LayerNorm's own roundings. TF32 is switched off for the comparison (it rounds
// products to 10 mantissa bits by design; cuDNN allows it for convolutions by default).
#include "core/analysis/entropy_profile.h"
#include "core/analysis/selection.h"
#include "core/analysis/transfer_entropy.h"
#include "core/analysis/unit_selection.h"
#include "core/bench/benchmark.h"
#include "core/data/dataset.h"
#include "core/io/model_io.h"
#include "core/model/attention_kernel.h"
#include "core/model/vit.h"
#include "core/train/dilution.h"
#include "core/train/distributed.h"
#include "core/train/evaluate.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

using namespace mlpify::core;

namespace {

constexpr double kEps32 = std::numeric_limits<float>::epsilon();
constexpr double kSafety = 16;

class Gpu : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!torch::cuda::is_available())
            GTEST_SKIP() << "no CUDA: this LibTorch is CPU-only or no GPU is visible (CUDA path not tested here)";
        at::globalContext().setAllowTF32CuBLAS(false);
        at::globalContext().setAllowTF32CuDNN(false);
    }
};

double relativeTolerance(const ModelBundle& m)
{
    const auto& c = m.meta.config;
    return kSafety * static_cast<double>(c.depth) * std::sqrt(static_cast<double>(std::max(c.embedDim, c.mlpHidden))) *
           kEps32;
}

const Dataset& calibration()
{
    static const Dataset d = mlpify::testing::fashionMnistSubset(Split::Train, 256, 3);
    return d;
}

torch::Tensor logitsOn(ModelBundle& m, const std::string& device)
{
    EvalOptions o;
    o.device = device;
    o.keepLogits = true;
    o.limit = 512;
    FunctionProgress quiet;
    static const Dataset test = loadDataset("fashion-mnist", Split::Test);
    return evaluate(m, test, o, quiet).logits;
}

} // namespace

TEST_F(Gpu, ForwardMatchesTheCpu)
{
    auto m = loadModel("default");
    const auto cpu = logitsOn(m, "cpu"), cuda = logitsOn(m, "cuda");
    const double scale = cpu.abs().max().item<double>();
    const double diff = (cpu - cuda).abs().max().item<double>();
    EXPECT_LE(diff, relativeTolerance(m) * scale) << "largest |logit| " << scale;
    EXPECT_LE((cpu.argmax(1) != cuda.argmax(1)).sum().item<int64_t>(), 1); // at most a tie within the tolerance
}

TEST_F(Gpu, FusedAttentionMatchesTheExplicitProductOnTheGpu)
{
    if (!fusedAttentionAvailable())
        GTEST_SKIP() << "this LibTorch has no scaled_dot_product_attention";
    auto m = loadModel("default");
    // float64 on the GPU: the math kernel, exact to rounding; float32: the fused kernels.
    m.net->to(torch::Device(torch::kCUDA), torch::kDouble);
    m.net->eval();
    torch::NoGradGuard g;
    const auto x = torch::randn({16, 1, 28, 28}, torch::TensorOptions().dtype(torch::kDouble).device(torch::kCUDA));
    torch::Tensor a, b;
    {
        ScopedAttentionKernel k(AttentionKernel::Explicit);
        a = m.net->forward(x);
    }
    {
        ScopedAttentionKernel k(AttentionKernel::Fused);
        b = m.net->forward(x);
    }
    EXPECT_TRUE(torch::allclose(a, b, 1e-12, 1e-12));
    m.net->to(torch::kFloat);
    const auto x32 = x.to(torch::kFloat);
    {
        ScopedAttentionKernel k(AttentionKernel::Explicit);
        a = m.net->forward(x32);
    }
    {
        ScopedAttentionKernel k(AttentionKernel::Fused);
        b = m.net->forward(x32);
    }
    EXPECT_LE((a - b).abs().max().item<double>(), relativeTolerance(m) * a.abs().max().item<double>());
}

TEST_F(Gpu, EntropyProfileMatchesTheCpu)
{
    auto m = loadModel("default");
    FunctionProgress quiet;
    ProfileOptions o;
    o.device = "cpu";
    const auto cpu = profileEntropy(m, calibration(), o, quiet);
    o.device = "cuda";
    const auto cuda = profileEntropy(m, calibration(), o, quiet);
    ASSERT_EQ(cpu.blocks.size(), cuda.blocks.size());
    // An entropy is a mean of log standard deviations: a relative error d of the features moves it
    // by about d nats.
    const double tol = relativeTolerance(m);
    for (size_t i = 0; i < cpu.blocks.size(); ++i) {
        EXPECT_NEAR(cpu.blocks[i].mlp, cuda.blocks[i].mlp, tol) << "block " << i;
        EXPECT_NEAR(cpu.blocks[i].out, cuda.blocks[i].out, tol) << "block " << i;
        ASSERT_EQ(cpu.blocks[i].attn.has_value(), cuda.blocks[i].attn.has_value());
        if (cpu.blocks[i].attn) {
            EXPECT_NEAR(*cpu.blocks[i].attn, *cuda.blocks[i].attn, tol) << "block " << i;
        }
    }
}

TEST_F(Gpu, NoseChoosesTheSameSetWithTheSameTransferEntropies)
{
    auto m = loadModel("default");
    FunctionProgress quiet;
    TeOptions o;
    o.device = "cpu";
    const auto cpu = selectNose(m, calibration(), 6, o, quiet);
    o.device = "cuda";
    const auto cuda = selectNose(m, calibration(), 6, o, quiet);
    EXPECT_EQ(cpu.selected, cuda.selected);
    ASSERT_EQ(cpu.stepValues.size(), cuda.stepValues.size());
    // TE is a difference of entropies in bits: 1/ln 2 times the error in nats, twice.
    const double tol = 2 * relativeTolerance(m) / std::log(2.0);
    for (size_t k = 0; k < cpu.stepValues.size(); ++k)
        EXPECT_NEAR(cpu.stepValues[k], cuda.stepValues[k], tol) << "step " << k;
    EXPECT_NEAR(transferEntropy(m, calibration(), cpu.selected, o, quiet), cpu.stepValues.back(), tol);
}

// Every block state on the GPU: attention-only (MLP removed, x = 2x), MLP-only, gone (x = 4x) and
// an MLP half diluted give the CPU's logits; a mixed-pool NOSE search over the rest takes the same
// units with the same transfer entropies.
TEST_F(Gpu, UnitsOfEveryKindMatchTheCpu)
{
    auto m = loadModel("default");
    m.net->setBlockMode(1, withMlp({}, BranchMode::Removed, 0.0));
    m.net->setBlockMode(3, withAttention({}, BranchMode::Removed, 0.0));
    m.net->setBlockMode(5, withMlp(withAttention({}, BranchMode::Removed, 0.0), BranchMode::Removed, 0.0));
    m.net->setBlockMode(7, withMlp({}, BranchMode::Diluting, 0.5));
    const auto cpu = logitsOn(m, "cpu"), cuda = logitsOn(m, "cuda");
    const double scale = cpu.abs().max().item<double>();
    EXPECT_LE((cpu - cuda).abs().max().item<double>(), relativeTolerance(m) * scale) << "largest |logit| " << scale;

    FunctionProgress quiet;
    TeOptions o;
    UnitBudget budget;
    budget.count = 3;
    o.device = "cpu";
    const auto onCpu = selectUnits(m, calibration(), UnitPool::Mixed, budget, o, quiet);
    o.device = "cuda";
    const auto onCuda = selectUnits(m, calibration(), UnitPool::Mixed, budget, o, quiet);
    EXPECT_EQ(onCpu.chosen, onCuda.chosen);
    ASSERT_EQ(onCpu.stepValues.size(), onCuda.stepValues.size());
    const double tol = 2 * relativeTolerance(m) / std::log(2.0);
    for (size_t k = 0; k < onCpu.stepValues.size(); ++k)
        EXPECT_NEAR(onCpu.stepValues[k], onCuda.stepValues[k], tol) << "step " << k;
}

// A run diluted on the GPU, stopped, and resumed on the CPU from its checkpoint follows the run
// made on the CPU throughout: compared in float64, where the devices' summation orders differ by
// about 1e-16 per operation.
TEST_F(Gpu, DilutionStepsAndACheckpointResumeAcrossDevices)
{
    const auto tiny = [] {
        torch::manual_seed(5);
        auto m = makeModel(mlpify::testing::tinyConfig(3));
        m.net->to(torch::kDouble);
        return m;
    };
    static const Dataset train = mlpify::testing::fashionMnistSubset(Split::Train, 512, 5);
    TrainOptions o;
    o.epochs = 2;
    o.batchSize = 64;
    o.lr = 1e-3;
    o.warmupEpochs = 0.5;
    o.augment = false;
    DilutionOptions d;
    d.blocks = {0, 2};
    d.dilutionSteps = 10;
    FunctionProgress quiet;

    std::vector<double> straight, moved;
    auto reference = tiny();
    o.device = "cpu";
    CancelToken none;
    TrainCallbacks all;
    all.onStep = [&](const StepStats& s) { straight.push_back(s.loss); };
    dilute(reference, train, nullptr, o, d, quiet, none, all);

    auto first = tiny();
    o.device = "cuda";
    o.checkpoint = mlpify::testing::tempPath("gpu", "resume.mlpify");
    CancelToken cancel;
    TrainCallbacks stop;
    stop.onStep = [&](const StepStats& s) {
        moved.push_back(s.loss);
        if (s.step == 7)
            cancel.cancel();
    };
    ASSERT_TRUE(dilute(first, train, nullptr, o, d, quiet, cancel, stop).cancelled);
    auto resumed = loadModel(o.checkpoint);
    resumed.net->to(torch::kDouble);
    o.device = "cpu";
    CancelToken fresh;
    TrainCallbacks rest;
    rest.onStep = [&](const StepStats& s) { moved.push_back(s.loss); };
    dilute(resumed, train, nullptr, o, d, quiet, fresh, rest, /*resume=*/true);
    ASSERT_EQ(moved.size(), straight.size());
    for (size_t i = 0; i < straight.size(); ++i)
        EXPECT_NEAR(moved[i], straight[i], 1e-9) << "step " << i;
    EXPECT_EQ(foldDiluted(resumed), (std::vector<int64_t>{0, 2}));
}

TEST_F(Gpu, BenchmarkTimesSynchronisedBatchesOnTheGpu)
{
    auto m = loadModel("default");
    BenchOptions o;
    o.device = "cuda";
    o.batchSize = 256;
    o.warmup = 2;
    o.repeats = 5;
    const auto r = benchmarkModel(m, o);
    EXPECT_EQ(r.device.rfind("cuda", 0), 0u) << r.device;
    EXPECT_GT(r.latencyMs, 0);
    EXPECT_TRUE(std::isfinite(r.imagesPerSecond));
    const auto t = benchmarkTraining(m, o);
    EXPECT_GT(t.latencyMs, 0);
}

// Two ranks as threads of this process: NCCL where two GPUs exist (one each), else Gloo handed
// CUDA tensors (it reduces on the host and copies back).
TEST_F(Gpu, CollectivesSumCudaTensorsAcrossRanks)
{
    const bool nccl = ncclAvailable() && torch::cuda::device_count() >= 2;
    std::exception_ptr errors[2];
    std::vector<torch::Tensor> results(2);
    const int port = 20000 + static_cast<int>(::getpid() % 20000);
    auto run = [&](int rank) {
        try {
            DistributedEnv e;
            e.rank = rank;
            e.localRank = rank;
            e.worldSize = 2;
            e.masterAddr = "127.0.0.1";
            e.masterPort = port;
            e.timeout = std::chrono::milliseconds(60000);
            e.backend = nccl ? "nccl" : "gloo";
            e.source = "test";
            auto comm = Communicator::connect(e, torch::Device(torch::kCUDA, nccl ? rank : 0));
            std::vector<torch::Tensor> t{torch::full(
                {1000}, rank + 1.0, torch::TensorOptions().device(torch::Device(torch::kCUDA, nccl ? rank : 0)))};
            comm->allreduceSum(t);
            results[static_cast<size_t>(rank)] = t[0].cpu();
        } catch (...) {
            errors[rank] = std::current_exception();
        }
    };
    std::thread a(run, 0), b(run, 1);
    a.join();
    b.join();
    for (auto& e : errors)
        if (e)
            std::rethrow_exception(e);
    for (const auto& r : results)
        EXPECT_TRUE(torch::equal(r, torch::full({1000}, 3.0))) << (nccl ? "NCCL" : "Gloo");
}
