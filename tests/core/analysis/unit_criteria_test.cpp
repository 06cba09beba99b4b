// The field's criteria over units (core/analysis/unit_criteria.h): closed forms on a model whose
// units carry nothing, agreement with the attention-layer criteria where both are defined, and
// budgets. Float64 models throughout, so equalities are of the same computation or exact.
#include "core/analysis/criteria.h"
#include "core/analysis/unit_criteria.h"
#include "core/analysis/unit_selection.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/model/vit.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>

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
