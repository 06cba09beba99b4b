// The field's criteria over units (core/analysis/unit_criteria.h): closed forms on a model whose
// units carry nothing, agreement with the attention-layer criteria where both are defined, and
// budgets. Float64 models throughout, so equalities are of the same computation or exact.
#include "core/analysis/comparison.h"
#include "core/analysis/criteria.h"
#include "core/analysis/removal.h"
#include "core/analysis/unit_criteria.h"
#include "core/analysis/unit_selection.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/model/vit.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace mlpify::core;

namespace {

ModelBundle randomModel(int64_t depth = 4)
{
    auto c = mlpify::testing::tinyConfig(depth, "unit-criteria-test");
    torch::manual_seed(11);
    auto m = makeModel(c);
    m.net->to(torch::kDouble);
    torch::NoGradGuard g;
    for (auto& p : m.net->parameters())
        p.add_(torch::randn_like(p) * 0.1);
    return m;
}

// Block 0's MLP and block 2's attention write exactly 0 into the residual stream.
ModelBundle withSilentUnits()
{
    auto m = randomModel();
    torch::NoGradGuard g;
    auto zero = [](torch::nn::Linear& l) {
        l->weight.zero_();
        l->bias.zero_();
    };
    zero(m.net->blocks[0]->as<Block>()->mlp->fc2);
    zero(m.net->blocks[2]->as<Block>()->attn->proj);
    return m;
}

const Dataset& calibration()
{
    static const Dataset d = mlpify::testing::fashionMnistSubset(Split::Train, 96, 4);
    return d;
}

TeOptions options()
{
    TeOptions o;
    o.device = "cpu";
    o.batchSize = 32;
    return o;
}

std::vector<std::string> names(const UnitSelection& s)
{
    std::vector<std::string> n;
    for (auto i : s.chosen)
        n.push_back(s.candidates[i].name());
    return n;
}

} // namespace

TEST(UnitCriteria, UnitsThatCarryNothingScoreZeroAndAreTakenFirst)
{
    auto m = withSilentUnits();
    FunctionProgress quiet;
    const auto c = unitCandidates(m, UnitPool::Mixed);
    const auto s = scoreUnitCriteria(m, calibration(), c, 32, "cpu", quiet);
    for (size_t i = 0; i < c.size(); ++i) {
        const bool silent = c[i].name() == "MLP 0" || c[i].name() == "attention 2";
        if (silent) { // cos(x, x) = 1 up to the rounding of one float64 quotient
            EXPECT_NEAR(s.influence[i], 0.0, 1e-14) << c[i].name();
            EXPECT_NEAR(s.angular[i], 0.0, 1e-6) << c[i].name(); // acos near 1 amplifies: sqrt(2e-16)/pi
        } else {
            EXPECT_GT(s.influence[i], 1e-6) << c[i].name();
        }
    }
    for (auto method : {UnitMethod::Influence, UnitMethod::Angular, UnitMethod::GreedyKl}) {
        const auto r = selectUnits(m, calibration(), UnitPool::Mixed, method, {2, 0, 0}, options(), quiet);
        auto chosen = names(r);
        std::sort(chosen.begin(), chosen.end());
        EXPECT_EQ(chosen, (std::vector<std::string>{"MLP 0", "attention 2"})) << toString(method);
    }
}

TEST(UnitCriteria, SkippingASilentUnitLeavesTheCalibrationLossExactlyAsItWas)
{
    auto m = withSilentUnits();
    FunctionProgress quiet;
    const auto c = unitCandidates(m, UnitPool::Mixed);
    for (bool kl : {false, true}) {
        UnitLossEvaluator loss(m, calibration(), kl, 32, "cpu", nullptr);
        const double full = loss.loss({}, quiet);
        if (kl) {
            EXPECT_EQ(full, 0.0);
        }
        for (const auto& u : c)
            if (u.name() == "MLP 0" || u.name() == "attention 2") {
                EXPECT_EQ(loss.loss({u}, quiet), full) << u.name(); // x + 0 = x, bit for bit
            }
    }
}

TEST(UnitCriteria, AgreeWithTheAttentionLayerCriteriaWhereBothAreDefined)
{
    auto m = randomModel();
    FunctionProgress quiet;
    const auto layers = scoreCriteria(m, calibration(), 32, "cpu", quiet);
    for (auto pool : {UnitPool::Attention, UnitPool::Block}) {
        const auto c = unitCandidates(m, pool);
        const auto s = scoreUnitCriteria(m, calibration(), c, 32, "cpu", quiet);
        for (size_t i = 0; i < c.size(); ++i) {
            const auto b = static_cast<size_t>(c[i].block);
            if (pool == UnitPool::Block) { // ShortGPT's block influence, the same sums
                EXPECT_DOUBLE_EQ(s.influence[i], layers.blockInfluence[b]) << c[i].name();
            } else { // 1 - LLM-Drop's cosine, and the same angular distance
                EXPECT_NEAR(s.influence[i], 1.0 - layers.attentionCosine[b], 1e-12) << c[i].name();
                EXPECT_DOUBLE_EQ(s.angular[i], layers.angularDistance[b]) << c[i].name();
            }
        }
    }
    // The greedy loss over the attention pool is selectGreedyLoss, set and values.
    for (bool kl : {false, true}) {
        const auto layersGreedy = selectGreedyLoss(m, calibration(), 2, kl, "cpu", quiet);
        auto o = options();
        o.batchSize = 64; // selectGreedyLoss's batches
        const auto units = selectUnits(m, calibration(), UnitPool::Attention,
                                       kl ? UnitMethod::GreedyKl : UnitMethod::GreedyLoss, {2, 0, 0}, o, quiet);
        ASSERT_EQ(units.chosen.size(), 2u);
        for (size_t k = 0; k < 2; ++k) {
            EXPECT_EQ(units.candidates[units.chosen[k]].block, layersGreedy.selected[k]);
            EXPECT_EQ(units.stepValues[k], layersGreedy.stepValues[k]);
        }
    }
}

TEST(UnitCriteria, EveryMethodKeepsToAParameterBudgetAndTakesWhatStillFits)
{
    auto m = randomModel();
    FunctionProgress quiet;
    const auto all = unitCandidates(m, UnitPool::Mixed);
    const auto budget = all[0].params + all[1].params + all[3].params - 1;
    for (auto method : {UnitMethod::Influence, UnitMethod::Angular, UnitMethod::GreedyLoss}) {
        const auto s = selectUnits(m, calibration(), UnitPool::Mixed, method, {0, budget, 0}, options(), quiet);
        EXPECT_LE(s.paramsRemoved, budget) << toString(method);
        for (size_t i = 0; i < s.candidates.size(); ++i)
            if (std::find(s.chosen.begin(), s.chosen.end(), i) == s.chosen.end()) {
                EXPECT_GT(s.paramsRemoved + s.candidates[i].params, budget) << toString(method);
            }
        // a static criterion takes the units in the order of its scores (among those that fit)
        if (method != UnitMethod::GreedyLoss) {
            for (size_t k = 1; k < s.stepValues.size(); ++k) {
                EXPECT_LE(s.stepValues[k - 1], s.stepValues[k]) << toString(method);
            }
        }
        EXPECT_EQ(nlohmann::json(s).at("method"), toString(method));
    }
    EXPECT_THROW(unitMethodFromString("entropy"), Error);
}

TEST(UnitCriteria, PoolsSideBySideKeepToOneBudgetAndGiveEachPoolItsOwnSelection)
{
    auto m = withSilentUnits();
    FunctionProgress quiet;
    const auto test = mlpify::testing::fashionMnistSubset(Split::Test, 64, 5);
    const auto mixed = unitCandidates(m, UnitPool::Mixed);
    const int64_t attention = mixed[0].params, mlp = mixed[1].params; // block 0's two sublayers
    ASSERT_NE(attention, mlp);
    const bool mlpCheaper = mlp < attention; // the micro preset's hidden width makes it so
    PoolComparisonOptions o;
    o.te = options();
    o.te.bootstrap = 20;
    o.eval.device = "cpu";
    o.budget.params = attention + mlp; // a block, or an MLP and an attention, or two of the cheaper, fit
    auto c = comparePools(m, calibration(), test, o, quiet);
    ASSERT_EQ(c.rows.size(), 4u);
    EXPECT_EQ(criteriaLabels(c), (std::vector<std::string>{"attention", "MLP", "block", "mixed"}));
    EXPECT_EQ(criteriaLabels(c, /*brief=*/true), criteriaLabels(c)); // one method: the pools' names are short
    EXPECT_EQ(criteriaLabelKey(c), "");
    EXPECT_EQ(c.testImages, 64);
    auto yardstick = options();
    yardstick.units = true;
    for (const auto& r : c.rows) {
        const auto pool = unitPoolFromString(r.pool);
        ASSERT_TRUE(r.note.empty()) << r.pool;
        EXPECT_LE(r.paramsRemoved, o.budget.params) << r.pool;
        // the pool's own selection under the same budget, and the set's own TE and top-1
        const auto s = selectUnits(m, calibration(), pool, UnitMethod::Nose, o.budget, options(), quiet);
        std::vector<int64_t> codes;
        for (auto i : s.chosen)
            codes.insert(codes.end(), s.candidates[i].codes.begin(), s.candidates[i].codes.end());
        EXPECT_EQ(r.selected, codes) << r.pool;
        EXPECT_EQ(r.unitNames, names(s)) << r.pool;
        EXPECT_EQ(r.paramsRemoved, s.paramsRemoved) << r.pool;
        EXPECT_NEAR(r.transferEntropy, transferEntropy(m, calibration(), codes, yardstick, quiet), 1e-12) << r.pool;
        EXPECT_TRUE(std::isfinite(r.teLow) && std::isfinite(r.teHigh) && r.teLow <= r.teHigh) << r.pool;
        const auto t = trainingFreeTop1(m, test, codes, o.eval, quiet, nullptr, /*units=*/true);
        EXPECT_EQ(r.skipTop1, t.skip.top1()) << r.pool;
        EXPECT_EQ(r.doubleTop1, t.twice.top1()) << r.pool;
    }
    EXPECT_EQ(c.rows[2].unitNames.size(), 1u); // one block fits, exactly
    // Below the dearer sublayer's cost only its pool's rival and the mixed pool have a set; the
    // others say why.
    o.budget.params = std::min(attention, mlp);
    o.pools = {mlpCheaper ? UnitPool::Attention : UnitPool::Mlp, UnitPool::Mixed};
    o.methods = {UnitMethod::Nose, UnitMethod::Influence};
    o.te.absolute = true; // NOSE by |TE|: the silent unit's 0 is the least (a signed TE may be below it)
    c = comparePools(m, calibration(), test, o, quiet);
    ASSERT_EQ(c.rows.size(), 4u);
    const std::string dear = mlpCheaper ? "attention" : "MLP";
    EXPECT_EQ(criteriaLabels(c),
              (std::vector<std::string>{dear + ", nose", dear + ", influence", "mixed, nose", "mixed, influence"}));
    const std::string dearBrief = mlpCheaper ? "attn" : "MLP";
    EXPECT_EQ(criteriaLabels(c, /*brief=*/true),
              (std::vector<std::string>{dearBrief + " NOSE", dearBrief + " infl.", "mixed NOSE", "mixed infl."}));
    EXPECT_EQ(criteriaLabelKey(c), std::string(mlpCheaper ? "attn: attention; " : "") + "infl.: influence (1 - cos)");
    for (size_t k : {0u, 1u}) {
        EXPECT_NE(c.rows[k].note.find("below the cheapest"), std::string::npos) << c.rows[k].note;
        EXPECT_TRUE(c.rows[k].selected.empty());
        EXPECT_TRUE(std::isnan(c.rows[k].transferEntropy));
    }
    for (size_t k : {2u, 3u}) { // one sublayer of the cheaper kind: its silent one, by |TE| and by 1 - cos
        EXPECT_EQ(c.rows[k].unitNames, (std::vector<std::string>{mlpCheaper ? "MLP 0" : "attention 2"}))
            << c.rows[k].method;
        EXPECT_NEAR(c.rows[k].transferEntropy, 0.0, 1e-12);
    }
    // The JSON keeps every field; the CSV has the pool's columns.
    const auto back = nlohmann::json(c).get<CriteriaComparison>();
    EXPECT_EQ(back.budget, c.budget);
    ASSERT_EQ(back.rows.size(), c.rows.size());
    for (size_t k = 0; k < c.rows.size(); ++k) {
        EXPECT_EQ(back.rows[k].pool, c.rows[k].pool);
        EXPECT_EQ(back.rows[k].unitNames, c.rows[k].unitNames);
        EXPECT_EQ(back.rows[k].paramsRemoved, c.rows[k].paramsRemoved);
        EXPECT_EQ(back.rows[k].flopsRemoved, c.rows[k].flopsRemoved);
        EXPECT_EQ(back.rows[k].note, c.rows[k].note);
    }
    EXPECT_EQ(criteriaCsv(c).rfind("pool,method,set,", 0), 0u);
    o.budget.count = 1;
    EXPECT_THROW(comparePools(m, calibration(), test, o, quiet), Error); // two budgets
}
