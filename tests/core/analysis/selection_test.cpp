#include "core/analysis/assessment.h"
#include "core/analysis/comparison.h"
#include "core/analysis/criteria.h"
#include "core/analysis/entropy_profile.h"
#include "core/analysis/removal.h"
#include "core/analysis/selection.h"
#include "core/analysis/spectrum.h"
#include "core/analysis/stability.h"
#include "core/analysis/what_if.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/train/evaluate.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

using namespace mlpify::core;

namespace {
// In float64: these tests compare code paths that run matrix products of different shapes
// (prefix reuse vs naive, guessed vs stepwise, one batch per thread vs one large batch). In
// float32 the BLAS's summation order, chosen per CPU, moves head entropies by up to ~1e-6; in
// float64 the same reordering stays near 1e-13, so 1e-9 separates a real difference from rounding.
ModelBundle syntheticModel(uint64_t seed)
{
    torch::manual_seed(seed);
    auto m = makeModel(mlpify::testing::tinyConfig(6, "synthetic"));
    torch::NoGradGuard g;
    for (auto& p : m.net->parameters())
        p.add_(torch::randn_like(p) * 0.05);
    m.net->to(torch::kDouble);
    return m;
}

const Dataset& calibration()
{
    static const Dataset d = mlpify::testing::fashionMnistSubset(Split::Train, 256, 3);
    return d;
}

void zeroAttention(ModelBundle& m, int64_t block)
{
    torch::NoGradGuard g;
    auto* b = m.net->blocks[static_cast<size_t>(block)]->as<Block>();
    b->attn->proj->weight.zero_();
    b->attn->proj->bias.zero_();
}

// Attention-only blocks (MLP outputs zero) where block b writes only into channel group b of
// every token. The CLS token gets image information only through attention (MLPs act per
// token), so skipping block b leaves group b of the final CLS feature nearly constant.
void disjointAttentionWriters(ModelBundle& m)
{
    torch::NoGradGuard g;
    const auto depth = m.meta.config.depth, group = m.meta.config.embedDim / depth;
    for (int64_t b = 0; b < depth; ++b) {
        auto* blk = m.net->blocks[static_cast<size_t>(b)]->as<Block>();
        blk->mlp->fc2->weight.zero_();
        blk->mlp->fc2->bias.zero_();
        auto keep = torch::zeros_like(blk->attn->proj->weight);
        keep.narrow(0, b * group, group).fill_(1.0);
        blk->attn->proj->weight.mul_(keep);
        blk->attn->proj->bias.zero_();
    }
}

TeOptions cpuOptions()
{
    TeOptions o;
    o.device = "cpu";
    o.batchSize = 100; // not a divisor of 256: the last chunk is short
    return o;
}
} // namespace

TEST(TransferEntropy, ZeroAttentionOutputHasExactlyZeroTransferEntropy)
{
    auto m = syntheticModel(1);
    zeroAttention(m, 3);
    FunctionProgress quiet;
    EXPECT_EQ(transferEntropy(m, calibration(), {3}, cpuOptions(), quiet), 0.0);
    EXPECT_NE(transferEntropy(m, calibration(), {2}, cpuOptions(), quiet), 0.0);
}

TEST(TransferEntropy, NosePicksTheBlockWhoseSkipDoesNotLowerTheHeadEntropy)
{
    auto m = syntheticModel(2);
    disjointAttentionWriters(m);
    zeroAttention(m, 4);
    FunctionProgress quiet;
    auto o = cpuOptions();
    o.target = TeTarget::Feature; // G = the final CLS feature, method.md's option
    for (int64_t b : {0, 1, 2, 3, 5})
        ASSERT_GT(transferEntropy(m, calibration(), {b}, o, quiet), 0.0) << "precondition, block " << b;
    EXPECT_EQ(transferEntropy(m, calibration(), {4}, o, quiet), 0.0);
    auto r = selectNose(m, calibration(), 2, o, quiet);
    ASSERT_EQ(r.selected.size(), 2u);
    EXPECT_EQ(r.selected[0], 4);
    EXPECT_EQ(r.candidates.size(), 2u);
    EXPECT_DOUBLE_EQ(r.candidates[0][4], 0.0);
    EXPECT_TRUE(std::isnan(r.candidates[1][4])); // already chosen: not a candidate at step 2
    EXPECT_EQ(r.passes, 1 + 6 + 5);              // method.md: 1 + sum_k (L - k)
}

TEST(TransferEntropy, ExhaustiveAgreesWithGreedyForOneLayer)
{
    auto m = syntheticModel(3);
    FunctionProgress quiet;
    auto greedy = selectNose(m, calibration(), 1, cpuOptions(), quiet);
    auto exhaustive = selectExhaustive(m, calibration(), 1, cpuOptions(), quiet);
    auto single = selectSingleTe(m, calibration(), 1, cpuOptions(), quiet);
    EXPECT_EQ(greedy.selected, exhaustive.selected);
    EXPECT_EQ(greedy.selected, single.selected);
    EXPECT_NEAR(greedy.stepValues[0], exhaustive.stepValues[0], 1e-12);
}

TEST(TransferEntropy, PrefixReuseGivesTheNaiveResults)
{
    auto m = syntheticModel(4);
    FunctionProgress quiet;
    auto fast = cpuOptions(), naive = cpuOptions();
    naive.reusePrefix = false;
    const std::vector<std::vector<int64_t>> sets{{}, {0}, {5}, {2, 4}, {1, 3, 5}};
    HeadEntropyEvaluator a(m, calibration(), fast), b(m, calibration(), naive);
    const auto ha = a.entropies(sets, quiet), hb = b.entropies(sets, quiet);
    for (size_t k = 0; k < sets.size(); ++k)
        EXPECT_NEAR(ha[k], hb[k], 1e-9) << "set " << k;
    fast.rule = naive.rule = SkipRule::DiluteZero;
    HeadEntropyEvaluator c(m, calibration(), fast), d(m, calibration(), naive);
    const auto hc = c.entropies(sets, quiet), hd = d.entropies(sets, quiet);
    for (size_t k = 0; k < sets.size(); ++k)
        EXPECT_NEAR(hc[k], hd[k], 1e-9) << "set " << k;
    EXPECT_NE(ha[3], hc[3]); // the two removal rules are different estimators
    // A NOSE step: every set extends a common part {1}, which the fast path computes once.
    const std::vector<std::vector<int64_t>> step{{1}, {0, 1}, {1, 3}, {5, 1}, {1, 2, 4}};
    HeadEntropyEvaluator e(m, calibration(), cpuOptions());
    auto slow = cpuOptions();
    slow.reusePrefix = false;
    HeadEntropyEvaluator f(m, calibration(), slow);
    const auto he = e.entropies(step, quiet), hf = f.entropies(step, quiet);
    for (size_t k = 0; k < step.size(); ++k)
        EXPECT_NEAR(he[k], hf[k], 1e-9) << "step set " << k;
}

TEST(TransferEntropy, LayerMapHeadColumnIsTheSingleLayerTransferEntropy)
{
    auto m = syntheticModel(5);
    FunctionProgress quiet;
    auto map = layerToLayerMap(m, calibration(), cpuOptions(), TokenSet::Cls, quiet);
    ASSERT_EQ(map.values.size(), 6u);
    for (int64_t i = 0; i < 6; ++i) {
        EXPECT_NEAR(map.values[i][6], transferEntropy(m, calibration(), {i}, cpuOptions(), quiet), 1e-9);
        for (int64_t j = 0; j < i; ++j)
            EXPECT_TRUE(std::isnan(map.values[i][j]));
    }
    // Its JSON reads back cell for cell; a cell JSON cannot hold (undefined, or infinite where a
    // skip leaves a channel constant, as block 0's own output here) is null and reads back as NaN.
    const auto back = nlohmann::json(map).get<LayerMap>();
    ASSERT_EQ(back.values.size(), map.values.size());
    for (size_t i = 0; i < map.values.size(); ++i)
        for (size_t j = 0; j < map.values[i].size(); ++j) {
            const double v = map.values[i][j], w = back.values[i][j];
            EXPECT_TRUE(std::isfinite(v) ? w == v : std::isnan(w))
                << i << "," << j << ": " << v << " read back as " << w;
        }
    EXPECT_EQ(back.units, map.units);
}

TEST(Selection, BaselinesAreWellDefined)
{
    auto m = syntheticModel(6);
    EXPECT_EQ(selectFirst(m, 3).selected, (std::vector<int64_t>{0, 1, 2}));
    EXPECT_EQ(selectRandom(m, 3, 9).selected, selectRandom(m, 3, 9).selected);
    EXPECT_EQ(countForRatio(m, 0.5), 3);
    EXPECT_THROW(selectFirst(m, 7), Error);
    EntropyProfile p;
    for (int64_t b = 0; b < 4; ++b)
        p.blocks.push_back({b, {}, 10.0 - static_cast<double>(b % 3), 0, 0, 0, 0, 0});
    EXPECT_EQ(selectLowestEntropy(p, 2).selected, (std::vector<int64_t>{2, 1}));
}

TEST(EntropyProfile, StreamsPerBlockAndRoundTripsThroughJson)
{
    auto m = syntheticModel(7);
    m.net->setBlockMode(1, {AttnMode::Removed, 0.0});
    FunctionProgress quiet;
    ProfileOptions o;
    o.device = "cpu";
    o.batchSize = 64;
    auto p = profileEntropy(m, calibration(), o, quiet);
    ASSERT_EQ(p.blocks.size(), 6u);
    EXPECT_FALSE(p.blocks[1].attn.has_value());
    EXPECT_TRUE(p.blocks[0].attn.has_value());
    EXPECT_GT(p.blocks[0].mlpSpread, 0.0);
    // the same numbers from one batch holding every image
    o.batchSize = 256;
    auto q = profileEntropy(m, calibration(), o, quiet);
    EXPECT_NEAR(p.blocks[3].out, q.blocks[3].out, 1e-9);
    nlohmann::json j = p;
    auto back = j.get<EntropyProfile>();
    EXPECT_EQ(back.blocks[2].mlp, p.blocks[2].mlp);
    EXPECT_EQ(back.units, "nats");
}

TEST(Analysis, BadInputGivesClearErrors)
{
    auto m = syntheticModel(8);
    auto deit = makeModel(presetConfig("deit_tiny_patch16_224"));
    EXPECT_THROW(loadCalibrationSet("fashion-mnist", deit.meta.config, {10, 0, "train"}), Error); // 1x28 vs 3x224
    EXPECT_THROW(loadCalibrationSet("fashion-mnist", m.meta.config, {70000, 0, "train"}), Error);
    EXPECT_THROW(loadCalibrationSet("fashion-mnist", m.meta.config, {0, 0, "train"}), Error);
    Dataset empty = calibration().subset({});
    FunctionProgress quiet;
    EXPECT_THROW(transferEntropy(m, empty, {0}, cpuOptions(), quiet), Error);
    EXPECT_THROW(transferEntropy(m, calibration(), {9}, cpuOptions(), quiet), Error);
}

TEST(Spectrum, SyntheticCosinePeaksAtItsFrequency)
{
    SpectrumOptions o;
    RingSpectrum rings(14, 14, o);
    auto u = torch::arange(14, torch::kDouble).view({14, 1}).expand({14, 14});
    auto map = 1.0 + torch::cos(2 * M_PI * 3 * u / 14); // 3 cycles along one axis
    rings.add(map.view({1, 1, 14, 14}).expand({2, 4, 14, 14}));
    const auto r = rings.radii(), rel = rings.relative();
    size_t best = 1;
    for (size_t k = 1; k < rel.size(); ++k)
        if (rel[k] > rel[best])
            best = k;
    EXPECT_NEAR(r[best], 3.0 / 7.0, 1e-12); // squared radius 9 -> r = 3 / (14 / 2)
    EXPECT_EQ(rel[0], 0.0);
    EXPECT_NEAR(r.back(), 1.0, 1e-12); // the axis points at r = 1 are kept
    SpectrumOptions official;
    official.officialRings = true;
    EXPECT_EQ(RingSpectrum(14, 14, official).radii().size(), 11u);
    EXPECT_THROW(RingSpectrum(7, 7, official), Error);
}

// The stream plan on the measured NOSE path of the default model's depth: every set starts at the
// deepest state an earlier set computed; the counts are the closed forms of resources/docs/analysis.md's arithmetic.
TEST(TransferEntropy, StreamPlanStartsEachSetAtTheDeepestSharedState)
{
    // one greedy step from base {6}: the base, then every candidate at its own layer (or at 6)
    std::vector<std::vector<int64_t>> step{{6}};
    for (int64_t c = 0; c < 12; ++c)
        if (c != 6)
            step.push_back({6, c});
    const auto one = planStreams(step, 12);
    EXPECT_EQ(one.tasks[0].start, 0);
    for (size_t k = 1; k < step.size(); ++k)
        EXPECT_EQ(one.tasks[k].start, step[k][1]) << "candidate " << step[k][1];
    EXPECT_EQ(one.blockPasses, 12 + (78 - 6));
    // a whole path: candidates below the previous winner start at the winner, from their own
    // earlier run; above it, at their own layer from the winner's run
    const std::vector<int64_t> path{6, 2, 9, 10, 8, 4};
    std::vector<std::vector<int64_t>> sets{{}};
    for (size_t k = 0; k < path.size(); ++k) {
        std::vector<int64_t> base(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(k));
        for (int64_t c = 0; c < 12; ++c)
            if (std::find(base.begin(), base.end(), c) == base.end()) {
                sets.push_back(base);
                sets.back().push_back(c);
            }
    }
    const auto plan = planStreams(sets, 12);
    EXPECT_EQ(plan.blockPasses, 264);       // stepwise: 453 (+12 for the full model), naive: 58 x 12 = 696
    EXPECT_EQ(plan.tasks[13].start, 6);     // step 2's candidate 0 (base {6}) resumes its own step-1 run at block 6
    EXPECT_EQ(plan.tasks[13 + 6].start, 7); // candidate 7 starts at 7 from the winner's run
    EXPECT_LE(plan.peakStates, 24);         // memory: a few states per thread, whatever N
}

// The guessed-path NOSE is the greedy definition, exactly: the same sets, the same candidate
// values, with the subset's guess and with a wrong one that must be corrected.
TEST(TransferEntropy, GuessedPathGivesTheStepwiseSelection)
{
    auto m = syntheticModel(6);
    FunctionProgress quiet;
    auto stepwise = cpuOptions();
    stepwise.batchSize = 16;
    stepwise.speculate = false;
    const auto reference = selectNose(m, calibration(), 4, stepwise, quiet);
    for (int64_t guessImages : {0, 4}) { // (both guesses happen to be right here)
        auto o = stepwise;
        o.speculate = true;
        o.guessImages = guessImages;
        const auto r = selectNose(m, calibration(), 4, o, quiet);
        EXPECT_EQ(r.selected, reference.selected) << "guess on " << guessImages;
        ASSERT_EQ(r.candidates.size(), reference.candidates.size());
        for (size_t s = 0; s < r.candidates.size(); ++s)
            for (size_t l = 0; l < r.candidates[s].size(); ++l)
                if (!std::isnan(reference.candidates[s][l])) {
                    EXPECT_NEAR(r.candidates[s][l], reference.candidates[s][l], 1e-12)
                        << "step " << s << " layer " << l;
                }
        EXPECT_GT(r.guessPasses, 0);
        EXPECT_LT(r.blockPasses, reference.blockPasses);
    }
    // A given guess that is wrong from the second step: step 1 stands, the rest is guessed again.
    auto o = stepwise;
    o.speculate = true;
    o.guessPath = reference.selected;
    std::swap(o.guessPath[1], o.guessPath[3]);
    const auto r = selectNose(m, calibration(), 4, o, quiet);
    EXPECT_EQ(r.selected, reference.selected);
    EXPECT_NEAR(r.stepValues.back(), reference.stepValues.back(), 1e-12);
    EXPECT_GT(r.guessPasses, 0);           // the subset guessed steps 2-4 after the check failed
    EXPECT_GT(r.passes, reference.passes); // the wrong path was evaluated, then the corrected one
    o.guessPath = {0, 0};
    EXPECT_THROW(selectNose(m, calibration(), 4, o, quiet), Error);
}

// The field's criteria (analysis/criteria.h), in float64 on the synthetic model.
TEST(Criteria, ClosedFormsOfAZeroBranch)
{
    auto m = syntheticModel(21);
    zeroAttention(m, 2); // block 2's attention adds nothing: x + Attn(LN1 x) = x
    {
        torch::NoGradGuard g; // block 4 adds nothing at all: its output is its input
        zeroAttention(m, 4);
        auto* b = m.net->blocks[4]->as<Block>();
        b->mlp->fc2->weight.zero_();
        b->mlp->fc2->bias.zero_();
    }
    m.net->setBlockMode(5, {AttnMode::Removed, 0.0});
    FunctionProgress quiet;
    const auto s = scoreCriteria(m, calibration(), 64, "cpu", quiet);
    // cos(x, x) in float64 is 1 within a few roundings; arccos turns 1 - d into sqrt(2 d).
    const double eps = std::numeric_limits<double>::epsilon();
    EXPECT_NEAR(s.attentionCosine[2], 1.0, 8 * eps);
    EXPECT_NEAR(s.angularDistance[2], 0.0, std::sqrt(2 * 8 * eps));
    EXPECT_NEAR(s.blockInfluence[4], 0.0, 8 * eps);
    EXPECT_GT(s.blockInfluence[3], 1e-6); // a working block changes its input
    EXPECT_LT(s.attentionCosine[3], 1.0 - 1e-6);
    EXPECT_TRUE(std::isnan(s.attentionCosine[5]) && std::isnan(s.blockInfluence[5])); // not a candidate
    // The selections rank by those scores: the zero branches go first.
    for (const char* method : {"attention-cosine", "angular", "block-influence"}) {
        const auto r = selectByCriterion(m, calibration(), method, 2, "cpu", quiet);
        EXPECT_EQ(r.selected.size(), 2u);
        EXPECT_TRUE(r.selected[0] == 2 || r.selected[0] == 4) << method << " chose " << r.selected[0];
    }
}

TEST(Criteria, GreedyLossPicksTheLayerWhoseRemovalChangesNothing)
{
    auto m = syntheticModel(22);
    zeroAttention(m, 3);
    FunctionProgress quiet;
    // KL from the original's outputs is 0 only where the outputs do not change: block 3 first.
    const auto kl = selectGreedyLoss(m, calibration(), 2, true, "cpu", quiet);
    ASSERT_EQ(kl.selected.size(), 2u);
    EXPECT_EQ(kl.selected[0], 3);
    EXPECT_NEAR(kl.stepValues[0], 0.0, 1e-12);
    EXPECT_GT(kl.stepValues[1], 0.0);
    EXPECT_TRUE(std::isnan(kl.candidates[1][3])); // a chosen layer is no candidate again
    // Cross-entropy with the labels: skipping block 3 leaves the loss exactly as the model's, and
    // each step takes the lowest loss of its row (another skip may lower a random model's loss).
    EvalOptions eo;
    eo.device = "cpu";
    const double full = evaluate(m, calibration(), eo, quiet).loss;
    const auto ce = selectGreedyLoss(m, calibration(), 2, false, "cpu", quiet);
    EXPECT_NEAR(ce.candidates[0][3], full, 1e-12);
    for (size_t step = 0; step < ce.candidates.size(); ++step)
        for (double v : ce.candidates[step])
            if (!std::isnan(v)) {
                EXPECT_LE(ce.stepValues[step], v);
            }
    // Through the dispatcher, as select and dilute ask for it.
    LayerSelection s;
    s.method = "greedy-kl";
    s.count = 1;
    s.te.device = "cpu";
    EXPECT_EQ(selectLayers(m, &calibration(), s, quiet).selected, (std::vector<int64_t>{3}));
}

TEST(Criteria, TrainingFreeEvaluationRemovesBySkipOrDoubleAndRestoresTheModel)
{
    auto m = syntheticModel(23);
    zeroAttention(m, 1);
    const auto before = m.net->blockModes();
    FunctionProgress quiet;
    EvalOptions eo;
    eo.device = "cpu";
    const auto full = evaluate(m, calibration(), eo, quiet);
    // Skipping an attention that adds nothing is the model itself.
    const auto skip = evaluateWithout(m, calibration(), {1}, SkipRule::Skip, eo, quiet);
    EXPECT_EQ(skip.correct, full.correct);
    EXPECT_NEAR(skip.loss, full.loss, 1e-12);
    // x = 2x is what the folded block computes without its attention.
    auto folded = syntheticModel(23);
    zeroAttention(folded, 1);
    folded.net->setBlockMode(1, {AttnMode::Removed, 0.0});
    const auto twice = evaluateWithout(m, calibration(), {1}, SkipRule::DiluteZero, eo, quiet);
    const auto direct = evaluate(folded, calibration(), eo, quiet);
    EXPECT_EQ(twice.correct, direct.correct);
    EXPECT_NEAR(twice.loss, direct.loss, 1e-12);
    EXPECT_EQ(m.net->blockModes(), before);
    EXPECT_THROW(evaluateWithout(folded, calibration(), {1}, SkipRule::Skip, eo, quiet), Error); // no attention left
    const auto curve = removalCurve(m, calibration(), {1, 0, 2}, eo, quiet);
    ASSERT_EQ(curve.size(), 3u);
    EXPECT_EQ(curve[1].removed, (std::vector<int64_t>{1, 0}));
    EXPECT_NEAR(curve[0].skipLoss, full.loss, 1e-12);
    EXPECT_EQ(m.net->blockModes(), before);
}

TEST(Criteria, BootstrapWithTheDataItselfIsThePlainChoice)
{
    auto m = syntheticModel(24);
    FunctionProgress quiet;
    LayerSelection s;
    s.method = "block-influence";
    s.count = 2;
    s.te.device = "cpu";
    const auto plain = selectLayers(m, &calibration(), s, quiet);
    std::vector<int64_t> identity(static_cast<size_t>(calibration().size()));
    std::iota(identity.begin(), identity.end(), 0);
    auto run = [&](const Dataset& d, Progress& p) { return selectLayers(m, &d, s, p); };
    const auto one = selectionStability(calibration(), {identity}, run, 6, quiet);
    auto sorted = plain.selected;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(one.sets.size(), 1u);
    EXPECT_EQ(one.sets[0].first, sorted);
    for (int64_t b = 0; b < 6; ++b)
        EXPECT_DOUBLE_EQ(one.layerFrequency[static_cast<size_t>(b)],
                         std::count(sorted.begin(), sorted.end(), b) ? 1.0 : 0.0);
    // Resamples: every set has `count` layers, the frequencies add up to count, the counts to B.
    const auto many = selectionStability(calibration(), bootstrapResamples(calibration().size(), 5, 1), run, 6, quiet);
    EXPECT_NEAR(std::accumulate(many.layerFrequency.begin(), many.layerFrequency.end(), 0.0), 2.0, 1e-12);
    int total = 0;
    for (const auto& [set, count] : many.sets) {
        EXPECT_EQ(set.size(), 2u);
        total += count;
    }
    EXPECT_EQ(total, 5);
    EXPECT_EQ(bootstrapResamples(100, 3, 7), bootstrapResamples(100, 3, 7)); // seeded
}

namespace {
double meanWidth(const SelectionResult& r)
{
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < r.candidates.size(); ++i)
        for (size_t j = 0; j < r.candidates[i].size(); ++j)
            if (std::isfinite(r.candidates[i][j])) {
                sum += r.candidatesHigh[i][j] - r.candidatesLow[i][j];
                ++n;
            }
    return n > 0 ? sum / n : std::nan("");
}
} // namespace

TEST(TransferEntropyBootstrap, EachResampleIsTheEstimateOnTheImagesItDrew)
{
    // Weighted moments in one pass must equal the estimator run on the resampled images
    // themselves (repeats included), and the identity resample the plain estimate (float64).
    auto m = syntheticModel(31);
    FunctionProgress quiet;
    TeOptions o;
    o.device = "cpu";
    o.batchSize = 48; // batches that do not divide the images, so a resample's weight spans several
    const std::vector<std::vector<int64_t>> sets{{}, {1}, {2, 4}, {0, 3, 5}};
    std::vector<int64_t> identity(static_cast<size_t>(calibration().size()));
    std::iota(identity.begin(), identity.end(), 0);
    const auto draws = bootstrapResamples(calibration().size(), 2, 5);
    HeadEntropyEvaluator ev(m, calibration(), o);
    ev.setResamples({identity, draws[0], draws[1]});
    const auto h = ev.entropies(sets, quiet);
    const auto boot = ev.resampledEntropies();
    ASSERT_EQ(boot.size(), sets.size());
    for (size_t b = 1; b <= 2; ++b) {
        const auto drawn = calibration().subset(draws[b - 1]);
        HeadEntropyEvaluator direct(m, drawn, o);
        const auto hd = direct.entropies(sets, quiet);
        for (size_t k = 0; k < sets.size(); ++k) {
            EXPECT_NEAR(boot[k][0], h[k], 1e-9 * std::abs(h[k]));
            EXPECT_NEAR(boot[k][b], hd[k], 1e-9 * std::abs(hd[k])) << "resample " << b << ", set " << k;
        }
    }
    // The resampled TE of a set is full minus the set, resample by resample.
    const auto te = ev.resampledTransferEntropy(2, quiet);
    ASSERT_EQ(te.size(), 3u);
    EXPECT_NEAR(te[0], h[0] - h[2], 1e-9);
}

TEST(TransferEntropyBootstrap, IntervalsShrinkAsTheCalibrationSetGrows)
{
    auto m = syntheticModel(32);
    FunctionProgress quiet;
    TeOptions o;
    o.device = "cpu";
    o.bootstrap = 60;
    o.bootstrapSeed = 3;
    std::vector<int64_t> first(48);
    std::iota(first.begin(), first.end(), 0);
    const auto small = calibration().subset(first);
    const auto wide = selectSingleTe(m, small, 2, o, quiet);
    const auto narrow = selectSingleTe(m, calibration(), 2, o, quiet);
    ASSERT_EQ(narrow.resamples, 60);
    ASSERT_EQ(narrow.candidatesLow.size(), narrow.candidates.size());
    // The standard error falls as 1/sqrt(n): 256 images against 48 about halves the width.
    EXPECT_LT(meanWidth(narrow), 0.75 * meanWidth(wide));
    for (size_t j = 0; j < narrow.candidates[0].size(); ++j)
        EXPECT_LE(narrow.candidatesLow[0][j], narrow.candidatesHigh[0][j]);
    // NOSE: an interval for every cell of the path's heatmap, and none where there is no cell;
    // they survive the JSON round trip.
    const auto nose = selectNose(m, calibration(), 3, o, quiet);
    ASSERT_EQ(nose.candidatesLow.size(), nose.candidates.size());
    for (size_t i = 0; i < nose.candidates.size(); ++i)
        for (size_t j = 0; j < nose.candidates[i].size(); ++j)
            EXPECT_EQ(std::isfinite(nose.candidates[i][j]), std::isfinite(nose.candidatesLow[i][j]));
    const auto back = nlohmann::json(nose).get<SelectionResult>();
    EXPECT_EQ(back.resamples, 60);
    EXPECT_DOUBLE_EQ(back.candidatesHigh[1][nose.selected[2]], nose.candidatesHigh[1][nose.selected[2]]);
    // The set's estimate: the same value as without a bootstrap, and an interval.
    const auto e = estimateTransferEntropy(m, calibration(), nose.selected, o, quiet);
    auto plain = o;
    plain.bootstrap = 0;
    EXPECT_NEAR(e.value, transferEntropy(m, calibration(), nose.selected, plain, quiet), 1e-12);
    ASSERT_TRUE(e.interval.has_value());
    EXPECT_LT(e.interval->low, e.interval->high);
}

TEST(WhatIf, EqualsAFullEvaluationOfTheSameSet)
{
    // The what-if starts each set from the full model's stream state below its lowest layer;
    // a full evaluation runs every image from the input with the blocks' states changed. In
    // float64 they agree to rounding.
    auto m = syntheticModel(33);
    FunctionProgress quiet;
    TeOptions o;
    o.device = "cpu";
    o.batchSize = 48;
    const WhatIf w(m, calibration(), o, quiet);
    EvalOptions eo;
    eo.device = "cpu";
    eo.batchSize = 100;
    const auto modes = m.net->blockModes();
    for (const std::vector<int64_t>& set : {std::vector<int64_t>{}, {3}, {4, 1}, {0, 2, 5}}) {
        const auto r = w.evaluate(set);
        const auto skip = evaluateWithout(m, calibration(), set, SkipRule::Skip, eo, quiet);
        const auto twice = evaluateWithout(m, calibration(), set, SkipRule::DiluteZero, eo, quiet);
        EXPECT_EQ(r.images, calibration().size());
        EXPECT_DOUBLE_EQ(r.skipTop1, skip.top1());
        EXPECT_DOUBLE_EQ(r.doubleTop1, twice.top1());
        EXPECT_NEAR(r.skipLoss, skip.loss, 1e-9);
        EXPECT_NEAR(r.doubleLoss, twice.loss, 1e-9);
        EXPECT_NEAR(r.transferEntropy, transferEntropy(m, calibration(), set, o, quiet), 1e-9);
    }
    // A skipped layer changes the numbers (the check above is not trivially true), and the
    // model's own states are untouched.
    EXPECT_NE(w.evaluate({0}).skipLoss, w.evaluate({}).skipLoss);
    EXPECT_TRUE(m.net->blockModes() == modes);
    EXPECT_THROW(w.evaluate({6}), Error);
}

TEST(Criteria, TheComparisonGivesEachSetTheSameYardsticks)
{
    auto m = syntheticModel(34);
    FunctionProgress quiet;
    ComparisonOptions o;
    o.methods = {"block-influence", "first", "greedy-loss"};
    o.count = 2;
    o.te.device = "cpu";
    o.te.bootstrap = 20;
    o.stability = 2;
    o.eval.device = "cpu";
    std::vector<int64_t> first(100);
    std::iota(first.begin(), first.end(), 0);
    const auto test = calibration().subset(first);
    const auto c = compareCriteria(m, calibration(), test, o, quiet);
    ASSERT_EQ(c.rows.size(), 3u);
    EXPECT_EQ(c.testImages, 100);
    EXPECT_EQ(c.calibrationImages, calibration().size());
    auto plain = o.te;
    plain.bootstrap = 0;
    for (const auto& r : c.rows) {
        LayerSelection s;
        s.method = r.method;
        s.count = 2;
        s.te = plain;
        EXPECT_EQ(r.selected, selectLayers(m, &calibration(), s, quiet).selected) << r.method;
        EXPECT_NEAR(r.transferEntropy, transferEntropy(m, calibration(), r.selected, plain, quiet), 1e-9);
        EXPECT_LE(r.teLow, r.teHigh);
        EXPECT_DOUBLE_EQ(r.skipTop1, evaluateWithout(m, test, r.selected, SkipRule::Skip, o.eval, quiet).top1());
        EXPECT_DOUBLE_EQ(r.doubleTop1,
                         evaluateWithout(m, test, r.selected, SkipRule::DiluteZero, o.eval, quiet).top1());
        EXPECT_EQ(r.stabilityResamples, 2);
        EXPECT_NEAR(std::accumulate(r.layerFrequency.begin(), r.layerFrequency.end(), 0.0), 2.0, 1e-12);
    }
    EXPECT_DOUBLE_EQ(c.rows[1].chosenSetShare, 1.0); // first-N does not read the images
    // A diluted model's top-1 goes to every row that chose its set, in any order.
    auto withRun = c;
    auto set = c.rows[1].selected;
    std::reverse(set.begin(), set.end());
    const auto sameSet = std::count_if(c.rows.begin(), c.rows.end(), [&](const CriterionRow& r) {
        return std::is_permutation(r.selected.begin(), r.selected.end(), set.begin(), set.end());
    });
    EXPECT_EQ(attachDiluted(withRun, set, 0.5, "m.mlpify"), sameSet);
    EXPECT_DOUBLE_EQ(*withRun.rows[1].dilutedTop1, 0.5);
    const auto back = nlohmann::json(withRun).get<CriteriaComparison>();
    EXPECT_EQ(back.rows[2].selected, c.rows[2].selected);
    EXPECT_DOUBLE_EQ(*back.rows[1].dilutedTop1, 0.5);
    EXPECT_THROW(nlohmann::json({{"kind", "selection"}}).get<CriteriaComparison>(), Error);
}

TEST(Criteria, SelectAndTheComparisonAssessASetAlike)
{
    auto m = syntheticModel(35);
    FunctionProgress quiet;
    std::vector<int64_t> first(100);
    std::iota(first.begin(), first.end(), 0);
    const auto test = calibration().subset(first);
    ComparisonOptions o;
    o.methods = {"block-influence"};
    o.count = 2;
    o.te.device = "cpu";
    o.te.bootstrap = 20;
    o.stability = 3;
    o.eval.device = "cpu";
    const auto row = compareCriteria(m, calibration(), test, o, quiet).rows.at(0);
    // `select`'s route: the method, then the assessment of its set with the same yardsticks.
    LayerSelection s;
    s.method = "block-influence";
    s.count = 2;
    s.te = o.te;
    s.te.bootstrap = 0;
    AssessmentOptions ao;
    ao.te = o.te;
    ao.test = &test;
    ao.eval = o.eval;
    ao.stability = o.stability;
    ao.stabilitySeed = o.stabilitySeed;
    const auto chosen = selectLayers(m, &calibration(), s, quiet).selected;
    ASSERT_EQ(chosen, row.selected);
    const auto a = assessSelection(m, calibration(), chosen, s, ao, quiet);
    EXPECT_NEAR(a.transferEntropy->value, row.transferEntropy, 1e-9);
    ASSERT_TRUE(a.transferEntropy->interval);
    EXPECT_NEAR(a.transferEntropy->interval->low, row.teLow, 1e-9);
    EXPECT_NEAR(a.transferEntropy->interval->high, row.teHigh, 1e-9);
    EXPECT_DOUBLE_EQ(a.trainingFree->skip.top1(), row.skipTop1);
    EXPECT_DOUBLE_EQ(a.trainingFree->twice.top1(), row.doubleTop1);
    EXPECT_EQ(a.stability->layerFrequency, row.layerFrequency);
    EXPECT_DOUBLE_EQ(a.chosenSetShare, row.chosenSetShare);
    // The share counts sets in any order, and none where nothing was resampled.
    SelectionStability st;
    st.resamples = 4;
    st.sets = {{{1, 3}, 3}, {{0, 2}, 1}};
    EXPECT_DOUBLE_EQ(chosenSetShare(st, {3, 1}), 0.75);
    EXPECT_DOUBLE_EQ(chosenSetShare(st, {4, 5}), 0.0);
    EXPECT_TRUE(std::isnan(chosenSetShare(SelectionStability{}, {1, 3})));
}

TEST(Selection, OneTableNamesEveryMethodOnce)
{
    const auto& table = selectionMethodTable();
    std::set<std::string> names, labels, shortLabels;
    for (const auto& m : table) {
        names.insert(m.name);
        labels.insert(m.label);
        shortLabels.insert(m.shortLabel);
        EXPECT_EQ(&selectionMethod(m.name), &m);
        EXPECT_EQ(selectionNeedsCalibration(m.name), m.name != "first" && m.name != "random") << m.name;
    }
    EXPECT_EQ(names.size(), table.size());
    EXPECT_EQ(labels.size(), table.size());
    EXPECT_EQ(shortLabels.size(), table.size());
    EXPECT_EQ(selectionMethods().size(), table.size());
    const auto compared = comparedMethods();
    EXPECT_EQ(compared.size(), table.size() - 1);
    EXPECT_EQ(std::count(compared.begin(), compared.end(), "exhaustive"), 0);
    EXPECT_THROW(selectionMethod("bogus"), Error);
    // Every name the dispatcher is given is one of the table's: an unknown one is refused by name.
    auto m = syntheticModel(36);
    FunctionProgress quiet;
    LayerSelection s;
    s.method = "bogus";
    s.count = 1;
    try {
        selectLayers(m, &calibration(), s, quiet);
        ADD_FAILURE() << "an unknown method ran";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(selectionMethodList(", ")), std::string::npos) << e.what();
    }
}
