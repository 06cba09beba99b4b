// Attention maps, rollout and attention statistics against closed forms, the normal forward in
// float64, and transformers-semantics attention computed in python3-torch
// (tests/fixtures/make_attention_fixture.py).
#include "core/analysis/attention_maps.h"
#include "core/analysis/attention_stats.h"
#include "core/data/batch_loader.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/io/pickle.h"
#include "core/model/attention_kernel.h"
#include "tests/core/test_support.h"

#include "test_config.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlpify::core;

namespace {
const std::string kHf = std::string(MLPIFY_FIXTURE_DIR) + "/hf";

// A tiny float64 model with every parameter perturbed, block 1 diluting and block 2 MLP-only.
ModelBundle tinyDouble(int64_t depth = 4)
{
    torch::manual_seed(7);
    auto m = makeModel(mlpify::testing::tinyConfig(depth));
    m.net->to(torch::kDouble);
    {
        torch::NoGradGuard g;
        for (auto& p : m.net->parameters())
            p.add_(torch::randn_like(p) * 0.2);
    }
    if (depth > 2) {
        m.net->setBlockMode(1, {AttnMode::Diluting, 0.4});
        m.net->setBlockMode(2, {AttnMode::Removed, 0.0});
        m.meta.blocks = m.net->blockModes();
    }
    m.net->eval();
    return m;
}

torch::Tensor images(int64_t n)
{
    torch::manual_seed(3);
    return torch::randn({n, 1, 28, 28}, torch::kDouble);
}

std::string errorOf(const std::function<void()>& fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

torch::Tensor fixture(const std::string& key)
{
    auto io = loadTorchFile(kHf + "/attention.pth");
    const PyPtr* t = io->find(key);
    if (!t)
        throw std::runtime_error("fixture lacks " + key);
    return (*t)->tensor;
}
} // namespace

TEST(Attention, ObservingItLeavesTheForwardsOutputAsItWasInFloat64)
{
    auto m = tinyDouble();
    torch::NoGradGuard g;
    const auto x = images(3);
    const auto plain = m.net->forward(x);
    int calls = 0;
    const auto observed = observeAttention(m.net, x, {}, [&](int64_t, const torch::Tensor&) { ++calls; });
    EXPECT_EQ(calls, 3); // blocks 0, 1 (diluting) and 3; block 2 is MLP-only
    EXPECT_TRUE(torch::allclose(observed, plain, 1e-12, 1e-12)) << (observed - plain).abs().max();
    if (fusedAttentionAvailable()) { // the normal forward on the fused kernel, the observed one explicit
        ScopedAttentionKernel fused(AttentionKernel::Fused);
        const auto viaFused = m.net->forward(x);
        EXPECT_TRUE(torch::allclose(observeAttention(m.net, x, {0, 3}, [](int64_t, const torch::Tensor&) {}), viaFused,
                                    1e-10, 1e-10));
    }
}

TEST(Attention, EveryRowSumsToOneAndTheRequestKeepsWhatItAsks)
{
    auto m = tinyDouble();
    torch::NoGradGuard g;
    const auto x = images(2);
    const auto all = attentionMaps(m.net, x, {});
    ASSERT_EQ(all.size(), 3u);
    const auto tokens = m.meta.config.numTokens();
    for (const auto& a : all) {
        ASSERT_EQ(a.sizes(), (std::vector<int64_t>{2, 2, tokens, tokens}));
        EXPECT_TRUE(torch::allclose(a.sum(-1), torch::ones_like(a.sum(-1)), 0, 1e-12));
        EXPECT_GE(a.min().item<double>(), 0.0);
    }
    const auto some = attentionMaps(m.net, x, {{3, 0}, {1}, {0, 5}});
    ASSERT_EQ(some.size(), 2u);
    EXPECT_EQ(some[0].sizes(), (std::vector<int64_t>{2, 1, 2, tokens}));
    EXPECT_TRUE(torch::equal(some[0].select(1, 0).select(1, 1), all[2].select(1, 1).select(1, 5)));
    EXPECT_TRUE(torch::equal(some[1].select(1, 0).select(1, 0), all[0].select(1, 1).select(1, 0)));
}

TEST(Attention, OneHotTokensGiveTheAttentionComputedByHand)
{
    // One head of width 2 whose queries and keys are the tokens themselves: tokens (a, 0), (0, a)
    // and (0, 0) give the logits q_i . k_j / sqrt(2) = a^2 / sqrt(2) on the diagonal of the first
    // two rows and 0 elsewhere.
    Attention attn(2, 1);
    attn->to(torch::kDouble);
    {
        torch::NoGradGuard g;
        attn->qkv->weight.copy_(torch::cat({torch::eye(2), torch::eye(2), torch::eye(2)}).to(torch::kDouble));
        attn->qkv->bias.zero_();
    }
    const double a = 2.0;
    const auto x = torch::tensor({a, 0.0, 0.0, a, 0.0, 0.0}, torch::kDouble).reshape({1, 3, 2});
    torch::Tensor seen;
    const AttentionObserver keep = [&](const torch::Tensor& p) { seen = p.clone(); };
    torch::NoGradGuard g;
    attn->forward(x, 0, {}, nullptr, &keep);
    ASSERT_EQ(seen.sizes(), (std::vector<int64_t>{1, 1, 3, 3}));
    const double e = std::exp(a * a / std::sqrt(2.0));
    const auto expected = torch::tensor({e / (e + 2), 1 / (e + 2), 1 / (e + 2), 1 / (e + 2), e / (e + 2), 1 / (e + 2),
                                         1.0 / 3, 1.0 / 3, 1.0 / 3},
                                        torch::kDouble)
                              .reshape({1, 1, 3, 3});
    EXPECT_TRUE(torch::allclose(seen, expected, 0, 1e-14)) << seen;
}

TEST(Attention, RolloutOfIdentityAttentionIsTheIdentityAndStepsMultiplyAsTheClosedForm)
{
    const auto eye = torch::eye(5, torch::kDouble).expand({1, 3, 5, 5});
    auto rolled = rolloutStep({}, eye, HeadFusion::Mean, {});
    rolled = rolloutStep(rolled, eye, HeadFusion::Max, {});
    EXPECT_TRUE(torch::allclose(rolled[0], torch::eye(5, torch::kDouble), 0, 1e-15));

    torch::manual_seed(4);
    const auto a = torch::softmax(torch::randn({1, 2, 5, 5}, torch::kDouble), -1);
    const auto b = torch::softmax(torch::randn({1, 2, 5, 5}, torch::kDouble), -1);
    const auto i = torch::eye(5, torch::kDouble);
    const auto stepA = (a.mean(1) + i) / 2;
    const double lambda = 0.3;
    const auto stepB = ((2 - lambda) * i + lambda * b.mean(1)) / 2;
    const auto two =
        rolloutStep(rolloutStep({}, a, HeadFusion::Mean, {}), b, HeadFusion::Mean, {AttnMode::Diluting, lambda});
    EXPECT_TRUE(torch::allclose(two, torch::matmul(stepB, stepA), 0, 1e-14));
    // Max fusion: rows of (max_h A + I) renormalised.
    auto maxA = std::get<0>(a.max(1)) + i;
    EXPECT_TRUE(torch::allclose(rolloutStep({}, a, HeadFusion::Max, {}), maxA / maxA.sum(-1, true), 0, 1e-14));
    EXPECT_TRUE(torch::allclose(two.sum(-1), torch::ones({1, 5}, torch::kDouble), 0, 1e-14));
}

TEST(Attention, RolloutOfAModelIsTheProductOfItsBlocksStepsWithMlpOnlyBlocksAsTheIdentity)
{
    auto m = tinyDouble();
    torch::NoGradGuard g;
    const auto x = images(2);
    const auto maps = attentionMaps(m.net, x, {}); // blocks 0, 1, 3
    auto expected = rolloutStep({}, maps[0], HeadFusion::Min, {});
    expected = rolloutStep(expected, maps[1], HeadFusion::Min, {AttnMode::Diluting, 0.4});
    EXPECT_TRUE(torch::allclose(attentionRollout(m.net, x, 1, HeadFusion::Min), expected, 0, 1e-13));
    // Block 2 is MLP-only (x = 2x mixes no tokens): up to 2 equals up to 1.
    EXPECT_TRUE(torch::allclose(attentionRollout(m.net, x, 2, HeadFusion::Min), expected, 0, 1e-13));
    expected = rolloutStep(expected, maps[2], HeadFusion::Min, {});
    EXPECT_TRUE(torch::allclose(attentionRollout(m.net, x, 3, HeadFusion::Min), expected, 0, 1e-13));
}

TEST(Attention, MeanDistanceOfUniformAttentionIsTheClosedFormAndOfSelfAttentionZero)
{
    TokenLayout layout{{"class token"}, 2, 16};
    // Uniform attention over 1 + 4 tokens: renormalised over the 4 patches, each query sees
    // distances 0, 16, 16 and 16 sqrt(2): a mean of 16 (2 + sqrt 2) / 4 pixels.
    const auto uniform = torch::full({1, 1, 5, 5}, 0.2, torch::kDouble);
    EXPECT_NEAR(meanAttentionDistance(uniform, layout).item<double>(), 16 * (2 + std::sqrt(2.0)) / 4, 1e-12);
    EXPECT_NEAR(specialTokenShare(uniform, layout).item<double>(), 0.2, 1e-15);
    EXPECT_NEAR(attentionRowEntropy(uniform).item<double>(), std::log(5.0), 1e-12);
    const auto self = torch::eye(5, torch::kDouble).expand({2, 3, 5, 5});
    EXPECT_TRUE(torch::equal(meanAttentionDistance(self, layout), torch::zeros({2, 3}, torch::kDouble)));
    EXPECT_TRUE(torch::equal(attentionRowEntropy(self), torch::zeros({2, 3}, torch::kDouble)));
    // A 3 x 3 grid of 10-pixel patches, every query looking at patch (2, 2): from (r, c) that is
    // sqrt((2 - r)^2 + (2 - c)^2) patches away.
    TokenLayout three{{"class token"}, 3, 10};
    auto corner = torch::zeros({1, 1, 10, 10}, torch::kDouble);
    corner.index_put_({0, 0, torch::indexing::Slice(), 9}, 1.0);
    EXPECT_NEAR(meanAttentionDistance(corner, three).item<double>(),
                10 * (std::sqrt(8.0) + 2 * std::sqrt(5.0) + 2 * 2 + std::sqrt(2.0) + 2 * 1 + 0) / 9, 1e-12);
}

TEST(Attention, RegisterAndDistillationTokensStayOutOfThePatchGrid)
{
    auto reg = loadModel(kHf + "/dinov2-registers");
    const auto layout = tokenLayout(reg.meta.config);
    EXPECT_EQ(layout.special,
              (std::vector<std::string>{"class token", "register 1", "register 2", "register 3", "register 4"}));
    EXPECT_EQ(layout.grid, 4);
    EXPECT_EQ(layout.tokens(), 21);
    const auto x = fixture("input");
    auto map = attentionMap(reg, x.narrow(0, 1, 1), {/*block=*/2, /*head=*/-1, /*query=*/0});
    ASSERT_EQ(map.special.size(), 5u);
    ASSERT_EQ(map.patches.size(), 16u);
    const auto row = fixture("dinov2-registers_2")[1].mean(0)[0].to(torch::kDouble);
    for (int64_t t = 0; t < 5; ++t)
        EXPECT_NEAR(map.special[static_cast<size_t>(t)], row[t].item<double>(), 1e-5);
    for (int64_t p = 0; p < 16; ++p)
        EXPECT_NEAR(map.patches[static_cast<size_t>(p)], row[5 + p].item<double>(), 1e-5);
    EXPECT_NEAR(map.patchShare() + row.narrow(0, 0, 5).sum().item<double>(), 1.0, 1e-5);

    auto deit = loadModel(kHf + "/deit-teacher");
    EXPECT_EQ(tokenLayout(deit.meta.config).special, (std::vector<std::string>{"class token", "distillation token"}));
    const auto click = tokenLayout(deit.meta.config).patchToken(3, 1);
    EXPECT_EQ(click, 2 + 3 * 4 + 1);
    EXPECT_EQ(tokenLayout(deit.meta.config).tokenName(click), "patch (3, 1)");
}

TEST(Attention, MapsOfHuggingFaceFoldersEqualTransformersEagerAttention)
{
    // float32 both sides; probabilities below 1, so 1e-5 is ~80 float32 epsilons. The fixtures'
    // entries spread by over 0.01 around 1/T, so a head split in the wrong order or a misplaced
    // register token would move them by a thousand times the tolerance.
    torch::NoGradGuard g;
    const auto x = fixture("input");
    for (const std::string name : {"vit", "deit-teacher", "dinov2-registers"}) {
        auto m = loadModel(kHf + "/" + name);
        m.net->eval();
        const auto maps = attentionMaps(m.net, x, {});
        ASSERT_EQ(maps.size(), 3u) << name;
        for (size_t b = 0; b < maps.size(); ++b) {
            const auto reference = fixture(name + "_" + std::to_string(b));
            ASSERT_EQ(maps[b].sizes(), reference.sizes()) << name << " block " << b;
            EXPECT_LT((maps[b] - reference).abs().max().item<double>(), 1e-5) << name << " block " << b;
            EXPECT_GT(reference.std().item<double>(), 0.01) << "the fixture's attention is nearly uniform";
        }
    }
}

TEST(Attention, BadRequestsAreRefusedNamingWhatIsWrong)
{
    auto m = tinyDouble();
    const auto x = images(1);
    EXPECT_NE(errorOf([&] { attentionMap(m, x, {7}); }).find("block 7 is out of range (the model has 4 blocks, 0..3)"),
              std::string::npos);
    EXPECT_NE(errorOf([&] { attentionMap(m, x, {0, 2}); }).find("head 2 is out of range"), std::string::npos);
    EXPECT_NE(errorOf([&] { attentionMap(m, x, {2}); }).find("block 2 has no attention left to show (it is MLP-only)"),
              std::string::npos);
    EXPECT_NE(errorOf([&] {
                  attentionMap(m, x, {0, -1, 50});
              }).find("query token 50 is out of range"),
              std::string::npos);
    EXPECT_NE(errorOf([&] {
                  attentionMap(m, torch::zeros({1, 1, 32, 32}, torch::kDouble), {0});
              }).find("expects images"),
              std::string::npos);
    // A rollout through an MLP-only block is fine: it mixes no tokens.
    EXPECT_NO_THROW(attentionMap(m, x, {2, -1, 0, true}));
}

TEST(Attention, StatisticsOverADatasetAreThePerImageValuesAveraged)
{
    auto m = tinyDouble();
    torch::manual_seed(5);
    Dataset d;
    d.images = torch::randint(0, 256, {7, 1, 28, 28}, torch::kLong).to(torch::kUInt8);
    d.labels = torch::zeros({7}, torch::kLong);
    d.spec = "random";
    d.split = "test";
    FunctionProgress quiet;
    AttentionStatsOptions o;
    o.batchSize = 3; // uneven batches across the threads
    o.device = "cpu";
    const auto s = attentionStatistics(m, d, o, quiet);
    ASSERT_EQ(s.blocks.size(), 3u);
    EXPECT_EQ(s.removedBlocks, std::vector<int64_t>{2});
    EXPECT_EQ(s.blocks[1].state, "diluting");
    // Uniform attention over the 7 x 7 grid of 4-pixel patches, from the closed form of the test above.
    EXPECT_NEAR(s.uniformDistance,
                meanAttentionDistance(torch::ones({1, 1, 50, 50}, torch::kDouble) / 50, tokenLayout(m.meta.config))
                    .item<double>(),
                1e-12);
    // The same numbers from the maps of all seven images in one forward.
    torch::NoGradGuard g;
    const auto x = normalise(d.images, m.meta.normalization).to(torch::kDouble);
    const auto maps = attentionMaps(m.net, x, {});
    const auto layout = tokenLayout(m.meta.config);
    for (size_t b = 0; b < 3; ++b) {
        const auto dist = meanAttentionDistance(maps[b], layout); // [7, heads]
        const auto ent = attentionRowEntropy(maps[b]);
        for (int64_t h = 0; h < 2; ++h) {
            EXPECT_NEAR(s.blocks[b].distance.mean[static_cast<size_t>(h)], dist.select(1, h).mean().item<double>(),
                        1e-9);
            EXPECT_NEAR(s.blocks[b].distance.spread[static_cast<size_t>(h)], dist.select(1, h).std().item<double>(),
                        1e-9);
            EXPECT_NEAR(s.blocks[b].entropy.mean[static_cast<size_t>(h)], ent.select(1, h).mean().item<double>(), 1e-9);
        }
        EXPECT_NEAR(s.blocks[b].meanDistance, dist.mean().item<double>(), 1e-9);
        EXPECT_NEAR(s.blocks[b].distanceSpread, dist.mean(1).std().item<double>(), 1e-9);
        EXPECT_GT(s.blocks[b].meanDistance, 0.0);
        EXPECT_LT(s.blocks[b].meanEntropy, s.maxEntropy);
    }
    // JSON round trip.
    const nlohmann::json j = s;
    const auto back = j.get<AttentionStatistics>();
    EXPECT_EQ(nlohmann::json(back), j);
}
