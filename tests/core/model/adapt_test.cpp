// Fitting a pretrained model to new data (core/model/adapt.h): the position embedding resampled
// as timm does, a new head, and the class check that comes before any training.
#include "core/data/batch_loader.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/io/pickle.h"
#include "core/model/adapt.h"
#include "core/setting.h"

#include "test_config.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

using namespace mlpify::core;

namespace {
torch::Tensor fixture(const std::string& key)
{
    static const auto file = loadTorchFile(std::string(MLPIFY_FIXTURE_DIR) + "/pos_embed_resample.pth");
    const PyPtr* t = file->find(key);
    if (!t)
        throw std::runtime_error("pos_embed_resample.pth lacks " + key);
    return (*t)->tensor;
}
} // namespace

TEST(Adapt, ResamplingToTheSameGridIsTheIdentity)
{
    const auto pos = fixture("pos");
    EXPECT_TRUE(torch::equal(resamplePositionEmbedding(pos, 2, 14), pos));
}

TEST(Adapt, ResamplingMatchesTorchInterpolateAsTimmCallsIt)
{
    // python3-torch's F.interpolate(bicubic, align_corners=False, antialias=True), prefix rows kept
    // (tests/fixtures/make_resample_fixture.py); float32 of values near 1: 1e-5 is ~80 eps.
    const auto pos = fixture("pos");
    for (const auto& [key, grid] : {std::pair<std::string, int64_t>{"to7", 7}, {"to20", 20}}) {
        const auto mine = resamplePositionEmbedding(pos, 2, grid);
        const auto reference = fixture(key);
        ASSERT_EQ(mine.sizes(), reference.sizes()) << key;
        EXPECT_LT((mine - reference).abs().max().item<double>(), 1e-5) << key;
        EXPECT_TRUE(torch::equal(mine.narrow(1, 0, 2), pos.narrow(1, 0, 2))) << key;
    }
}

TEST(Adapt, ANewInputSizeKeepsTheWeightsAndRunsAtTheNewSize)
{
    auto m = makeModel(mlpify::testing::tinyConfig(3));
    m.net->setBlockMode(1, {AttnMode::Removed, 0.0});
    const auto before = m.net->stateDict();
    setInputSize(m, 56); // patch 4: a 7x7 grid becomes 14x14
    EXPECT_EQ(m.meta.config.imageSize, 56);
    EXPECT_EQ(m.net->pos_embed.size(1), 1 + 14 * 14);
    EXPECT_FALSE(m.net->blockModes()[1].hasAttention());
    for (const auto& [key, t] : m.net->stateDict())
        if (key != "pos_embed") {
            EXPECT_TRUE(torch::equal(t, before.at(key))) << key;
        }
    torch::NoGradGuard g;
    EXPECT_EQ(m.net->forward(torch::randn({2, 1, 56, 56})).sizes(), (std::vector<int64_t>{2, 10}));
    EXPECT_THROW(setInputSize(m, 30), Error); // not a multiple of the patch
}

TEST(Adapt, ANewHeadHasTheDataClassesAndDistilledModelsGetBoth)
{
    auto cfg = mlpify::testing::tinyConfig(2);
    cfg.distilled = true;
    auto m = makeModel(cfg);
    const auto body = m.net->blocks[0]->as<Block>()->mlp->fc1->weight.clone();
    std::vector<std::string> names;
    for (int i = 0; i < 100; ++i)
        names.push_back("c" + std::to_string(i));
    torch::manual_seed(1);
    replaceHead(m, 100, names);
    EXPECT_EQ(m.meta.config.numClasses, 100);
    EXPECT_EQ(m.net->config().numClasses, 100);
    EXPECT_EQ(m.meta.classNames, names);
    for (const auto& head : {m.net->head, m.net->head_dist}) {
        EXPECT_EQ(head->weight.size(0), 100);
        EXPECT_TRUE(torch::equal(head->bias, torch::zeros({100})));
        EXPECT_LE(head->weight.abs().max().item<double>(), 0.04 + 1e-7); // clamped at 2 std
        EXPECT_NEAR(head->weight.std().item<double>(), 0.0192, 0.002);   // N(0, 0.02) clamped at 2 std
    }
    EXPECT_TRUE(torch::equal(m.net->blocks[0]->as<Block>()->mlp->fc1->weight, body));
    EXPECT_EQ(m.net->forward(torch::randn({3, 1, 28, 28})).size(1), 100);
    // the state dict is the 100-class model's: it saves and loads as such
    const auto path = mlpify::testing::tempPath("adapt", "head.mlpify");
    saveModel(m, path);
    EXPECT_EQ(loadModel(path).meta.config.numClasses, 100);
}

TEST(Adapt, DataWithOtherClassesThanTheHeadIsRefusedNamingBothCounts)
{
    Dataset d;
    d.spec = "folder:flowers";
    d.images = torch::zeros({4, 1, 28, 28}, torch::kUInt8);
    d.labels = torch::tensor({0, 1, 2, 2});
    d.classNames = {"a", "b", "c"};
    const auto cfg = mlpify::testing::tinyConfig(2);
    try {
        checkClasses(d, cfg);
        FAIL() << "3 classes passed a 10-class head";
    } catch (const Error& e) {
        const std::string why = e.what();
        EXPECT_NE(why.find("folder:flowers: has 3 classes"), std::string::npos) << why;
        EXPECT_NE(why.find("has 10 outputs"), std::string::npos) << why;
        EXPECT_NE(why.find("; a new head trains a new 3-class head"), std::string::npos) << why; // core's words
    }
    // Each face names the setting its own way (the CLI: its flag).
    setSettingSpelling([](Setting s) { return s == Setting::NewHead ? std::string("--new-head") : settingWords(s); });
    try {
        checkClasses(d, cfg);
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("; --new-head trains a new 3-class head"), std::string::npos) << e.what();
    }
    setSettingSpelling({});
    EXPECT_EQ(settingName(Setting::NewHead), "a new head");
    d.classNames.clear(); // without names: the largest label + 1
    EXPECT_EQ(classCount(d), 3);
}
