#include "core/data/batch_loader.h"
#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/model/adapt.h"
#include "core/train/dilution.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace mlpify::core;
namespace fs = std::filesystem;

namespace {
ModelBundle tinyModel(torch::ScalarType dtype = torch::kFloat)
{
    torch::manual_seed(0);
    auto m = makeModel(mlpify::testing::tinyConfig(4, "micro-dilution-test"));
    m.net->to(dtype);
    return m;
}

const Dataset& images(Split split)
{
    static const Dataset train = [] {
        auto full = loadDataset("fashion-mnist", Split::Train);
        return full.subset(seededSubset(full.size(), 512, 5));
    }();
    static const Dataset test = [] {
        auto full = loadDataset("fashion-mnist", Split::Test);
        return full.subset(seededSubset(full.size(), 256, 6));
    }();
    return split == Split::Train ? train : test;
}

TrainOptions options()
{
    TrainOptions o;
    o.epochs = 2;
    o.batchSize = 64;
    o.lr = 1e-3;
    o.warmupEpochs = 0.5;
    o.device = "cpu";
    return o;
}

torch::Tensor normaliseForTest(const Dataset& d)
{
    return (d.images.to(torch::kFloat) / 255.0 - 0.2860) / 0.3530;
}

std::string tempPath(const std::string& name)
{
    return mlpify::testing::tempPath("dilute", name);
}
} // namespace

TEST(Dilution, LambdaSchedules)
{
    DilutionOptions o;
    o.dilutionSteps = 100;
    EXPECT_DOUBLE_EQ(lambdaAt(o, 0), 1.0);
    EXPECT_DOUBLE_EQ(lambdaAt(o, 25), 0.75);
    EXPECT_DOUBLE_EQ(lambdaAt(o, 100), 0.0);
    EXPECT_DOUBLE_EQ(lambdaAt(o, 150), 0.0);
    o.schedule = LambdaSchedule::Cosine;
    EXPECT_NEAR(lambdaAt(o, 50), 0.5, 1e-12);
    EXPECT_NEAR(lambdaAt(o, 25), 0.5 * (1 + std::cos(M_PI / 4)), 1e-12);
}

TEST(Dilution, ScheduleNamesRoundTripAndAnUnknownOneIsRefused)
{
    ASSERT_EQ(lambdaScheduleNames().size(), 2u);
    for (const auto& name : lambdaScheduleNames())
        EXPECT_EQ(lambdaScheduleName(parseLambdaSchedule(name)), name);
    EXPECT_EQ(parseLambdaSchedule("cosine"), LambdaSchedule::Cosine);
    EXPECT_THROW(parseLambdaSchedule("step"), Error);
    DilutionRun r;
    r.schedule = "step";
    EXPECT_THROW(dilutionOptionsFor(r, {0}), Error);
    EXPECT_EQ(defaultDilutionEpochsText(), "80% of the epochs");
    r.epochs = 10;
    EXPECT_DOUBLE_EQ(r.resolvedDilutionEpochs(), 8.0);
}

TEST(Dilution, ReachesLambdaZeroAndTheFoldIsExact)
{
    auto model = tinyModel();
    DilutionOptions d;
    d.blocks = {0, 2};
    d.dilutionSteps = 10; // of 16: the last steps train at lambda = 0
    CancelToken cancel;
    FunctionProgress quiet;
    std::vector<double> lambdas;
    TrainCallbacks cb;
    cb.onStep = [&](const StepStats& s) { lambdas.push_back(s.lambda); };
    auto r = dilute(model, images(Split::Train), &images(Split::Test), options(), d, quiet, cancel, cb);
    ASSERT_EQ(lambdas.size(), 16u);
    EXPECT_DOUBLE_EQ(lambdas[0], 1.0);
    EXPECT_DOUBLE_EQ(lambdas[5], 0.5);
    EXPECT_DOUBLE_EQ(lambdas.back(), 0.0);
    EXPECT_DOUBLE_EQ(r.history.back().lambda, 0.0);               // the accuracy reported is at lambda 0
    EXPECT_EQ(model.net->blockModes()[1].mode, AttnMode::Active); // unselected: untouched
    EXPECT_EQ(dilutedBlocks(model.meta), d.blocks);               // what a resumed run continues with
    EXPECT_THROW(dilutedBlocks(tinyModel().meta), Error);

    model.net->eval();
    torch::NoGradGuard g;
    auto x = normaliseForTest(images(Split::Test));
    const auto before = model.net->forward(x);
    const auto paramsBefore = model.net->parameterCount();
    EXPECT_EQ(foldDiluted(model), (std::vector<int64_t>{0, 2}));
    const auto after = model.net->forward(x);
    EXPECT_LT((before - after).abs().max().item<double>(), 1e-4);
    EXPECT_LT(model.net->parameterCount(), paramsBefore);
    for (const auto& key : model.net->stateKeys())
        EXPECT_TRUE(key.rfind("blocks.0.attn", 0) && key.rfind("blocks.2.attn", 0) && key.rfind("blocks.0.norm1", 0))
            << key;

    const auto path = tempPath("folded.mlpify");
    saveModel(model, path);
    auto back = loadModel(path);
    EXPECT_TRUE(torch::equal(back.net->forward(x), after));
    exportTimm(model, tempPath("folded.pth"));
    EXPECT_TRUE(fs::exists(tempPath("folded.pth.json")));
}

// MLP units under the same schedule (units.md): block 1's MLP and block 3 as a whole fade with
// block 0's attention; at lambda 0 the fold gives an attention-only and a gone block exactly.
TEST(Dilution, MlpBranchesAndWholeBlocksDiluteAndFoldExactly)
{
    auto model = tinyModel();
    DilutionOptions d;
    d.blocks = {0, 3};
    d.mlpBlocks = {1, 3};
    d.dilutionSteps = 10;
    CancelToken cancel;
    FunctionProgress quiet;
    std::vector<BlockMode> seen;
    TrainCallbacks cb;
    cb.onStep = [&](const StepStats&) { seen.push_back(model.net->blockModes()[3]); };
    dilute(model, images(Split::Train), nullptr, options(), d, quiet, cancel, cb);
    ASSERT_EQ(seen.size(), 16u);
    EXPECT_EQ(seen[5], (BlockMode{BranchMode::Diluting, 0.5, BranchMode::Diluting, 0.5}));
    EXPECT_EQ(model.meta.training.at("dilution").at("mlp_blocks"), nlohmann::json::array({1, 3}));
    EXPECT_EQ(model.net->blockModes()[2], BlockMode{}); // untouched

    model.net->eval();
    torch::NoGradGuard g;
    auto x = normaliseForTest(images(Split::Test)).narrow(0, 0, 32);
    const auto before = model.net->forward(x);
    EXPECT_EQ(foldDiluted(model), (std::vector<int64_t>{0, 1, 3}));
    EXPECT_TRUE(torch::equal(model.net->forward(x), before));
    EXPECT_EQ(describe(model.net->blockModes()[0]), "mlp-only");
    EXPECT_EQ(describe(model.net->blockModes()[1]), "attention-only");
    EXPECT_EQ(describe(model.net->blockModes()[3]), "gone");

    // a branch that is gone cannot be removed again
    DilutionOptions again;
    again.mlpBlocks = {1};
    EXPECT_THROW(dilute(model, images(Split::Train), nullptr, options(), again, quiet, cancel), Error);
    model.net->setBlockMode(2, withMlp({}, BranchMode::Diluting, 0.25));
    EXPECT_THROW(foldDiluted(model), Error);
}

// Diluting over every epoch (or more steps than the run has) still ends at lambda 0 on the last
// step, so the result folds instead of failing after the whole run.
TEST(Dilution, DilutingOverEveryEpochEndsAtLambdaZero)
{
    auto model = tinyModel();
    DilutionOptions d;
    d.blocks = {1};
    d.dilutionEpochs = options().epochs; // 16 steps of 16
    CancelToken cancel;
    FunctionProgress quiet;
    std::vector<double> lambdas;
    TrainCallbacks cb;
    cb.onStep = [&](const StepStats& s) { lambdas.push_back(s.lambda); };
    dilute(model, images(Split::Train), nullptr, options(), d, quiet, cancel, cb);
    ASSERT_EQ(lambdas.size(), 16u);
    EXPECT_DOUBLE_EQ(lambdas[0], 1.0);
    EXPECT_GT(lambdas[14], 0.0);
    EXPECT_DOUBLE_EQ(lambdas.back(), 0.0);
    EXPECT_EQ(foldDiluted(model), (std::vector<int64_t>{1}));
}

TEST(Dilution, FoldRefusesAPositiveLambda)
{
    auto model = tinyModel();
    model.net->setBlockMode(1, {AttnMode::Diluting, 0.25});
    EXPECT_THROW(foldDiluted(model), Error);
}

TEST(Dilution, ResumedRunContinuesExactly)
{
    at::set_num_threads(1);
    // attention branches alone, and attention with MLP branches (block 1 goes whole, block 2's MLP)
    for (const auto& mlp : {std::vector<int64_t>{}, std::vector<int64_t>{1, 2}}) {
        DilutionOptions d;
        d.blocks = {1, 3};
        d.mlpBlocks = mlp;
        d.dilutionSteps = 12;
        FunctionProgress quiet;
        auto straight = tinyModel(torch::kDouble); // continuation compared in float64: see trainer_test
        CancelToken none;
        std::vector<double> lossesStraight, lossesResumed;
        TrainCallbacks cb;
        cb.onStep = [&](const StepStats& s) { lossesStraight.push_back(s.loss); };
        dilute(straight, images(Split::Train), nullptr, options(), d, quiet, none, cb);

        auto first = tinyModel(torch::kDouble);
        auto o = options();
        o.checkpoint = tempPath("resume.mlpify");
        CancelToken cancel;
        TrainCallbacks stop;
        stop.onStep = [&](const StepStats& s) {
            lossesResumed.push_back(s.loss);
            if (s.step == 7)
                cancel.cancel();
        };
        ASSERT_TRUE(dilute(first, images(Split::Train), nullptr, o, d, quiet, cancel, stop).cancelled);
        auto resumed = loadModel(o.checkpoint);
        const auto modes = resumed.net->blockModes(); // the checkpoint carries lambda, for each branch
        EXPECT_EQ(modes[1].mode, AttnMode::Diluting);
        EXPECT_EQ(modes[2].mlp, mlp.empty() ? BranchMode::Active : BranchMode::Diluting);
        if (!mlp.empty()) {
            EXPECT_EQ(modes[2].mlpLambda, modes[1].lambda);
            EXPECT_LT(modes[2].mlpLambda, 1.0);
        }
        CancelToken fresh;
        TrainCallbacks rest;
        rest.onStep = [&](const StepStats& s) { lossesResumed.push_back(s.loss); };
        dilute(resumed, images(Split::Train), nullptr, o, d, quiet, fresh, rest, /*resume=*/true);
        ASSERT_EQ(lossesResumed.size(), lossesStraight.size());
        for (size_t i = 0; i < lossesStraight.size(); ++i)
            EXPECT_NEAR(lossesResumed[i], lossesStraight[i], 1e-12) << "step " << i << ", MLPs " << mlp.size();
        foldDiluted(resumed);
        foldDiluted(straight);
        EXPECT_EQ(nlohmann::json(resumed.net->blockModes()), nlohmann::json(straight.net->blockModes()));
    }
    at::set_num_threads(2);
}

TEST(Dilution, DistillationFromTheOriginalModelTrains)
{
    auto teacher = tinyModel();
    auto student = tinyModel();
    auto o = options();
    o.teacher = &teacher;
    o.distillAlpha = 0.5;
    o.distillTemperature = 2.0;
    DilutionOptions d;
    d.blocks = {0};
    d.dilutionSteps = 8;
    CancelToken cancel;
    FunctionProgress quiet;
    auto r = dilute(student, images(Split::Train), nullptr, o, d, quiet, cancel);
    EXPECT_EQ(r.steps, 16);
    EXPECT_TRUE(std::isfinite(r.history.back().trainLoss));
    EXPECT_THROW(dilute(student, images(Split::Train), nullptr, o, DilutionOptions{}, quiet, cancel), Error);
}

TEST(Dilution, TheLastStepIsAtLambdaZeroForEveryScheduleTried)
{
    for (int64_t epochs : {1, 2, 3, 7})
        for (double dilutionEpochs : {0.0, 0.5, 1.0, 0.8 * epochs, double(epochs), epochs + 2.0})
            for (int64_t images : {1, 15, 16, 17, 100})
                for (int64_t batch : {1, 16, 64})
                    for (auto schedule : {LambdaSchedule::Linear, LambdaSchedule::Cosine}) {
                        TrainOptions t;
                        t.epochs = epochs;
                        t.batchSize = batch;
                        DilutionOptions o;
                        o.blocks.push_back(0); // not `= {0}`: GCC 12 -O2 warns falsely (-Wnonnull) on that here
                        o.dilutionEpochs = dilutionEpochs;
                        o.schedule = schedule;
                        const auto plan = planDilution(o, images, t);
                        const auto total = epochs * stepsPerEpoch(images, t);
                        EXPECT_EQ(lambdaAt(plan, total - 1), 0.0)
                            << epochs << " epochs, " << dilutionEpochs << " diluting, " << images << " images, batch "
                            << batch;
                        if (plan.dilutionSteps > 0) {
                            EXPECT_EQ(lambdaAt(plan, 0), 1.0);
                        }
                    }
}

namespace {
// A CIFAR-100 binary folder as the dataset ships it (train.bin, test.bin: a coarse and a fine
// label byte, then 3x32x32 pixels; fine_label_names.txt), with n random images per split.
std::string cifar100Fixture(int64_t n)
{
    const auto dir = fs::path(tempPath("cifar-100-binary"));
    fs::create_directories(dir);
    std::mt19937 rng(3);
    for (const char* split : {"train.bin", "test.bin"}) {
        std::ofstream f(dir / split, std::ios::binary);
        for (int64_t i = 0; i < n; ++i) {
            const char labels[2] = {static_cast<char>(i % 20), static_cast<char>((i * 37) % 100)};
            f.write(labels, 2);
            for (int p = 0; p < 3 * 32 * 32; ++p)
                f.put(static_cast<char>(rng() % 256));
        }
    }
    std::ofstream names(dir / "fine_label_names.txt");
    for (int c = 0; c < 100; ++c)
        names << "fine_" << c << "\n";
    return dir.string();
}
} // namespace

TEST(Dilution, Cifar100UpsampledIntoADeitTinyWithANewHeadTakesADilutionStep)
{
    const auto dir = cifar100Fixture(24);
    const auto train = loadDataset("cifar100:" + dir, Split::Train);
    const auto test = loadDataset("cifar100:" + dir, Split::Test);
    ASSERT_EQ(train.height(), 32);
    auto model = loadModel("preset:deit_tiny_patch16_224");
    EXPECT_EQ(inputResize(train, model.meta.config), "32x32 images resized to 224x224 (bicubic)");
    EXPECT_THROW(checkClasses(train, model.meta.config), Error); // 100 classes, a 1000-class head
    replaceHead(model, classCount(train), train.classNames);
    DilutionOptions d;
    d.blocks = {0, 2, 4};
    d.dilutionEpochs = 1;
    TrainOptions t = options();
    t.epochs = 1;
    t.batchSize = 24; // one step
    t.evalLimit = 8;
    CancelToken cancel;
    FunctionProgress quiet;
    int steps = 0;
    TrainCallbacks cb;
    cb.onStep = [&](const StepStats& s) {
        ++steps;
        EXPECT_TRUE(std::isfinite(s.loss));
    };
    const auto r = dilute(model, train, &test, t, d, quiet, cancel, cb);
    EXPECT_EQ(steps, 1);
    EXPECT_EQ(r.history.back().lambda, 0.0);
    ASSERT_EQ(model.meta.classNames.size(), 100u);
    EXPECT_EQ(model.meta.classNames[42], "fine_42");
    const auto out = tempPath("cifar-deit.mlpify");
    EXPECT_EQ(foldAndSave(model, out), (std::vector<int64_t>{0, 2, 4}));
    const auto back = loadModel(out);
    EXPECT_EQ(back.meta.config.numClasses, 100);
    EXPECT_EQ(back.meta.classNames, model.meta.classNames);
    fs::remove_all(dir);
}

TEST(Dilution, AFoldThatCannotHappenStillWritesTheTrainedModelAndSaysHowToFinish)
{
    auto model = tinyModel();
    model.net->setBlockMode(1, {AttnMode::Diluting, 0.25});
    DilutionRun run;
    run.data = "fashion-mnist";
    run.ratio = 0.5;
    run.epochs = 3;
    model.meta.training["run"] = run;
    model.meta.training["dilution"] = {{"blocks", {1}}};
    const auto out = tempPath("unfolded.pth");
    try {
        foldAndSave(model, out);
        FAIL() << "a block at lambda 0.25 was folded";
    } catch (const Error& e) {
        const std::string why = e.what();
        EXPECT_NE(why.find("still diluting at lambda 0.25"), std::string::npos) << why;
        EXPECT_NE(why.find("wrote the trained, diluted model to " + out + ".diluted.mlpify"), std::string::npos) << why;
        // the one command that finishes it: an epoch at lambda 0 from the written model, then the fold
        EXPECT_NE(why.find("mlpify dilute " + out + ".diluted.mlpify --data fashion-mnist --remove 1"),
                  std::string::npos)
            << why;
        EXPECT_NE(why.find("--epochs 1"), std::string::npos) << why;
        EXPECT_NE(why.find("--dilution-epochs 0"), std::string::npos) << why;
    }
    EXPECT_FALSE(fs::exists(out));
    const auto kept = loadModel(out + ".diluted.mlpify");
    EXPECT_EQ(kept.meta.blocks[1].mode, AttnMode::Diluting);
    EXPECT_DOUBLE_EQ(kept.meta.blocks[1].lambda, 0.25);
}
