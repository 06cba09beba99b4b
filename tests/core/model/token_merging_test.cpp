// Token merging (ToMe): the matching, the size-weighted merge, proportional attention, the
// schedules, and the model's forward with merging. Tensor comparisons run in float64.
#include "core/analysis/entropy_profile.h"
#include "core/bench/flops.h"
#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/model/merge_schedule.h"
#include "core/model/token_merging.h"
#include "core/progress.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <limits>

using namespace mlpify::core;

namespace {
torch::Tensor rows(std::initializer_list<std::vector<double>> r)
{
    std::vector<torch::Tensor> out;
    for (const auto& v : r)
        out.push_back(torch::tensor(v, torch::kDouble));
    return torch::stack(out).unsqueeze(0); // [1, T, C]
}
} // namespace

TEST(TokenMerging, AHandMadeMatchMergesTheMostSimilarPairs)
{
    // Tokens 0 (class), 2 and 4 form A; 1 and 3 form B. Cosine similarities: token 2 to 1 is 0.8,
    // to 3 is 0.6; token 4 to 1 is 0.28, to 3 is 0.96. The class token matches token 1 exactly,
    // but is never merged away.
    const auto metric = rows({{1, 0}, {1, 0}, {0.8, 0.6}, {0, 1}, {0.28, 0.96}});
    const auto x = rows({{1, 10}, {2, 20}, {3, 30}, {4, 40}, {5, 50}});
    const auto one = planMerge(metric, 1, false);
    ASSERT_EQ(one.r, 1);
    EXPECT_EQ(one.merged.item<int64_t>(), 2); // A's third token (position 4)
    EXPECT_EQ(one.into.item<int64_t>(), 1);   // into B's second (position 3)
    const auto ones = torch::ones({1, 5, 1}, torch::kDouble);
    auto [x1, s1] = mergeWeighted(one, x, ones);
    EXPECT_TRUE(torch::equal(x1, rows({{1, 10}, {3, 30}, {2, 20}, {4.5, 45}})));
    EXPECT_TRUE(torch::equal(s1.flatten(), torch::tensor({1.0, 1.0, 1.0, 2.0}, torch::kDouble)));
    // r = 2 also merges token 2 into token 1; r = 3 asks for more than the 2 that may go (clamped).
    for (int64_t r : {2, 3}) {
        const auto two = planMerge(metric, r, false);
        EXPECT_EQ(two.r, 2);
        EXPECT_TRUE(torch::equal(mergeWeighted(two, x, ones).first, rows({{1, 10}, {2.5, 25}, {4.5, 45}})));
    }
    // Sizes weight the average: a token of size 3 merged with one of size 1.
    const auto sized = torch::tensor({1.0, 1.0, 1.0, 3.0, 1.0}, torch::kDouble).view({1, 5, 1});
    EXPECT_TRUE(torch::equal(mergeWeighted(one, x, sized).first.select(1, 3).flatten(),
                             torch::tensor({(3 * 4 + 5) / 4.0, (3 * 40 + 50) / 4.0}, torch::kDouble)));
}

TEST(TokenMerging, TheDistillationTokenKeepsItsPlaceAndTakesNoToken)
{
    // A = tokens 0 (class), 2, 4; B = tokens 1 (distillation), 3, 5. Token 2 is closest to the
    // distillation token (0.995), so it goes to its next best, token 5 (0.677); token 4's best
    // edge is 0 (to token 3), so r = 1 merges token 2.
    const auto metric = rows({{0, 1}, {1, 0}, {1, 0.1}, {0, 1}, {-1, 0}, {0.6, 0.8}});
    const auto x = rows({{1}, {2}, {3}, {4}, {5}, {6}});
    const auto plan = planMerge(metric, 1, true);
    ASSERT_EQ(plan.r, 1);
    const auto out = mergeWeighted(plan, x, torch::ones({1, 6, 1}, torch::kDouble)).first.flatten();
    // [class, distillation, kept A (token 4), B (token 3, token 5 with 2)]
    EXPECT_TRUE(torch::equal(out, torch::tensor({1.0, 2.0, 5.0, 4.0, 4.5}, torch::kDouble))) << out;
}

TEST(TokenMerging, MergingKeepsTheSizeWeightedSumAndNeverMovesTheClassToken)
{
    torch::manual_seed(3);
    const auto x = torch::randn({3, 17, 6}, torch::kDouble);
    auto metric = torch::randn({3, 17, 4}, torch::kDouble);
    metric.select(1, 0).copy_(metric.select(1, 1)); // the class token's twin is a B token
    const auto size = torch::rand({3, 17, 1}, torch::kDouble) + 0.5;
    for (int64_t r : {1, 4, 8, 50}) {
        const auto plan = planMerge(metric, r, false);
        EXPECT_EQ(plan.r, std::min<int64_t>(r, 8));
        auto [y, s] = mergeWeighted(plan, x, size);
        EXPECT_EQ(y.size(1), 17 - plan.r);
        EXPECT_TRUE(torch::allclose((y * s).sum(1), (x * size).sum(1), 1e-12, 1e-12));
        EXPECT_TRUE(torch::allclose(s.sum(1), size.sum(1), 1e-12, 1e-12));
        // The class token passes through as size * x / size: within two roundings of itself.
        const double eps = std::numeric_limits<double>::epsilon();
        EXPECT_TRUE(torch::allclose(y.select(1, 0), x.select(1, 0), 4 * eps, 0));
    }
}

TEST(TokenMerging, ProportionalAttentionWithUnitSizesIsPlainAttention)
{
    torch::manual_seed(4);
    Attention attn(8, 2);
    attn->to(torch::kDouble);
    const auto x = torch::randn({2, 7, 8}, torch::kDouble);
    torch::Tensor keys;
    const auto plain = attn->forward(x);
    EXPECT_TRUE(torch::equal(attn->forward(x, 0, torch::zeros({2, 7}, torch::kDouble), &keys), plain));
    EXPECT_EQ(keys.sizes(), (std::vector<int64_t>{2, 7, 4}));
    // A key of size 2 counts as two copies of itself: the same output as the key duplicated.
    const auto twice = torch::cat({x, x.narrow(1, 6, 1)}, 1);
    auto logSize = torch::zeros({2, 7}, torch::kDouble);
    logSize.select(1, 6).fill_(std::log(2.0));
    EXPECT_TRUE(torch::allclose(attn->forward(x, 0, logSize), attn->forward(twice).narrow(1, 0, 7), 1e-12, 1e-12));
}

TEST(TokenMerging, ModelWithRZeroIsTheUnmergedModelAndImagesMergeIndependently)
{
    auto model = makeModel(mlpify::testing::tinyConfig(4));
    model.net->to(torch::kDouble);
    model.net->eval();
    torch::NoGradGuard noGrad;
    const auto images = torch::randn({3, 1, 28, 28}, torch::kDouble);
    const auto plain = model.net->forward(images);
    model.net->setMergeSchedule(constantSchedule(0, 4));
    EXPECT_TRUE(torch::equal(model.net->forward(images), plain));
    // One MLP-only block: it merges on its input tokens.
    model.net->setBlockMode(2, {AttnMode::Removed, 0.0});
    const auto slim = model.net->forward(images);
    model.net->setMergeSchedule(constantSchedule(6, 4, 1));
    const auto merged = model.net->forward(images);
    EXPECT_FALSE(torch::allclose(merged, slim));
    for (int64_t i = 0; i < 3; ++i)
        EXPECT_TRUE(torch::allclose(model.net->forward(images.narrow(0, i, 1)), merged.narrow(0, i, 1), 1e-12, 1e-12));
}

TEST(TokenMerging, AnalysesRefuseAMergingModel)
{
    auto model = makeModel(mlpify::testing::tinyConfig(2));
    model.net->setMergeSchedule(constantSchedule(4, 2));
    Dataset calib;
    calib.images = torch::zeros({4, 1, 28, 28}, torch::kUInt8);
    calib.labels = torch::zeros({4}, torch::kLong);
    FunctionProgress quiet;
    try {
        profileEntropy(model, calib, ProfileOptions{}, quiet);
        FAIL() << "the entropy analysis ran on merged tokens";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("token merging"), std::string::npos) << e.what();
    }
}

TEST(MergeSchedule, ConstantDecreasingAndListedSchedules)
{
    EXPECT_EQ(constantSchedule(8, 4, 1).r, (std::vector<int64_t>{0, 8, 8, 8}));
    EXPECT_EQ(constantSchedule(8, 4, 1).describe(), "8 from block 1");
    const MergeSchedule listed{{4, 0, 2}};
    EXPECT_EQ(listed.describe(), "4,0,2");
    EXPECT_EQ(constantSchedule(0, 4).describe(), "off");
    // ToMe's decreasing schedule for r = 8 over 12 blocks: int(16 - 16 i / 11).
    EXPECT_EQ(decreasingSchedule(8, 12).r, (std::vector<int64_t>{16, 14, 13, 11, 10, 8, 7, 5, 4, 2, 1, 0}));
    EXPECT_EQ(parseMergeSchedule("8", "constant", 0, 3, "--tome").r, (std::vector<int64_t>{8, 8, 8}));
    EXPECT_EQ(parseMergeSchedule("4,0,2", "constant", 0, 3, "--tome").r, (std::vector<int64_t>{4, 0, 2}));
    const MergeSchedule padded{{4, 0, 0}};
    EXPECT_TRUE(parseMergeSchedule("4,0", "constant", 0, 3, "--tome") == padded);
    for (const auto& [text, start] : {std::pair{"-1", 0}, std::pair{"1,2,3,4", 0}, std::pair{"x", 0}, std::pair{"8", 3},
                                      std::pair{"8", -1}, std::pair{"1,2", 1}, std::pair{"", 0}})
        EXPECT_THROW(parseMergeSchedule(text, "constant", start, 3, "--tome"), Error) << text;
    EXPECT_THROW(parseMergeSchedule("8", "sideways", 0, 3, "--tome"), Error);
    auto model = makeModel(mlpify::testing::tinyConfig(2));
    EXPECT_THROW(model.net->setMergeSchedule(MergeSchedule{{1, 1, 1}}), Error);
    EXPECT_THROW(model.net->setMergeSchedule(MergeSchedule{{-2}}), Error);
}

TEST(MergeSchedule, TokenCountsAndFlopsFollowTheClamp)
{
    const auto c = mlpify::testing::tinyConfig(2); // 50 tokens, width 24, 2 heads, MLP 48
    EXPECT_EQ(tokensPerBlock(c, MergeSchedule{{8, 30}}), (std::vector<int64_t>{50, 42, 22}));
    EXPECT_EQ(mergeCount(100, 5, false), 2);
    EXPECT_EQ(mergeCount(100, 5, true), 1);
    const double d = 24, h = 48, embed = 2.0 * 49 * 16 * d, head = 2 * d * 10;
    auto attention = [&](double n) { return 2 * n * d * 3 * d + 4 * n * n * d + 2 * n * d * d; };
    auto mlp = [&](double n) { return 4 * n * d * h; };
    std::vector<BlockMode> modes(2);
    const double match = 2.0 * 25 * 25 * 12; // |A| x |B| on the keys averaged over 2 heads of 12
    EXPECT_DOUBLE_EQ(analyticFlops(c, modes, MergeSchedule{{8}}),
                     embed + attention(50) + match + mlp(42) + attention(42) + mlp(42) + head);
    modes[0] = {AttnMode::Removed, 0.0}; // an MLP-only block matches on its tokens (width 24)
    EXPECT_DOUBLE_EQ(analyticFlops(c, modes, MergeSchedule{{8}}),
                     embed + 2.0 * 25 * 25 * 24 + mlp(42) + attention(42) + mlp(42) + head);
}
