#include "core/error.h"
#include "core/io/model_io.h"
#include "core/model/attention_kernel.h"
#include "core/model/merge_schedule.h"
#include "core/model/vit.h"
#include "core/torch_compat.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

using namespace mlpify::core;

namespace {
ViTConfig tinyConfig()
{
    return mlpify::testing::tinyConfig(4);
}

VisionTransformer cloneOf(const VisionTransformer& src)
{
    VisionTransformer dst(src->config());
    dst->setBlockModes(src->blockModes());
    dst->loadStateDict(src->stateDict(), "clone");
    return dst;
}

// Random LayerNorm affine parameters, so the tests see every parameter's effect.
void perturb(VisionTransformer& m)
{
    torch::NoGradGuard g;
    for (auto& p : m->parameters())
        p.add_(torch::randn_like(p) * 0.1);
}
} // namespace

TEST(VisionTransformer, LambdaOneIsBitIdenticalToTheOriginalBlock)
{
    torch::manual_seed(1);
    VisionTransformer a(tinyConfig());
    perturb(a);
    auto b = cloneOf(a);
    b->setBlockMode(1, {AttnMode::Diluting, 1.0});
    b->setBlockMode(3, {AttnMode::Diluting, 1.0});
    auto x = torch::randn({3, 1, 28, 28});
    EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x)));
}

TEST(VisionTransformer, LambdaZeroEqualsTheMlpOnlyBlock)
{
    torch::manual_seed(2);
    VisionTransformer a(tinyConfig());
    perturb(a);
    auto b = cloneOf(a);
    a->setBlockMode(0, {AttnMode::Diluting, 0.0});
    a->setBlockMode(2, {AttnMode::Diluting, 0.0});
    b->setBlockMode(0, {AttnMode::Removed, 0.0});
    b->setBlockMode(2, {AttnMode::Removed, 0.0});
    auto x = torch::randn({3, 1, 28, 28});
    EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x)));
    // and lambda strictly between changes the output
    a->setBlockMode(0, {AttnMode::Diluting, 0.5});
    EXPECT_FALSE(torch::allclose(a->forward(x), b->forward(x)));
}

TEST(VisionTransformer, RemovedBlockKeepsNoAttentionParameters)
{
    VisionTransformer m(tinyConfig());
    const auto before = m->parameterCount();
    m->setBlockMode(1, {AttnMode::Removed, 0.0});
    for (const auto& key : m->stateKeys()) {
        EXPECT_EQ(key.rfind("blocks.1.attn", 0), std::string::npos) << key;
        EXPECT_EQ(key.rfind("blocks.1.norm1", 0), std::string::npos) << key;
    }
    const auto d = tinyConfig().embedDim;
    EXPECT_EQ(before - m->parameterCount(), (3 * d * d + 3 * d) + (d * d + d) + 2 * d);
    EXPECT_THROW(m->setBlockMode(1, {AttnMode::Active, 1.0}), Error);
}

TEST(VisionTransformer, SkippedBlockIsTheResidualPlusMlp)
{
    torch::manual_seed(3);
    VisionTransformer m(tinyConfig());
    perturb(m);
    m->setBlockMode(2, {AttnMode::Skipped, 1.0});
    ForwardTrace trace;
    m->forward(torch::randn({2, 1, 28, 28}), &trace);
    const auto& in = trace.blocks[1].out;
    auto* blk = m->blocks[2]->as<Block>();
    auto expected = in + blk->mlp->forward(blk->norm2->forward(in));
    EXPECT_TRUE(torch::equal(trace.blocks[2].out, expected));
    EXPECT_FALSE(trace.blocks[2].attn.defined());
}

TEST(VisionTransformer, LastBlockForTheHeadTokensOnlyMatchesTheFullForward)
{
    for (bool distilled : {false, true}) {
        torch::manual_seed(7);
        auto cfg = tinyConfig();
        cfg.distilled = distilled;
        VisionTransformer m(cfg);
        perturb(m);
        m->to(torch::kDouble); // the two paths multiply matrices of different shapes: compare in float64
        m->eval();
        torch::NoGradGuard g;
        auto x0 = m->embed(torch::randn({3, 1, 28, 28}, torch::kDouble));
        const auto prefix = cfg.numPrefixTokens();
        for (auto mode : {BlockMode{}, BlockMode{AttnMode::Diluting, 0.3}, BlockMode{AttnMode::Skipped, 1.0}}) {
            std::vector<BlockMode> modes(4);
            modes[3] = mode;
            auto full = m->runBlocks(x0, 1, &modes);
            auto head = m->runBlocks(x0, 1, &modes, nullptr, prefix);
            ASSERT_EQ(head.size(1), prefix);
            EXPECT_TRUE(torch::allclose(head, full.narrow(1, 0, prefix), 1e-12, 1e-12));
            EXPECT_TRUE(torch::allclose(m->finish(head), m->finish(full), 1e-12, 1e-12));
        }
    }
}

// LibTorch 2.x's fused attention against the explicit product, in float64: plain, distilled, with
// the head-token-only last block, ToMe's proportional attention (an additive mask) and gradients.
TEST(VisionTransformer, FusedAttentionEqualsTheExplicitProductInFloat64)
{
    if (!fusedAttentionAvailable())
        GTEST_SKIP() << "LibTorch " << compat::torchVersion()
                     << " has no scaled_dot_product_attention: every forward takes the explicit path";
    for (bool distilled : {false, true}) {
        torch::manual_seed(11);
        auto cfg = tinyConfig();
        cfg.distilled = distilled;
        VisionTransformer m(cfg);
        perturb(m);
        m->to(torch::kDouble);
        m->setBlockMode(1, {AttnMode::Diluting, 0.4});
        const auto images = torch::randn({3, 1, 28, 28}, torch::kDouble);
        const auto run = [&](AttentionKernel kernel, bool merging) {
            ScopedAttentionKernel k(kernel);
            m->setMergeSchedule(merging ? constantSchedule(5, 4) : constantSchedule(0, 4));
            m->zero_grad();
            const auto logits = m->forward(images);
            logits.pow(2).sum().backward();
            return std::make_pair(logits.detach(), m->blocks[0]->as<Block>()->attn->qkv->weight.grad().clone());
        };
        for (bool merging : {false, true}) {
            const auto [explicitLogits, explicitGrad] = run(AttentionKernel::Explicit, merging);
            const auto [fusedLogits, fusedGrad] = run(AttentionKernel::Fused, merging);
            EXPECT_TRUE(torch::allclose(fusedLogits, explicitLogits, 1e-12, 1e-12)) << "distilled " << distilled;
            EXPECT_TRUE(torch::allclose(fusedGrad, explicitGrad, 1e-10, 1e-12)) << "distilled " << distilled;
        }
        torch::NoGradGuard g;
        m->setMergeSchedule(constantSchedule(0, 4));
        auto x0 = m->embed(images);
        const auto headOnly = [&](AttentionKernel kernel) {
            ScopedAttentionKernel k(kernel);
            return m->runBlocks(x0, 1, nullptr, nullptr, cfg.numPrefixTokens());
        };
        EXPECT_TRUE(
            torch::allclose(headOnly(AttentionKernel::Fused), headOnly(AttentionKernel::Explicit), 1e-12, 1e-12));
    }
}

TEST(VisionTransformer, TraceHandsBackEveryBranch)
{
    torch::manual_seed(4);
    VisionTransformer m(tinyConfig());
    m->to(torch::kDouble); // the rebuilt sum adds in another order than the block does
    m->setBlockMode(1, {AttnMode::Diluting, 0.25});
    ForwardTrace trace;
    auto logits = m->forward(torch::randn({2, 1, 28, 28}, torch::kDouble), &trace);
    ASSERT_EQ(trace.blocks.size(), 4u);
    // block 1: out = (2 - l) x + l a + m, with x the output of block 0
    const auto& t = trace.blocks[1];
    auto rebuilt = 1.75 * trace.blocks[0].out + 0.25 * t.attn + t.mlp;
    EXPECT_TRUE(torch::allclose(t.out, rebuilt, 1e-12, 1e-12));
    EXPECT_EQ(trace.feature.sizes(), (std::vector<int64_t>{2, 24}));
    EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 10}));
}

TEST(VisionTransformer, RejectsBadLambdaAndBadInput)
{
    VisionTransformer m(tinyConfig());
    EXPECT_THROW(m->setBlockMode(0, {AttnMode::Diluting, 1.5}), Error);
    EXPECT_THROW(m->setBlockMode(7, {AttnMode::Removed, 0}), Error);
    EXPECT_THROW(m->forward(torch::randn({1, 3, 28, 28})), Error);
    auto bad = tinyConfig();
    bad.numHeads = 5;
    EXPECT_THROW(VisionTransformer{bad}, Error);
}

TEST(VisionTransformer, PresetsHaveDeitSizes)
{
    // timm reports 5.7M / 22.1M / 86.6M parameters for DeiT-Tiny / Small / Base.
    EXPECT_EQ(makeModel(presetConfig("deit_tiny_patch16_224")).net->parameterCount(), 5717416);
    EXPECT_EQ(makeModel(presetConfig("deit_small_patch16_224")).net->parameterCount(), 22050664);
}

// The patch embedding runs as one matrix product; it is the strided convolution, value and gradient.
TEST(VisionTransformer, PatchEmbeddingIsTheStridedConvolution)
{
    auto cfg = presetConfig("deit_tiny_patch16_224");
    cfg.embedDim = 12;
    cfg.numHeads = 2;
    cfg.mlpHidden = 24;
    cfg.depth = 1;
    cfg.inChans = 3;
    torch::manual_seed(3);
    VisionTransformer m(cfg);
    m->to(torch::kDouble);
    perturb(m);
    auto images = torch::randn({2, 3, 224, 224}, torch::kDouble).requires_grad_();
    auto& proj = m->patch_embed->proj;
    const auto want = torch::conv2d(images, proj->weight, proj->bias, 16).flatten(2).transpose(1, 2);
    const auto got = m->patch_embed->forward(images);
    ASSERT_EQ(got.sizes(), want.sizes());
    EXPECT_TRUE(torch::allclose(got, want, 1e-12, 1e-12)) << (got - want).abs().max().item<double>();
    const auto w = torch::randn_like(want);
    const auto gWant = torch::autograd::grad({(want * w).sum()}, {proj->weight, images});
    const auto gGot = torch::autograd::grad({(got * w).sum()}, {proj->weight, images});
    for (size_t i = 0; i < 2; ++i)
        EXPECT_TRUE(torch::allclose(gGot[i], gWant[i], 1e-12, 1e-12)) << i;
}

namespace {
// DINOv2's layout on the tiny model: LayerScale, 3 register tokens, the classifier on
// [class token, mean patch token]; float64, random gammas, so every term shows.
VisionTransformer dinoLike()
{
    auto c = tinyConfig();
    c.layerScale = true;
    c.registerTokens = 3;
    c.headOnPatchMean = true;
    c.maskToken = true;
    torch::manual_seed(5);
    VisionTransformer m(c);
    m->to(torch::kDouble);
    perturb(m);
    return m;
}
} // namespace

TEST(VisionTransformer, LayerScaleDilutionIsTheScaledBranchAndTheFoldStaysExact)
{
    auto a = dinoLike();
    const auto& c = a->config();
    EXPECT_EQ(a->pos_embed.size(1), c.numPatches() + 1); // registers have no position
    EXPECT_EQ(a->head->weight.size(1), 2 * c.embedDim);
    auto x = torch::randn({2, 1, 28, 28}, torch::kDouble);
    auto tokens = a->embed(x);
    ASSERT_EQ(tokens.size(1), c.numPatches() + 1 + 3);
    EXPECT_TRUE(torch::equal(tokens.narrow(1, 1, 3), a->reg_token.expand({2, -1, -1})));

    // x = (2 - lambda) x + lambda * gamma * Attn(LN1 x); x = x + gamma2 * MLP(LN2 x)
    auto* block = a->blocks[1]->as<Block>();
    const double lambda = 0.3;
    const auto out = block->forwardAs(tokens, {AttnMode::Diluting, lambda});
    const auto attn = block->attn->forward(block->norm1->forward(tokens)) * block->ls1->gamma;
    const auto y = (2 - lambda) * tokens + lambda * attn;
    const auto expected = y + block->mlp->forward(block->norm2->forward(y)) * block->ls2->gamma;
    EXPECT_LT((out - expected).abs().max().item<double>(), 1e-12);

    // lambda 1 is the original block, lambda 0 the MLP-only one; the fold drops ls1 with attn
    auto b = cloneOf(a);
    b->setBlockMode(1, {AttnMode::Diluting, 1.0});
    EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x)));
    b->setBlockMode(1, {AttnMode::Diluting, 0.0});
    const auto diluted = b->forward(x);
    b->setBlockMode(1, {AttnMode::Removed, 0.0});
    EXPECT_TRUE(torch::equal(b->forward(x), diluted));
    for (const auto& key : b->stateKeys())
        EXPECT_EQ(key.rfind("blocks.1.ls1", 0), std::string::npos) << key;
    EXPECT_TRUE(b->stateDict().count("blocks.1.ls2.gamma"));
    EXPECT_FALSE(torch::allclose(a->forward(x), diluted));

    // the head reads the class token and the mean of the patch tokens, registers excluded
    torch::NoGradGuard g;
    const auto final = a->forwardTokens(x);
    const auto feature = torch::cat({final.select(1, 0), final.narrow(1, 4, c.numPatches()).mean(1)}, 1);
    EXPECT_LT((a->head_forward(final) - a->head->forward(feature)).abs().max().item<double>(), 1e-12);
    EXPECT_THROW(a->setMergeSchedule(MergeSchedule{{1}}), Error);
}

TEST(VisionTransformer, DinoLayoutSurvivesSaveAndLoad)
{
    ModelBundle m;
    m.net = dinoLike();
    m.meta.config = m.net->config();
    m.meta.blocks = m.net->blockModes();
    m.meta.normalization = {{0.5}, {0.5}};
    m.meta.source = "test";
    m.net->setBlockMode(2, {AttnMode::Removed, 0.0});
    m.meta.blocks = m.net->blockModes();
    const auto path = mlpify::testing::tempPath("vit", "dino.mlpify");
    saveModel(m, path);
    auto back = loadModel(path);
    EXPECT_TRUE(back.meta.config.layerScale);
    EXPECT_EQ(back.meta.config.registerTokens, 3);
    EXPECT_TRUE(back.meta.config.headOnPatchMean);
    EXPECT_TRUE(back.meta.config.maskToken);
    auto x = torch::randn({2, 1, 28, 28}, torch::kDouble);
    torch::NoGradGuard g;
    EXPECT_TRUE(torch::equal(back.net->forward(x), m.net->forward(x)));
}
