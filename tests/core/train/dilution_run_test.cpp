// The one definition of a dilution run and of a training-log line: their serialised forms read
// back to what was written.
#include "core/error.h"
#include "core/train/dilution.h"
#include "core/train/dilution_run.h"
#include "core/train/training_log.h"
#include "tests/core/train/unusual_run.h"

#include <gtest/gtest.h>

using namespace mlpify::core;
using mlpify::testing::unusualRun;

TEST(DilutionRun, JsonRoundTripKeepsEveryField)
{
    const auto r = unusualRun();
    const nlohmann::json j = r;
    EXPECT_TRUE(j.get<DilutionRun>() == r) << j.dump();
    EXPECT_EQ(j.size(), 23u); // one key per field; a new field needs its key (and this count)
    // Missing keys keep the defaults; a changed field is seen by the comparison.
    EXPECT_TRUE(nlohmann::json::object().get<DilutionRun>() == DilutionRun{});
    auto other = r;
    other.warmupEpochs = 0.5;
    EXPECT_FALSE(other == r);
}

TEST(DilutionRun, CommandLineLaunchesProcessesAndQuotesPaths)
{
    auto r = unusualRun();
    const auto line = commandLine(r);
    EXPECT_EQ(
        line.rfind("mlpify launch --nproc 3 -- dilute '/models/deit small.pth' --data 'folder:/data/it'\\''s'", 0), 0u)
        << line;
    EXPECT_NE(line.find(" --warmup-epochs 0.2"), std::string::npos) << line;
    EXPECT_NE(line.find(" --device cpu"), std::string::npos) << line;
    EXPECT_EQ(line.substr(line.size() - 14), " --distributed") << line;
    r.processes = 1;
    r.remove.clear();
    const auto one = commandLine(r);
    EXPECT_EQ(one.rfind("mlpify dilute ", 0), 0u) << one;
    EXPECT_NE(one.find(" --ratio 0.3 --method entropy --select-images 321 --random-seed 7"), std::string::npos) << one;
}

TEST(DilutionRun, TrainerOptionsComeFromTheRun)
{
    const auto r = unusualRun();
    const auto t = trainOptionsFor(r);
    EXPECT_EQ(t.epochs, 11);
    EXPECT_EQ(t.batchSize, 48);
    EXPECT_DOUBLE_EQ(t.lr, 1.25e-4);
    EXPECT_DOUBLE_EQ(t.warmupEpochs, 0.2);
    EXPECT_EQ(t.trainLimit, 6000);
    EXPECT_FALSE(t.augment);
    EXPECT_EQ(t.device, "cpu");
    EXPECT_EQ(t.seed, 99u);
    EXPECT_EQ(t.checkpoint, r.out + ".ckpt");
    const auto d = dilutionOptionsFor(r, {1, 3});
    EXPECT_EQ(d.blocks, (std::vector<int64_t>{1, 3}));
    EXPECT_DOUBLE_EQ(d.dilutionEpochs, 4.5);
    EXPECT_EQ(d.schedule, LambdaSchedule::Cosine);
    auto eighty = r;
    eighty.dilutionEpochs = -1;
    EXPECT_DOUBLE_EQ(dilutionOptionsFor(eighty, {}).dilutionEpochs, 0.8 * 11);
    auto bad = r;
    bad.schedule = "step";
    EXPECT_THROW(dilutionOptionsFor(bad, {}), Error);
}

TEST(TrainingLog, LinesReadBackIntoTheCurvesTheRunReported)
{
    TrainingCurves live, followed;
    for (int64_t k = 1; k <= 3; ++k) {
        StepStats s;
        s.step = k;
        s.totalSteps = 3;
        s.epoch = 0;
        s.loss = 2.0 / static_cast<double>(k);
        s.lr = 1e-3 * static_cast<double>(k);
        s.lambda = 1.0 - 0.25 * static_cast<double>(k);
        s.imagesPerSecond = 100.0 + static_cast<double>(k);
        s.commSeconds = 0.5;
        live.add(s);
        StepStats back;
        ASSERT_EQ(readLogLine(logLine(s, true).dump(), followed, &back), LogLineKind::Step);
        EXPECT_EQ(back.step, k);
    }
    EpochStats e;
    e.epoch = 1;
    e.trainLoss = 0.75;
    e.trainTop1 = 0.5;
    e.testTop1 = 0.625;
    e.lambda = 0.25;
    e.lr = 1e-4;
    e.seconds = 12.5;
    live.add(e);
    ASSERT_EQ(readLogLine(logLine(e).dump(), followed), LogLineKind::Epoch);
    // What another tool writes, or a line cut while being written, is not a log line.
    EXPECT_EQ(readLogLine("{\"step\": 4, \"lo", followed), LogLineKind::None);
    EXPECT_EQ(readLogLine("[1, 2]", followed), LogLineKind::None);
    EXPECT_EQ(readLogLine("{\"note\": 1}", followed), LogLineKind::None);

    ASSERT_EQ(followed.steps.size(), live.steps.size());
    EXPECT_EQ(followed.totalSteps, 3);
    for (size_t i = 0; i < live.steps.size(); ++i) {
        const auto &a = live.steps[i], &b = followed.steps[i];
        EXPECT_EQ(std::tie(a.step, a.totalSteps, a.epoch, a.loss, a.lr, a.lambda, a.imagesPerSecond, a.commSeconds),
                  std::tie(b.step, b.totalSteps, b.epoch, b.loss, b.lr, b.lambda, b.imagesPerSecond, b.commSeconds));
    }
    ASSERT_EQ(followed.epochs.size(), 1u);
    const auto& b = followed.epochs[0];
    EXPECT_EQ(std::tie(e.epoch, e.trainLoss, e.trainTop1, e.testTop1, e.lambda, e.lr, e.seconds),
              std::tie(b.epoch, b.trainLoss, b.trainTop1, b.testTop1, b.lambda, b.lr, b.seconds));
}
