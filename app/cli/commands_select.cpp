// select, criteria and what-if: choosing attention layers, every criterion side by side, and
// instant training-free answers for given sets, from the command line (JSON and CSV out).
#include "app/cli/cli_support.h"
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "core/analysis/assessment.h"
#include "core/analysis/comparison.h"
#include "core/analysis/entropy_profile.h"
#include "core/analysis/removal.h"
#include "core/analysis/selection.h"
#include "core/analysis/unit_selection.h"
#include "core/analysis/what_if.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/model_io.h"
#include "core/json_file.h"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

namespace mlpify::app {

namespace {

struct SelectArgs {
    std::string input, method = "nose", out, csv;
    DataArgs data;
    double ratio = 0;
    int64_t count = 0;
    uint64_t randomSeed = 0;
    bool naive = false, stepwise = false, absolute = false, dilute = false, feature = false;
    bool evaluate = false, curve = false;
    int64_t testLimit = 0;
    int bootstrap = 0;
    uint64_t bootstrapSeed = 0;
    std::string units = "attention";
    int64_t budgetParams = 0;
    double budgetFlops = 0;

    void add(CLI::App* cmd)
    {
        cmd->add_option("INPUT", input, "model file, 'default', or an analysis.json from `mlpify analyze`")->required();
        data.add(cmd);
        cmd->add_option("--ratio", ratio, "fraction of attention layers to remove")->check(inRange(0.0, 1.0));
        cmd->add_option("--count", count, "number of attention layers to remove")->check(inRange(0, 1e12));
        auto methods = core::selectionMethods();
        methods.push_back("influence"); // over units only (--units)
        cmd->add_option("--method", method,
                        core::selectionMethodList(" | ") +
                            " (README, Criteria); with --units: " + joined(core::unitMethodNames(), " | "))
            ->check(CLI::IsMember(methods))
            ->capture_default_str();
        cmd->add_option("--random-seed", randomSeed, "seed for --method random")->capture_default_str();
        cmd->add_flag("--abs", absolute, "rank by |TE| instead of the signed value");
        cmd->add_flag("--lambda0", dilute, "evaluate removal as lambda = 0 (factor 2) instead of a plain skip");
        cmd->add_flag("--feature", feature, "TE on the final CLS feature instead of the logits");
        cmd->add_flag("--naive", naive, "reference evaluation: every set from the input, all outputs kept");
        cmd->add_flag("--stepwise", stepwise,
                      "NOSE one pass per step (prefix reuse within a step only) instead of a guessed, checked path");
        cmd->add_option("--out", out, "write the selection as JSON");
        cmd->add_option("--csv", csv, "write the step x candidate matrix as CSV");
        cmd->add_flag("--evaluate", evaluate,
                      "training-free top-1 and loss on the test split with the set removed (x = x and x = 2x)");
        cmd->add_flag("--curve", curve, "training-free top-1 for 1, 2, ... all layers removed in the method's order");
        cmd->add_option("--bootstrap", bootstrap,
                        "run the method on B resamples of the calibration images (drawn with replacement): how often "
                        "each layer and each set is chosen, and a 95% interval for every transfer entropy")
            ->check(inRange(0, 100000));
        cmd->add_option("--bootstrap-seed", bootstrapSeed, "seed of the resamples")->capture_default_str();
        cmd->add_option("--units", units,
                        "candidate pool for NOSE: " + joined(core::unitPoolNames(), " | ") +
                            " (attention MLP and whole-block units, resources/docs/units.md)")
            ->capture_default_str()
            ->check(CLI::IsMember(core::unitPoolNames()));
        cmd->add_option("--budget-params", budgetParams, "or: remove units of at most P parameters in all")
            ->check(inRange(1, 1e15));
        cmd->add_option("--budget-flops", budgetFlops, "or: remove units of at most F forward FLOPs per image in all")
            ->check(inRange(1, 1e30));
        cmd->add_option("--test-limit", testLimit, "with --evaluate/--curve: the first N test images (0: all)")
            ->check(inRange(0, 1e12));
    }

    // An analysis JSON gives the model and its calibration images; returns the model spec and the
    // profile the entropy method then ranks.
    std::string readInput(std::optional<core::EntropyProfile>& profile)
    {
        if (std::filesystem::path(input).extension() != ".json")
            return input;
        const auto j = core::readJsonFile(input);
        try {
            profile = j.get<core::EntropyProfile>();
            const auto& c = profile->provenance.at("calibration");
            data.data = c.at("data").get<std::string>();
            data.images = core::jsonInteger(c.at("images"));
            data.seed = core::jsonInteger<uint64_t>(c.at("seed"));
            data.split = c.at("split").get<std::string>();
            return profile->provenance.at("model").get<std::string>();
        } catch (const nlohmann::json::exception& e) {
            throw core::Error(input, std::string("not an analysis JSON from `mlpify analyze`: ") + e.what());
        }
    }

    core::TeOptions teOptions(const GlobalOptions& g) const
    {
        core::TeOptions to;
        to.batchSize = data.batch;
        to.device = g.device;
        to.absolute = absolute;
        to.reusePrefix = !naive;
        to.speculate = !stepwise;
        to.rule = dilute ? core::SkipRule::DiluteZero : core::SkipRule::Skip;
        if (feature) {
            to.target = core::TeTarget::Feature;
            to.entropy = core::EntropyOptions::nats();
        }
        return to;
    }
};

std::string candidatesCsv(const core::SelectionResult& r, int64_t depth)
{
    std::ostringstream c;
    c << "step,chosen";
    for (int64_t l = 0; l < depth; ++l)
        c << ",layer_" << l;
    c << "\n";
    for (size_t s = 0; s < r.candidates.size(); ++s) {
        c << s << "," << (s < r.selected.size() ? std::to_string(r.selected[s]) : "");
        for (double v : r.candidates[s])
            c << "," << csvNumber(v);
        c << "\n";
    }
    return c.str();
}

void printSelection(const nlohmann::json& j, const core::SelectionResult& r, int64_t depth)
{
    const auto units = j["units"].get<std::string>();
    std::cout << r.method << " selects " << joinLayers(r.selected) << " (" << r.selected.size() << " of " << depth
              << " blocks); TE(S -> head) = " << std::setprecision(5) << j["transfer_entropy"].get<double>() << " "
              << units;
    if (j.contains("transfer_entropy_interval"))
        std::cout << " (95% interval " << j["transfer_entropy_interval"]["low"].get<double>() << " to "
                  << j["transfer_entropy_interval"]["high"].get<double>() << ")";
    std::cout << "\n";
    if (r.blockPasses > 0)
        std::cout << "  " << r.passes << " set evaluations, " << r.blockPasses << " blocks per image"
                  << (r.guessPasses > 0
                          ? " (+ " + std::to_string(r.guessPasses) + " set evaluations on a subset to guess the path)"
                          : std::string())
                  << "\n";
    if (j.contains("stability")) {
        std::cout << "  over " << j["stability"]["resamples"].get<int>() << " resamples the set was chosen "
                  << std::fixed << std::setprecision(0) << 100 * j["stability"]["chosen_set_share"].get<double>()
                  << "% of the time; per layer:";
        const auto freq = j["stability"]["layer_frequency"].get<std::vector<double>>();
        for (size_t b = 0; b < freq.size(); ++b)
            if (freq[b] > 0)
                std::cout << " " << b << ":" << std::setprecision(2) << freq[b];
        std::cout << "\n";
    }
    if (j.contains("training_free"))
        std::cout << "  training-free test top-1 with the set removed: " << std::fixed << std::setprecision(2)
                  << 100 * j["training_free"]["skip"]["top1"].get<double>() << "% (x = x), "
                  << 100 * j["training_free"]["double"]["top1"].get<double>() << "% (x = 2x) on "
                  << j["training_free"]["images"].get<int64_t>() << " images\n";
    if (j.contains("curve")) {
        std::cout << "  removed  top-1 x = x  top-1 x = 2x  layers\n";
        for (const auto& p : j["curve"])
            std::cout << std::setw(9) << p["removed"].size() << std::setw(13) << std::setprecision(2)
                      << 100 * p["skip"]["top1"].get<double>() << std::setw(14)
                      << 100 * p["double"]["top1"].get<double>() << "  "
                      << joinLayers(p["removed"].get<std::vector<int64_t>>()) << "\n";
    }
}

// select over units (--units other than attention, or a parameter or FLOP budget): NOSE over the
// pool (core/analysis/unit_selection.h), its JSON and a line per step.
int selectUnitsCommand(const SelectArgs& o, const GlobalOptions& g, core::ModelBundle& model)
{
    const auto& methods = core::unitMethodNames();
    if (std::find(methods.begin(), methods.end(), o.method) == methods.end())
        throw core::Error("--method " + o.method, "ranks attention layers only; over units: " + joined(methods, ", "));
    for (const auto& [given, flag] : {std::pair{o.curve, "--curve"}, {!o.csv.empty(), "--csv"}, {o.naive, "--naive"}})
        if (given)
            throw core::Error(flag, std::string("is for attention layers; not with --units ") + o.units +
                                        " or a budget (give neither)");
    const auto pool = core::unitPoolFromString(o.units);
    const auto method = core::unitMethodFromString(o.method);
    core::UnitBudget budget;
    budget.params = o.budgetParams;
    budget.flops = o.budgetFlops;
    budget.count = o.count;
    if (o.ratio > 0)
        budget.count =
            std::max<int64_t>(1, std::llround(o.ratio * static_cast<double>(core::unitCandidates(model, pool).size())));
    auto calib = core::loadCalibrationSet(o.data.data, model.meta.config, o.data.calibration());
    TerminalProgress progress;
    const auto te = o.teOptions(g);
    core::UnitSelection r;
    try {
        r = core::selectUnits(model, calib, pool, method, budget, te, progress, &interruptToken());
    } catch (const core::Error& e) { // a budget the pool cannot meet: named by its option
        if (std::string(e.what()).rfind("unit budget", 0) != 0)
            throw;
        throw core::Error(o.budgetParams > 0  ? "--budget-params " + std::to_string(o.budgetParams)
                          : o.budgetFlops > 0 ? "--budget-flops " + csvNumber(o.budgetFlops)
                                              : "--count " + std::to_string(budget.count),
                          e.reason());
    }
    nlohmann::json j = r;
    std::vector<int64_t> codes; // the chosen set as transfer_entropy.h's unit codes
    for (auto i : r.chosen)
        codes.insert(codes.end(), r.candidates[i].codes.begin(), r.candidates[i].codes.end());
    if (method == core::UnitMethod::Nose)
        j["transfer_entropy"] = r.stepValues.empty() ? 0.0 : r.stepValues.back();
    else if (o.bootstrap == 0) { // every method's set on NOSE's scale
        auto unitSets = te;
        unitSets.units = true;
        j["transfer_entropy"] = core::transferEntropy(model, calib, codes, unitSets, progress, &interruptToken());
    }
    if (o.bootstrap > 0) { // the set's TE again with its 95% interval, from one pass
        auto withResamples = te;
        withResamples.units = true;
        withResamples.bootstrap = o.bootstrap;
        withResamples.bootstrapSeed = o.bootstrapSeed;
        const auto e = core::estimateTransferEntropy(model, calib, codes, withResamples, progress, &interruptToken());
        j["transfer_entropy"] = e.value;
        if (e.interval)
            j["transfer_entropy_interval"] = {{"level", core::kIntervalLevel},
                                              {"resamples", e.resamples},
                                              {"low", e.interval->low},
                                              {"high", e.interval->high}};
    }
    if (o.evaluate) { // training-free top-1 with the units taken out, by both rules
        const auto test =
            core::loadDataset(o.data.data, core::Split::Test, core::DataOptions().size(model.meta.config.imageSize));
        core::EvalOptions eo;
        eo.limit = o.testLimit;
        eo.device = g.device;
        j["training_free"] = core::trainingFreeJson(
            core::trainingFreeTop1(model, test, codes, eo, progress, &interruptToken(), /*units=*/true));
    }
    progress.finish();
    j["units"] = te.entropy.units();
    j["provenance"] = {{"model", model.meta.source},
                       {"calibration", core::calibrationJson(calib, o.data.calibration())}};
    std::vector<int64_t> attention, mlp;
    std::cout << o.method << " over " << o.units << " units (" << budget.describe() << ") selects";
    for (auto i : r.chosen) {
        const auto& u = r.candidates[i];
        std::cout << (i == r.chosen.front() ? " " : ", ") << u.name();
        if (u.kind != core::UnitKind::Mlp && model.net->blockModes()[static_cast<size_t>(u.block)].hasAttention())
            attention.push_back(u.block);
        if (u.kind != core::UnitKind::Attention && model.net->blockModes()[static_cast<size_t>(u.block)].hasMlp())
            mlp.push_back(u.block);
    }
    const double total = static_cast<double>(model.net->parameterCount());
    std::cout << "; TE(S -> head) = " << std::setprecision(5) << j["transfer_entropy"].get<double>() << " "
              << j["units"].get<std::string>() << "\n  removes " << r.paramsRemoved << " parameters (" << std::fixed
              << std::setprecision(1) << 100.0 * static_cast<double>(r.paramsRemoved) / total << "%) and "
              << std::defaultfloat << std::setprecision(4) << r.flopsRemoved << " FLOPs per image; " << r.passes
              << " set evaluations\n";
    if (j.contains("transfer_entropy_interval"))
        std::cout << "  TE 95% interval " << std::setprecision(5) << j["transfer_entropy_interval"]["low"].get<double>()
                  << " to " << j["transfer_entropy_interval"]["high"].get<double>() << " over " << o.bootstrap
                  << " resamples\n";
    if (j.contains("training_free"))
        std::cout << "  training-free test top-1 with the units removed: " << std::fixed << std::setprecision(2)
                  << 100 * j["training_free"]["skip"]["top1"].get<double>() << "% (x = x), "
                  << 100 * j["training_free"]["double"]["top1"].get<double>() << "% (x = 2x) on "
                  << j["training_free"]["images"].get<int64_t>() << " images\n"
                  << std::defaultfloat;
    std::sort(attention.begin(), attention.end());
    std::sort(mlp.begin(), mlp.end());
    std::cout << "  to remove them: mlpify dilute " << o.input;
    if (!attention.empty())
        std::cout << " --remove " << core::blockList(attention);
    if (!mlp.empty())
        std::cout << " --remove-mlp " << core::blockList(mlp);
    std::cout << " --out OUT.mlpify\n";
    if (!o.out.empty())
        writeText(o.out, j.dump(2) + "\n");
    return 0;
}
} // namespace

void addSelectCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    auto o = std::make_shared<SelectArgs>();
    auto* cmd = app.add_subcommand("select", "choose attention layers to remove (NOSE or a baseline)");
    o->add(cmd);
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            core::checkOutputPaths({o->out, o->csv}, {o->input});
            std::optional<core::EntropyProfile> profile;
            auto model = core::loadModel(o->readInput(profile));
            if (o->units != "attention" || o->budgetParams > 0 || o->budgetFlops > 0 || o->method == "influence") {
                if ((o->ratio > 0) + (o->count > 0) + (o->budgetParams > 0) + (o->budgetFlops > 0) != 1)
                    throw core::Error("select", "give exactly one of --ratio, --count, --budget-params and "
                                                "--budget-flops");
                return selectUnitsCommand(*o, g, model);
            }
            if ((o->ratio > 0) == (o->count > 0))
                throw core::Error("select", "give exactly one of --ratio and --count");
            const int64_t k = o->count > 0 ? o->count : core::countForRatio(model, o->ratio);
            const auto layers = static_cast<int64_t>(core::attentionLayers(model).size());
            if (k > layers)
                throw core::Error("--count " + std::to_string(k),
                                  "the model has " + std::to_string(layers) + " attention layers to choose from");
            auto calib = core::loadCalibrationSet(o->data.data, model.meta.config, o->data.calibration());
            TerminalProgress progress;
            core::LayerSelection s;
            s.method = o->method;
            s.count = k;
            s.randomSeed = o->randomSeed;
            s.te = o->teOptions(g);
            s.profile.batchSize = o->data.batch;
            s.profile.device = g.device;
            // With --bootstrap, the plain run also gives every TE it computes a 95% interval over
            // the same resamples (weighted moments, one pass); the resampled runs need none.
            auto plain = s;
            plain.te.bootstrap = o->bootstrap;
            plain.te.bootstrapSeed = o->bootstrapSeed;
            const auto r =
                core::selectLayers(model, &calib, plain, progress, &interruptToken(), profile ? &*profile : nullptr);
            std::optional<core::Dataset> test;
            if (o->evaluate || o->curve)
                test = core::loadDataset(o->data.data, core::Split::Test,
                                         core::DataOptions().size(model.meta.config.imageSize));
            core::AssessmentOptions ao; // every method's set gets the same yardstick
            ao.te = plain.te;
            ao.test = o->evaluate ? &*test : nullptr;
            ao.eval.limit = o->testLimit;
            ao.eval.device = g.device;
            ao.stability = o->bootstrap;
            ao.stabilitySeed = o->bootstrapSeed;
            const auto a = core::assessSelection(model, calib, r.selected, s, ao, progress, &interruptToken());
            nlohmann::json j = r;
            j["transfer_entropy"] = a.transferEntropy->value;
            if (const auto& ci = a.transferEntropy->interval)
                j["transfer_entropy_interval"] = {{"level", core::kIntervalLevel},
                                                  {"resamples", a.transferEntropy->resamples},
                                                  {"low", ci->low},
                                                  {"high", ci->high}};
            if (a.stability) {
                j["stability"] = *a.stability;
                j["stability"]["chosen_set_share"] = a.chosenSetShare;
            }
            if (a.trainingFree)
                j["training_free"] = core::trainingFreeJson(*a.trainingFree);
            if (o->curve) {
                if (o->method == "exhaustive")
                    throw core::Error("--curve", "needs a method whose choices for k layers extend those for "
                                                 "k - 1 (every method but exhaustive)");
                auto all = s;
                all.count = layers;
                const auto order =
                    core::selectLayers(model, &calib, all, progress, &interruptToken(), profile ? &*profile : nullptr)
                        .selected;
                j["curve"] = core::removalCurve(model, *test, order, ao.eval, progress, &interruptToken());
            }
            progress.finish();
            j["units"] = s.te.entropy.units();
            j["provenance"] = {{"model", model.meta.source},
                               {"calibration", core::calibrationJson(calib, o->data.calibration())}};
            printSelection(j, r, model.meta.config.depth);
            if (!o->out.empty())
                writeText(o->out, j.dump(2) + "\n");
            if (!o->csv.empty())
                writeText(o->csv, candidatesCsv(r, model.meta.config.depth));
            return 0;
        };
    });
}

namespace {
struct CriteriaArgs {
    std::string model, methods, out, csv, pools;
    std::vector<std::string> diluted;
    DataArgs data;
    double ratio = 0.5;
    int teResamples = core::kDefaultIntervalResamples, stability = 0;
    uint64_t bootstrapSeed = 0, randomSeed = 0;
    int64_t testLimit = 0, count = 0, budgetParams = 0;
    double budgetFlops = 0;
    CLI::Option* ratioOption = nullptr;
};

struct DilutedModel {
    std::string file;
    std::vector<int64_t> removed, removedUnits;
    double top1;
};

// criteria --pools: what to compare, checked before any work.
core::PoolComparisonOptions poolOptions(const CriteriaArgs& o, const GlobalOptions& g)
{
    if (o.ratioOption->count() > 0)
        throw core::Error("--ratio", "is a share of attention layers; with --pools give --budget-params, "
                                     "--budget-flops or --count");
    if (o.stability > 0)
        throw core::Error("--stability", "is for the attention criteria; not with --pools");
    core::PoolComparisonOptions po;
    std::stringstream pools(o.pools == "all" ? std::string("attention,mlp,block,mixed") : o.pools);
    for (std::string p; std::getline(pools, p, ',');)
        if (!p.empty())
            try {
                po.pools.push_back(core::unitPoolFromString(p));
            } catch (const core::Error& e) {
                throw core::Error("--pools " + o.pools, e.reason());
            }
    if (po.pools.empty())
        throw core::Error("--pools " + o.pools, "names no pool (" + joined(core::unitPoolNames(), ", ") + ", all)");
    std::stringstream methods(o.methods);
    for (std::string m; std::getline(methods, m, ',');)
        if (!m.empty())
            try {
                po.methods.push_back(core::unitMethodFromString(m));
            } catch (const core::Error& e) {
                throw core::Error("--methods " + m, "over units: one of " + joined(core::unitMethodNames(), ", "));
            }
    if ((o.count > 0) + (o.budgetParams > 0) + (o.budgetFlops > 0) != 1)
        throw core::Error("--pools", "give exactly one of --budget-params, --budget-flops and --count");
    po.budget.count = o.count;
    po.budget.params = o.budgetParams;
    po.budget.flops = o.budgetFlops;
    po.te.batchSize = o.data.batch;
    po.te.device = g.device;
    po.te.bootstrap = o.teResamples;
    po.te.bootstrapSeed = o.bootstrapSeed;
    po.eval.limit = o.testLimit;
    po.eval.device = g.device;
    return po;
}

// The table of criteria --pools.
void printPools(const core::CriteriaComparison& c, const core::ModelBundle& model)
{
    const double total = static_cast<double>(model.net->parameterCount());
    std::cout << "each pool's set at " << c.budget << "; TE on " << c.calibrationImages << " calibration images"
              << (c.teResamples > 0 ? " (95% interval, " + std::to_string(c.teResamples) + " resamples)" : "")
              << ", top-1 on " << c.testImages << " test images\n";
    std::cout << std::left << std::setw(11) << "pool" << std::setw(13) << "method" << std::right << std::setw(10)
              << "params" << std::setw(24) << "TE (" + c.units + ")" << std::setw(9) << "x = x" << std::setw(9)
              << "x = 2x" << std::setw(10) << "diluted" << std::setw(8) << "s"
              << "  units\n";
    for (const auto& r : c.rows) {
        std::cout << std::left << std::setw(11) << r.pool << std::setw(13) << r.method << std::right;
        if (!r.note.empty()) {
            std::cout << "  no set: " << r.note << "\n";
            continue;
        }
        std::ostringstream te, share;
        te << std::fixed << std::setprecision(3) << r.transferEntropy;
        if (std::isfinite(r.teLow))
            te << " [" << r.teLow << ", " << r.teHigh << "]";
        share << std::fixed << std::setprecision(1) << 100.0 * static_cast<double>(r.paramsRemoved) / total << "%";
        std::cout << std::setw(10) << share.str() << std::setw(24) << te.str() << std::fixed << std::setprecision(2)
                  << std::setw(8) << 100 * r.skipTop1 << "%" << std::setw(8) << 100 * r.doubleTop1 << "%"
                  << std::setw(9);
        if (r.dilutedTop1)
            std::cout << 100 * *r.dilutedTop1 << "%";
        else
            std::cout << "-"
                      << " ";
        std::cout << std::setw(8) << std::setprecision(1) << r.seconds << "  " << joined(r.unitNames, ", ") << "\n"
                  << std::defaultfloat;
    }
}
} // namespace

void addCriteriaCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    auto o = std::make_shared<CriteriaArgs>();
    auto* cmd = app.add_subcommand("criteria", "every selection criterion side by side: set, TE with interval, "
                                               "training-free top-1, stability, top-1 after dilution");
    cmd->add_option("MODEL", o->model, "model file or 'default'")->required();
    o->data.add(cmd);
    o->ratioOption = cmd->add_option("--ratio", o->ratio, "fraction of attention layers each method removes")
                         ->capture_default_str()
                         ->check(inRange(0.0, 1.0));
    cmd->add_option("--methods", o->methods,
                    "comma-separated, of " + core::selectionMethodList(", ") +
                        " (default: " + joined(core::comparedMethods(), ", ") + "); with --pools of " +
                        joined(core::unitMethodNames(), ", ") + " (default: nose)");
    cmd->add_option("--pools", o->pools,
                    "compare candidate pools at one budget instead: comma-separated, of " +
                        joined(core::unitPoolNames(), ", ") + ", or all (resources/docs/units.md)");
    cmd->add_option("--budget-params", o->budgetParams, "with --pools: each set removes at most P parameters")
        ->check(inRange(1, 1e15));
    cmd->add_option("--budget-flops", o->budgetFlops, "with --pools: each set saves at most F FLOPs per image")
        ->check(inRange(1, 1e30));
    cmd->add_option("--count", o->count, "with --pools: each set has N units")->check(inRange(1, 1e12));
    cmd->add_option("--te-resamples", o->teResamples, "bootstrap resamples for each set's TE interval (0: none)")
        ->capture_default_str()
        ->check(inRange(0, 100000));
    cmd->add_option("--stability", o->stability, "run each method again on B resamples: how stable its choice is")
        ->capture_default_str()
        ->check(inRange(0, 100000));
    cmd->add_option("--bootstrap-seed", o->bootstrapSeed, "seed of the resamples")->capture_default_str();
    cmd->add_option("--random-seed", o->randomSeed, "seed for the random method")->capture_default_str();
    cmd->add_option("--test-limit", o->testLimit, "the first N test images for the training-free top-1 (0: all)")
        ->check(inRange(0, 1e12));
    cmd->add_option("--diluted", o->diluted,
                    "a diluted, folded model, or `mlpify eval --json` of one (repeatable): its test top-1 goes to "
                    "the criteria that chose its set");
    cmd->add_option("--out", o->out, "write the comparison as JSON");
    cmd->add_option("--csv", o->csv, "write the comparison as CSV");
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            core::checkOutputPaths({o->out, o->csv}, {o->model});
            auto model = core::loadModel(o->model);
            core::ComparisonOptions co;
            std::stringstream list(o->pools.empty() ? o->methods : std::string());
            for (std::string m; std::getline(list, m, ',');)
                if (!m.empty()) {
                    const auto& known = core::selectionMethods();
                    if (std::find(known.begin(), known.end(), m) == known.end())
                        throw core::Error("--methods " + m, "unknown method (" + core::selectionMethodList(", ") + ")");
                    co.methods.push_back(m);
                }
            // the diluted models first: a bad file is reported before minutes of work
            std::optional<core::PoolComparisonOptions> pools;
            if (!o->pools.empty())
                pools = poolOptions(*o, g);
            else
                for (const auto& [given, flag] : {std::pair{o->count > 0, "--count"},
                                                  {o->budgetParams > 0, "--budget-params"},
                                                  {o->budgetFlops > 0, "--budget-flops"}})
                    if (given)
                        throw core::Error(flag, "is for --pools (the attention criteria take --ratio)");
            std::vector<DilutedModel> diluted;
            for (const auto& file : o->diluted) {
                if (std::filesystem::path(file).extension() == ".json") { // `mlpify eval MODEL --json`
                    const auto j = core::readJsonFile(file);
                    if (!j.contains("top1") || !j.contains("evaluated_at") || !j.at("evaluated_at").is_array())
                        throw core::Error(file, "not the output of `mlpify eval --json` (top1, evaluated_at)");
                    DilutedModel x{file, {}, {}, j.at("top1").get<double>()};
                    const auto& at = j.at("evaluated_at");
                    const auto depth = static_cast<int64_t>(at.size());
                    for (int64_t b = 0; b < depth; ++b)
                        if (at[static_cast<size_t>(b)].value("attention", "") == "removed") {
                            x.removed.push_back(b);
                            x.removedUnits.push_back(b);
                        }
                    for (int64_t b = 0; b < depth; ++b)
                        if (at[static_cast<size_t>(b)].value("mlp", "") == "removed")
                            x.removedUnits.push_back(core::mlpUnit(b, depth));
                    diluted.push_back(x);
                    continue;
                }
                const auto d = core::dilutedResultOf(core::loadModel(file), file);
                diluted.push_back({file, d.removed, d.removedUnits, d.top1});
            }
            co.count = core::countForRatio(model, o->ratio);
            co.randomSeed = o->randomSeed;
            co.te.batchSize = o->data.batch;
            co.te.device = g.device;
            co.te.bootstrap = o->teResamples;
            co.te.bootstrapSeed = o->bootstrapSeed;
            co.stability = o->stability;
            co.stabilitySeed = o->bootstrapSeed;
            co.eval.limit = o->testLimit;
            co.eval.device = g.device;
            auto calib = core::loadCalibrationSet(o->data.data, model.meta.config, o->data.calibration());
            const auto test = core::loadDataset(o->data.data, core::Split::Test,
                                                core::DataOptions().size(model.meta.config.imageSize));
            if (pools) {
                TerminalProgress progress;
                auto c = core::comparePools(model, calib, test, *pools, progress, &interruptToken());
                progress.finish();
                for (const auto& d : diluted)
                    if (core::attachDiluted(c, d.removedUnits, d.top1, d.file) == 0)
                        std::cerr << "note: " << d.file << " removes a set no pool chose\n";
                c.settings["model"] = model.meta.source;
                c.settings["calibration"] = core::calibrationJson(calib, o->data.calibration());
                printPools(c, model);
                if (!o->out.empty())
                    writeText(o->out, nlohmann::json(c).dump(2) + "\n");
                if (!o->csv.empty())
                    writeText(o->csv, core::criteriaCsv(c));
                return 0;
            }
            TerminalProgress progress;
            auto c = core::compareCriteria(model, calib, test, co, progress, &interruptToken());
            progress.finish();
            for (const auto& d : diluted)
                if (core::attachDiluted(c, d.removed, d.top1, d.file) == 0)
                    std::cerr << "note: " << d.file << " removes " << joinLayers(d.removed)
                              << ", a set no criterion chose\n";
            c.settings["model"] = model.meta.source;
            c.settings["calibration"] = core::calibrationJson(calib, o->data.calibration());
            std::cout << "each method removes " << c.count << " of " << model.meta.config.depth << " blocks; TE on "
                      << c.calibrationImages << " calibration images"
                      << (c.teResamples > 0 ? " (95% interval, " + std::to_string(c.teResamples) + " resamples)" : "")
                      << ", top-1 on " << c.testImages << " test images\n";
            std::cout << std::left << std::setw(17) << "method" << std::setw(20) << "set" << std::right << std::setw(24)
                      << "TE (" + c.units + ")" << std::setw(9) << "x = x" << std::setw(9) << "x = 2x" << std::setw(9)
                      << "stable" << std::setw(10) << "diluted" << std::setw(9) << "s"
                      << "\n";
            double total = 0;
            for (const auto& r : c.rows) {
                std::ostringstream te;
                te << std::fixed << std::setprecision(3) << r.transferEntropy;
                if (std::isfinite(r.teLow))
                    te << " [" << r.teLow << ", " << r.teHigh << "]";
                std::cout << std::left << std::setw(17) << r.method << std::setw(20) << joinLayers(r.selected)
                          << std::right << std::setw(24) << te.str() << std::fixed << std::setprecision(2)
                          << std::setw(8) << 100 * r.skipTop1 << "%" << std::setw(8) << 100 * r.doubleTop1 << "%";
                if (r.stabilityResamples > 0)
                    std::cout << std::setw(8) << std::setprecision(0) << 100 * r.chosenSetShare << "%";
                else
                    std::cout << std::setw(9) << "-";
                if (r.dilutedTop1)
                    std::cout << std::setw(9) << std::setprecision(2) << 100 * *r.dilutedTop1 << "%";
                else
                    std::cout << std::setw(10) << "-";
                std::cout << std::setw(9) << std::setprecision(1) << r.seconds << "\n";
                total += r.seconds;
            }
            std::cout << "selections took " << std::setprecision(1) << total << " s in all\n";
            if (!o->out.empty())
                writeText(o->out, nlohmann::json(c).dump(2) + "\n");
            if (!o->csv.empty())
                writeText(o->csv, core::criteriaCsv(c));
            return 0;
        };
    });
}

namespace {
// "2,m4,b6" -> unit codes (transfer_entropy.h): attention of block 2 (a2 alike), the MLP of block 4,
// both branches of block 6; Error naming the list on a bad item.
std::vector<int64_t> parseUnitSet(const std::string& list, int64_t depth)
{
    std::vector<int64_t> codes;
    std::stringstream s(list);
    for (std::string item; std::getline(s, item, ',');) {
        const bool bare = !item.empty() && std::isdigit(static_cast<unsigned char>(item[0]));
        const char kind = bare ? 'a' : (item.empty() ? '?' : item[0]);
        if ((kind != 'a' && kind != 'm' && kind != 'b') || (!bare && item.size() < 2))
            throw core::Error("--remove " + list, "expected units like 2,m4,b6 (attention, MLP, whole block)");
        const auto number = bare ? item : item.substr(1);
        int64_t block = 0;
        try {
            block = parseBlocks(number, depth).front();
        } catch (const core::Error& e) {
            throw core::Error("--remove " + list, e.reason());
        }
        if (kind != 'm')
            codes.push_back(block);
        if (kind != 'a')
            codes.push_back(core::mlpUnit(block, depth));
    }
    return codes;
}

// Unit codes back as "2,m4" (the attention of block 2 and the MLP of block 4).
std::string unitSetText(const std::vector<int64_t>& codes, int64_t depth)
{
    std::string out;
    for (auto c : codes)
        out += (out.empty() ? "" : ",") + (c < depth ? std::to_string(c) : "m" + std::to_string(c - depth));
    return out.empty() ? "nothing" : out;
}
} // namespace

void addWhatIfCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string model, out;
        std::vector<std::string> remove;
        DataArgs data;
    };
    auto o = std::make_shared<Opts>();
    o->data.images = 256;
    auto* cmd = app.add_subcommand("what-if", "training-free top-1 and TE of sets of units, from kept stream states "
                                              "(the Slim tab's what-if)");
    cmd->add_option("MODEL", o->model, "model file or 'default'")->required();
    cmd->add_option("--remove", o->remove,
                    "units taken out, e.g. 2,6 (attention of blocks 2 and 6), m4 (the MLP of block 4), b3 (block "
                    "3 whole); repeat for more sets")
        ->required();
    o->data.add(cmd);
    cmd->add_option("--out", o->out, "write the results as JSON");
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            core::checkOutputPaths({o->out}, {o->model});
            auto model = core::loadModel(o->model);
            const auto depth = model.meta.config.depth;
            std::vector<std::vector<int64_t>> sets;
            bool units = false; // MLP units present: TE over unit sets (attention-only sets as before)
            for (const auto& r : o->remove) {
                sets.push_back(parseUnitSet(r, depth));
                for (auto c : sets.back())
                    units = units || c >= depth;
            }
            auto images = core::loadCalibrationSet(o->data.data, model.meta.config, o->data.calibration());
            core::TeOptions te;
            te.units = units;
            te.batchSize = o->data.batch;
            te.device = g.device;
            TerminalProgress progress;
            using Clock = std::chrono::steady_clock;
            auto ms = [](Clock::time_point a) {
                return std::chrono::duration<double, std::milli>(Clock::now() - a).count();
            };
            const auto t0 = Clock::now();
            const core::WhatIf whatIf(model, images, te, progress, &interruptToken());
            const double keepMs = ms(t0);
            progress.finish();
            auto results = nlohmann::json::array();
            std::cout << "stream states of " << images.size() << " images kept in " << std::fixed
                      << std::setprecision(0) << keepMs << " ms\n";
            for (const auto& set : sets) {
                const auto t = Clock::now();
                const auto r = whatIf.evaluate(set, &interruptToken());
                const double took = ms(t);
                nlohmann::json j = r;
                j["milliseconds"] = took;
                if (units)
                    j["removed_units"] = unitSetText(r.removed, depth);
                results.push_back(j);
                std::cout << "remove " << (units ? unitSetText(r.removed, depth) : joinLayers(r.removed)) << ": top-1 "
                          << std::setprecision(2) << 100 * r.skipTop1 << "% (x = x), " << 100 * r.doubleTop1
                          << "% (x = 2x); TE " << std::setprecision(4) << r.transferEntropy << " " << r.units << "; "
                          << std::setprecision(0) << took << " ms\n";
            }
            if (!o->out.empty())
                writeText(o->out, nlohmann::json{{"kind", "what_if"},
                                                 {"model", model.meta.source},
                                                 {"calibration", core::calibrationJson(images, o->data.calibration())},
                                                 {"states_ms", keepMs},
                                                 {"sets", results}}
                                          .dump(2) +
                                      "\n");
            return 0;
        };
    });
}

} // namespace mlpify::app
