// Data parallelism on c10d/Gloo over 127.0.0.1: ranks run as threads of this test process,
// each with its own process group, exactly as separate processes would connect.
#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/train/distributed.h"
#include "core/train/trainer.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>
#include <unistd.h>

using namespace mlpify::core;

namespace {
const Dataset& trainSubset()
{
    static const Dataset d = [] {
        auto full = loadDataset("fashion-mnist", Split::Train);
        return full.subset(seededSubset(full.size(), 256, 3));
    }();
    return d;
}

ModelBundle cloneOf(const ModelBundle& src)
{
    auto m = makeModel(src.meta.config);
    m.net->loadStateDict(src.net->stateDict(), "clone");
    return m;
}

DistributedEnv loopback(int rank, int port, int timeoutMs)
{
    DistributedEnv e;
    e.rank = rank;
    e.worldSize = 2;
    e.masterAddr = "127.0.0.1";
    e.masterPort = port;
    e.timeout = std::chrono::milliseconds(timeoutMs);
    e.source = "test";
    return e;
}

int freshPort(int offset)
{
    return 20000 + (static_cast<int>(::getpid()) * 7 + offset) % 20000;
}

// Runs fn(rank, communicator) for ranks 0 and 1 on threads joined over 127.0.0.1; rethrows the
// first error either rank raised.
void onTwoRanks(int port, const std::function<void(int, Communicator&)>& fn)
{
    std::exception_ptr errors[2];
    auto run = [&](int rank) {
        try {
            auto comm = Communicator::connect(loopback(rank, port, 30000));
            fn(rank, *comm);
        } catch (...) {
            errors[rank] = std::current_exception();
        }
    };
    std::thread t0(run, 0), t1(run, 1);
    t0.join();
    t1.join();
    for (auto& e : errors)
        if (e)
            std::rethrow_exception(e);
}

TrainOptions baseOptions()
{
    TrainOptions o;
    o.epochs = 1;
    o.lr = 1e-3;
    o.warmupEpochs = 0;
    o.augment = false;
    o.device = "cpu";
    return o;
}
} // namespace

TEST(Distributed, TwoRanksOnLoopbackMatchOneProcessWithTheCombinedBatch)
{
    at::set_num_threads(1); // the same reduction order everywhere
    torch::manual_seed(0);
    auto reference = makeModel(mlpify::testing::tinyConfig(2));
    // float64: one batch of 64 and two of 32 sum their gradients in different orders, and Adam
    // divides by the gradients' own scale, so float32 rounding would not stay at float32's size.
    reference.net->to(torch::kDouble);
    auto rank0 = cloneOf(reference), rank1 = cloneOf(reference);
    {
        torch::NoGradGuard g; // rank 1 starts elsewhere: the run must broadcast rank 0's weights
        for (auto& p : rank1.net->parameters())
            p.add_(0.5);
    }
    FunctionProgress quiet;
    CancelToken none;
    auto single = baseOptions();
    single.batchSize = 64;
    const auto one = trainSupervised(reference, trainSubset(), nullptr, single, quiet, none);
    ASSERT_EQ(one.steps, 4);

    TrainResult results[2];
    onTwoRanks(freshPort(1), [&](int rank, Communicator& comm) {
        auto o = baseOptions();
        o.batchSize = 32; // per rank: 2 x 32 = the single run's 64
        o.comm = &comm;
        FunctionProgress q;
        CancelToken c;
        results[rank] = trainSupervised(rank == 0 ? rank0 : rank1, trainSubset(), nullptr, o, q, c);
        comm.barrier();
    });
    EXPECT_EQ(results[0].steps, 4);
    const auto want = reference.net->stateDict();
    for (auto* m : {&rank0, &rank1}) {
        const auto got = m->net->stateDict();
        for (const auto& [k, t] : want)
            EXPECT_TRUE(torch::allclose(t, got.at(k), 1e-10, 1e-10))
                << k << " differs by " << (t - got.at(k)).abs().max().item<double>();
    }
    at::set_num_threads(2);
}

TEST(Distributed, ACheckpointFromTwoRanksResumesInOneProcessAtTheSameImageCount)
{
    torch::manual_seed(0);
    auto start = makeModel(mlpify::testing::tinyConfig(1));
    auto rank0 = cloneOf(start), rank1 = cloneOf(start);
    const std::string checkpoint = mlpify::testing::tempPath("dist", "resume.mlpify");
    onTwoRanks(freshPort(3), [&](int rank, Communicator& comm) {
        auto o = baseOptions();
        o.epochs = 2;
        o.batchSize = 32; // global batch 64: 4 steps per epoch
        o.checkpoint = checkpoint;
        o.comm = &comm;
        CancelToken cancel;
        TrainCallbacks cb;
        cb.onStep = [&](const StepStats& s) {
            if (s.step == 2)
                cancel.cancel(); // the ranks agree at the next step's all-reduce: both stop after step 3
        };
        FunctionProgress q;
        EXPECT_TRUE(trainSupervised(rank == 0 ? rank0 : rank1, trainSubset(), nullptr, o, q, cancel, cb).cancelled);
    });
    // One process with batch 32: 3 x 64 = 192 images seen = step 6 of 8 per epoch.
    auto resumed = loadModel(checkpoint);
    auto o = baseOptions();
    o.epochs = 2;
    o.batchSize = 32;
    o.checkpoint = checkpoint;
    int64_t first = -1;
    TrainCallbacks cb;
    cb.onStep = [&](const StepStats& s) {
        if (first < 0)
            first = s.step;
    };
    FunctionProgress quiet;
    CancelToken none;
    const auto r = trainSupervised(resumed, trainSubset(), nullptr, o, quiet, none, cb, /*resume=*/true);
    EXPECT_EQ(first, 7);
    EXPECT_EQ(r.steps, 16);
}

TEST(Distributed, ARankThatStopsAnsweringEndsTheOthersWithAnErrorWithinTheTimeout)
{
    const int port = freshPort(2);
    const int timeoutMs = 3000;
    std::unique_ptr<Communicator> silent;
    std::thread joiner([&] { silent = Communicator::connect(loopback(1, port, timeoutMs)); });
    auto comm = Communicator::connect(loopback(0, port, timeoutMs));
    joiner.join();
    auto model = makeModel(mlpify::testing::tinyConfig(1));
    auto o = baseOptions();
    o.batchSize = 32;
    o.comm = comm.get();
    FunctionProgress quiet;
    CancelToken none;
    const auto t0 = std::chrono::steady_clock::now();
    try {
        trainSupervised(model, trainSubset(), nullptr, o, quiet, none); // rank 1 never trains
        FAIL() << "rank 0 finished although rank 1 never took part";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("rank 0 of 2"), std::string::npos) << what;
        EXPECT_NE(what.find("died or was silent"), std::string::npos) << what;
    }
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(waited, timeoutMs / 1000.0 + 5.0) << "took " << waited << " s";
}

TEST(Distributed, LauncherVariablesAreReadAndBadOnesRejected)
{
    auto clear = [] {
        for (const char* v :
             {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID", "SLURM_NTASKS",
              "SLURM_LOCALID", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
              "MLPIFY_DIST_TIMEOUT", "MLPIFY_STORE_FILE", "MLPIFY_DIST_BACKEND"})
            unsetenv(v);
    };
    clear();
    EXPECT_THROW(distributedEnvFromEnvironment(), Error);
    setenv("SLURM_PROCID", "3", 1);
    setenv("SLURM_NTASKS", "8", 1);
    setenv("SLURM_LOCALID", "1", 1);
    setenv("MASTER_ADDR", "node17", 1);
    setenv("MASTER_PORT", "1234", 1);
    auto e = distributedEnvFromEnvironment();
    EXPECT_EQ(e.rank, 3);
    EXPECT_EQ(e.worldSize, 8);
    EXPECT_EQ(e.localRank, 1);
    EXPECT_EQ(e.masterAddr, "node17");
    EXPECT_EQ(e.masterPort, 1234);
    setenv("RANK", "1", 1); // torchrun's variables come first
    setenv("WORLD_SIZE", "2", 1);
    setenv("MLPIFY_DIST_TIMEOUT", "7", 1);
    e = distributedEnvFromEnvironment();
    EXPECT_EQ(e.rank, 1);
    EXPECT_EQ(e.worldSize, 2);
    EXPECT_EQ(e.timeout, std::chrono::milliseconds(7000));
    setenv("RANK", "2", 1);
    EXPECT_THROW(distributedEnvFromEnvironment(), Error); // rank outside the world
    setenv("RANK", "x1", 1);
    EXPECT_THROW(distributedEnvFromEnvironment(), Error);
    clear();
    setenv("OMPI_COMM_WORLD_RANK", "0", 1);
    setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
    e = distributedEnvFromEnvironment();
    EXPECT_EQ(e.worldSize, 4);
    EXPECT_EQ(e.source, "Open MPI variables");
    clear();
}

TEST(Distributed, BackendIsChosenByDeviceAndBuildAndBadChoicesAreRefused)
{
    auto e = loopback(0, freshPort(40), 10000);
    e.worldSize = 1;
    // auto on a CPU: Gloo, a working one-rank group
    auto comm = Communicator::connect(e, torch::kCPU);
    EXPECT_EQ(comm->backend(), "Gloo");
    std::vector<torch::Tensor> t{torch::tensor({1.5f, -2.0f})};
    comm->allreduceSum(t);
    EXPECT_TRUE(torch::equal(t[0], torch::tensor({1.5f, -2.0f})));
    comm.reset();
    e.backend = "mpi";
    EXPECT_THROW(Communicator::connect(e, torch::kCPU), Error);
    e.backend = "nccl";
    try {
        Communicator::connect(e, torch::kCPU);
        ADD_FAILURE() << "NCCL on a CPU device must be refused";
    } catch (const Error& err) {
        const std::string why = err.what();
        if (ncclAvailable())
            EXPECT_NE(why.find("needs --device cuda"), std::string::npos) << why;
        else
            EXPECT_NE(why.find("this build has no NCCL"), std::string::npos) << why;
    }
    setenv("RANK", "0", 1);
    setenv("WORLD_SIZE", "1", 1);
    setenv("MLPIFY_DIST_BACKEND", "gloo", 1);
    EXPECT_EQ(distributedEnvFromEnvironment().backend, "gloo");
    for (const char* v : {"RANK", "WORLD_SIZE", "MLPIFY_DIST_BACKEND"})
        unsetenv(v);
}
