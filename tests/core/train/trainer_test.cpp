#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/train/evaluate.h"
#include "core/train/trainer.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

using namespace mlpify::core;
namespace fs = std::filesystem;

namespace {
ViTConfig smallConfig()
{
    return mlpify::testing::tinyConfig(2, "micro-test");
}

const Dataset& trainSubset()
{
    static const Dataset d = [] {
        auto full = loadDataset("fashion-mnist", Split::Train);
        return full.subset(seededSubset(full.size(), 512, 1));
    }();
    return d;
}

std::string tempPath(const std::string& name)
{
    return mlpify::testing::tempPath("train", name);
}

TrainOptions quickOptions()
{
    TrainOptions o;
    o.epochs = 2;
    o.batchSize = 64;
    o.lr = 2e-3;
    o.warmupEpochs = 0.5;
    o.device = "cpu";
    return o;
}

// Continuation tests run in float64, where the tolerance below is far above any rounding and far
// below any real difference (a skipped or repeated step moves weights by ~1e-3).
ModelBundle float64Model()
{
    torch::manual_seed(0);
    auto model = makeModel(smallConfig());
    model.net->to(torch::kDouble);
    return model;
}

// A run from float64Model() cancelled after `step`, leaving its checkpoint at o.checkpoint.
void runCancelledAfter(const TrainOptions& o, int64_t step)
{
    auto m = float64Model();
    CancelToken cancel;
    FunctionProgress quiet;
    TrainCallbacks cb;
    cb.onStep = [&](const StepStats& s) {
        if (s.step == step)
            cancel.cancel();
    };
    ASSERT_TRUE(trainSupervised(m, trainSubset(), nullptr, o, quiet, cancel, cb).cancelled);
}

void expectSameWeights(const ModelBundle& want, const ModelBundle& got)
{
    const auto a = want.net->stateDict(), b = got.net->stateDict();
    for (const auto& [k, t] : a)
        EXPECT_TRUE(torch::allclose(t, b.at(k), 1e-12, 1e-12)) << k;
}

// The reference for exact-continuation tests: seed 0, no checkpoint, no interruption.
ModelBundle uninterruptedRun(const TrainOptions& o)
{
    auto model = float64Model();
    CancelToken none;
    FunctionProgress quiet;
    trainSupervised(model, trainSubset(), nullptr, o, quiet, none);
    return model;
}
} // namespace

TEST(Trainer, LearningRateWarmsUpThenFollowsACosine)
{
    TrainOptions o;
    o.epochs = 10;
    o.lr = 1e-3;
    o.minLr = 1e-5;
    o.warmupEpochs = 1;
    EXPECT_NEAR(scheduledLr(o, 0, 100), 1e-5, 1e-12);
    EXPECT_NEAR(scheduledLr(o, 99, 100), 1e-3, 1e-12);
    EXPECT_NEAR(scheduledLr(o, 100 + 450, 100), 0.5 * (1e-3 + 1e-5), 1e-12); // half-way through the cosine
    EXPECT_NEAR(scheduledLr(o, 1000, 100), 1e-5, 1e-12);
}

TEST(Trainer, LowersTheLossOnRealImages)
{
    torch::manual_seed(0);
    auto model = makeModel(smallConfig());
    FunctionProgress quiet;
    EvalOptions eo;
    eo.device = "cpu";
    const double before = evaluate(model, trainSubset(), eo, quiet).loss;
    CancelToken cancel;
    auto o = quickOptions();
    o.epochs = 6;
    o.warmupEpochs = 1;
    o.augment = false;
    auto r = trainSupervised(model, trainSubset(), nullptr, o, quiet, cancel);
    EXPECT_EQ(r.steps, 48);
    EXPECT_EQ(r.history.size(), 6u);
    EXPECT_LT(evaluate(model, trainSubset(), eo, quiet).loss, before - 0.2);
}

TEST(Trainer, CancelStopsWithinOneBatchAndLeavesALoadableCheckpoint)
{
    torch::manual_seed(0);
    auto model = makeModel(smallConfig());
    auto o = quickOptions();
    o.checkpoint = tempPath("cancel.mlpify");
    CancelToken cancel;
    FunctionProgress quiet;
    TrainCallbacks cb;
    cb.onStep = [&](const StepStats& s) {
        if (s.step == 3)
            cancel.cancel();
    };
    auto r = trainSupervised(model, trainSubset(), nullptr, o, quiet, cancel, cb);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.steps, 3);
    auto back = loadModel(o.checkpoint);
    EXPECT_EQ(back.meta.training.at("step").get<int64_t>(), 3);
    EXPECT_TRUE(fs::exists(o.checkpoint + ".state"));
}

TEST(Trainer, ResumedRunMatchesAnUninterruptedOne)
{
    at::set_num_threads(1); // identical reduction order in both runs
    auto o = quickOptions();
    FunctionProgress quiet;

    auto straight = uninterruptedRun(o);

    o.checkpoint = tempPath("resume.mlpify");
    runCancelledAfter(o, 11); // mid-epoch
    auto resumed = loadModel(o.checkpoint);
    CancelToken fresh;
    auto r = trainSupervised(resumed, trainSubset(), nullptr, o, quiet, fresh, {}, /*resume=*/true);
    EXPECT_EQ(r.steps, 16);
    EXPECT_EQ(resumed.net->dtype(), torch::kDouble); // a float64 checkpoint loads without rounding
    expectSameWeights(straight, resumed);
    at::set_num_threads(2);
}

// The model file and its optimizer state are two files; a run killed between writing them must
// still resume. Emulated: the newer state (step 13) was written, the model file (step 11) not yet.
TEST(Trainer, ARunKilledBetweenItsTwoCheckpointFilesResumesExactly)
{
    at::set_num_threads(1);
    auto o = quickOptions();
    FunctionProgress quiet;
    auto straight = uninterruptedRun(o);

    const auto ckpt = tempPath("killed.mlpify"), later = tempPath("later.mlpify");
    o.checkpoint = later;
    runCancelledAfter(o, 13);
    o.checkpoint = ckpt;
    runCancelledAfter(o, 11);
    fs::rename(ckpt + ".state", ckpt + ".state.prev");
    fs::copy_file(later + ".state", ckpt + ".state", fs::copy_options::overwrite_existing);

    auto resumed = loadModel(ckpt);
    CancelToken fresh;
    EXPECT_EQ(trainSupervised(resumed, trainSubset(), nullptr, o, quiet, fresh, {}, /*resume=*/true).steps, 16);
    expectSameWeights(straight, resumed);
    EXPECT_FALSE(fs::exists(ckpt + ".state.prev")); // the next checkpoint pair replaced it

    // with neither state matching, the error says so
    fs::copy_file(later + ".state", ckpt + ".state", fs::copy_options::overwrite_existing);
    fs::copy_file(later, ckpt, fs::copy_options::overwrite_existing);
    auto mismatched = loadModel(ckpt);
    mismatched.meta.training["step"] = 12;
    saveModel(mismatched, ckpt);
    try {
        trainSupervised(mismatched, trainSubset(), nullptr, o, quiet, fresh, {}, true);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(e.reason().find("does not belong"), std::string::npos) << e.what();
    }
    at::set_num_threads(2);
}

TEST(Trainer, PauseFromAnotherThreadHoldsTheRunWritesACheckpointAndChangesNothing)
{
    at::set_num_threads(1);
    auto o = quickOptions();
    FunctionProgress quiet;
    auto straight = uninterruptedRun(o);

    auto paused = float64Model();
    o.checkpoint = tempPath("pause.mlpify");
    fs::remove(o.checkpoint);
    CancelToken control;
    std::atomic<int64_t> lastStep{-1};
    std::atomic<bool> sawPause{false};
    TrainCallbacks cb;
    cb.onStep = [&](const StepStats& s) {
        lastStep = s.step;
        if (s.step == 5)
            control.setPaused(true); // as a GUI thread would; honoured before the next batch
    };
    // The pause and the resume arrive as states, not as message text.
    struct Watch : Progress {
        std::atomic<bool>& paused;
        std::atomic<bool> resumed{false};
        explicit Watch(std::atomic<bool>& p) : paused(p) {}
        void report(double, const std::string&) override {}
        void stateChanged(RunState state, const std::string&) override
        {
            (state == RunState::Paused ? paused : resumed) = true;
        }
    } watch(sawPause);
    std::thread run([&] { trainSupervised(paused, trainSubset(), nullptr, o, watch, control, cb); });
    while (!sawPause)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(lastStep.load(), 5); // nothing ran while paused
    EXPECT_EQ(loadModel(o.checkpoint).meta.training.at("step").get<int64_t>(), 5);
    control.setPaused(false);
    run.join();
    EXPECT_TRUE(watch.resumed);
    EXPECT_EQ(lastStep.load(), 16);
    expectSameWeights(straight, paused);
    at::set_num_threads(2);
}

TEST(Trainer, NanLossStopsWithAClearErrorAndKeepsTheCheckpoint)
{
    torch::manual_seed(0);
    auto model = makeModel(smallConfig());
    auto o = quickOptions();
    o.checkpoint = tempPath("nan.mlpify");
    saveModel(model, o.checkpoint);
    {
        torch::NoGradGuard g;
        model.net->head->weight[0][0] = std::numeric_limits<float>::quiet_NaN();
    }
    CancelToken cancel;
    FunctionProgress quiet;
    try {
        trainSupervised(model, trainSubset(), nullptr, o, quiet, cancel);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(e.reason().find("nan"), std::string::npos) << e.what();
    }
    auto kept = loadModel(o.checkpoint); // still the good one
    EXPECT_FALSE(torch::isnan(kept.net->head->weight).any().item<bool>());
}

TEST(Trainer, DatasetThatDoesNotFitTheModelIsRejected)
{
    auto model = makeModel(presetConfig("deit_tiny_patch16_224"));
    CancelToken cancel;
    FunctionProgress quiet;
    EXPECT_THROW(trainSupervised(model, trainSubset(), nullptr, quickOptions(), quiet, cancel), Error);
}
