// analyze, select and spectrum: the analysis engine from the command line (JSON and CSV out).
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "core/analysis/criteria.h"
#include "core/analysis/entropy_profile.h"
#include "core/analysis/selection.h"
#include "core/analysis/spectrum.h"
#include "core/analysis/what_if.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/json_file.h"
#include "core/io/model_io.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace mlpify::app {

namespace {

struct DataArgs {
    std::string data = "fashion-mnist";
    int64_t images = 1000;
    uint64_t seed = 0;
    std::string split = "train";
    int64_t batch = 64; // images per forward; on a CPU one batch per thread (measured: 64 fastest, analysis.md)

    void add(CLI::App* cmd)
    {
        cmd->add_option("--data", data, "calibration data spec")->capture_default_str();
        cmd->add_option("--images", images, "calibration images (seeded subset)")
            ->capture_default_str()
            ->check(inRange(1, 1e12));
        cmd->add_option("--seed", seed, "calibration subset seed")->capture_default_str();
        cmd->add_option("--split", split, "train (default, as the paper) or test")
            ->capture_default_str()
            ->check(CLI::IsMember({"train", "test"}));
        cmd->add_option("--batch", batch, "batch size")->capture_default_str()->check(inRange(1, 65536));
    }
    core::CalibrationOptions calibration() const { return {images, seed, split}; }
};

std::string csvNumber(double v)
{
    if (std::isnan(v))
        return "";
    std::ostringstream s;
    s << std::setprecision(10) << v;
    return s.str();
}

void writeText(const std::string& path, const std::string& text)
{
    core::writeBytesAtomically(path, text);
    std::cerr << "wrote " << path << "\n";
}

std::string profileCsv(const core::EntropyProfile& p)
{
    std::ostringstream o;
    o << "block,state,attn_entropy,mlp_entropy,out_entropy,attn_spread,mlp_spread,out_spread,units\n";
    for (const auto& b : p.blocks)
        o << b.block << "," << core::toString(b.mode.mode) << "," << (b.attn ? csvNumber(*b.attn) : "") << ","
          << csvNumber(b.mlp) << "," << csvNumber(b.out) << "," << (b.attnSpread ? csvNumber(*b.attnSpread) : "") << ","
          << csvNumber(b.mlpSpread) << "," << csvNumber(b.outSpread) << "," << p.units << "\n";
    return o.str();
}

std::string joinLayers(const std::vector<int64_t>& v)
{
    std::string s;
    for (auto x : v)
        s += (s.empty() ? "" : ",") + std::to_string(x);
    return "{" + s + "}";
}

} // namespace

void addAnalyzeCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string model, tokens = "cls", out, csv;
        DataArgs data;
        int folds = 3;
        bool layerMap = false, bits = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("analyze", "per-block entropy curves (attention, MLP, block output)");
    cmd->add_option("MODEL", o->model, "model file or 'default'")->required();
    o->data.add(cmd);
    cmd->add_option("--tokens", o->tokens, "cls | all | patch")
        ->capture_default_str()
        ->check(CLI::IsMember({"cls", "all", "patch"}));
    cmd->add_option("--folds", o->folds, "seeded folds for the spread")->capture_default_str()->check(inRange(1, 1000));
    cmd->add_flag("--bits", o->bits, "log2 and ddof 1 instead of the default nats and ddof 0");
    cmd->add_flag("--layer-map", o->layerMap, "also compute the layer-to-layer transfer-entropy map");
    cmd->add_option("--out", o->out, "write the result as JSON");
    cmd->add_option("--csv", o->csv, "write the curves as CSV");
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            core::checkOutputPaths({o->out, o->csv}, {o->model});
            auto model = core::loadModel(o->model);
            auto calib = core::loadCalibrationSet(o->data.data, model.meta.config, o->data.calibration());
            core::ProfileOptions po;
            po.tokens = core::tokenSetFromString(o->tokens);
            po.folds = o->folds;
            po.batchSize = o->data.batch;
            po.device = g.device;
            if (o->bits)
                po.entropy = core::EntropyOptions().base(2.0).dof(1);
            TerminalProgress progress;
            auto profile = core::profileEntropy(model, calib, po, progress, &interruptToken());
            profile.provenance["calibration"] = core::calibrationJson(calib, o->data.calibration());
            progress.finish();
            nlohmann::json j = profile;
            if (o->layerMap) {
                core::TeOptions to;
                to.entropy = po.entropy;
                to.batchSize = o->data.batch;
                to.device = g.device;
                TerminalProgress p2;
                j["layer_map"] = core::layerToLayerMap(model, calib, to, po.tokens, p2, &interruptToken());
            }
            std::cout << "block  state     H(attn)     H(mlp)      H(out)   [" << profile.units << ", " << o->tokens
                      << " token(s), " << calib.size() << " images]\n"
                      << std::fixed << std::setprecision(3);
            for (const auto& b : profile.blocks)
                std::cout << std::setw(5) << b.block << "  " << std::left << std::setw(8) << core::toString(b.mode.mode)
                          << std::right << std::setw(10)
                          << (b.attn ? csvNumber(std::round(*b.attn * 1000) / 1000) : "-") << std::setw(11) << b.mlp
                          << std::setw(12) << b.out << "\n";
            if (!o->out.empty())
                writeText(o->out, j.dump(2) + "\n");
            if (!o->csv.empty())
                writeText(o->csv, profileCsv(profile));
            return 0;
        };
    });
}

void addSelectCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
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
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("select", "choose attention layers to remove (NOSE or a baseline)");
    cmd->add_option("INPUT", o->input, "model file, 'default', or an analysis.json from `mlpify analyze`")->required();
    o->data.add(cmd);
    cmd->add_option("--ratio", o->ratio, "fraction of attention layers to remove")->check(inRange(0.0, 1.0));
    cmd->add_option("--count", o->count, "number of attention layers to remove")->check(inRange(0, 1e12));
    cmd->add_option("--method", o->method,
                    "nose | exhaustive | single-te | first | random | entropy | block-influence | attention-cosine | "
                    "angular | greedy-loss | greedy-kl (README, Criteria)")
        ->check(CLI::IsMember(core::selectionMethods()))
        ->capture_default_str();
    cmd->add_option("--random-seed", o->randomSeed, "seed for --method random")->capture_default_str();
    cmd->add_flag("--abs", o->absolute, "rank by |TE| instead of the signed value");
    cmd->add_flag("--lambda0", o->dilute, "evaluate removal as lambda = 0 (factor 2) instead of a plain skip");
    cmd->add_flag("--feature", o->feature, "TE on the final CLS feature instead of the logits");
    cmd->add_flag("--naive", o->naive, "reference evaluation: every set from the input, all outputs kept");
    cmd->add_flag("--stepwise", o->stepwise,
                  "NOSE one pass per step (prefix reuse within a step only) instead of a guessed, checked path");
    cmd->add_option("--out", o->out, "write the selection as JSON");
    cmd->add_option("--csv", o->csv, "write the step x candidate matrix as CSV");
    cmd->add_flag("--evaluate", o->evaluate,
                  "training-free top-1 and loss on the test split with the set removed (x = x and x = 2x)");
    cmd->add_flag("--curve", o->curve, "training-free top-1 for 1, 2, ... all layers removed in the method's order");
    cmd->add_option("--bootstrap", o->bootstrap,
                    "run the method on B resamples of the calibration images (drawn with replacement): how often "
                    "each layer and each set is chosen, and a 95% interval for every transfer entropy")
        ->check(inRange(0, 100000));
    cmd->add_option("--bootstrap-seed", o->bootstrapSeed, "seed of the resamples")->capture_default_str();
    cmd->add_option("--test-limit", o->testLimit, "with --evaluate/--curve: the first N test images (0: all)")
        ->check(inRange(0, 1e12));
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            core::checkOutputPaths({o->out, o->csv}, {o->input});
            std::string modelSpec = o->input;
            std::optional<core::EntropyProfile> profile;
            if (std::filesystem::path(o->input).extension() == ".json") {
                const auto j = core::readJsonFile(o->input);
                try {
                    profile = j.get<core::EntropyProfile>();
                    modelSpec = profile->provenance.at("model").get<std::string>();
                    const auto& c = profile->provenance.at("calibration");
                    o->data.data = c.at("data").get<std::string>();
                    o->data.images = core::jsonInteger(c.at("images"));
                    o->data.seed = core::jsonInteger<uint64_t>(c.at("seed"));
                    o->data.split = c.at("split").get<std::string>();
                } catch (const nlohmann::json::exception& e) {
                    throw core::Error(o->input, std::string("not an analysis JSON from `mlpify analyze`: ") + e.what());
                }
            }
            auto model = core::loadModel(modelSpec);
            if ((o->ratio > 0) == (o->count > 0))
                throw core::Error("select", "give exactly one of --ratio and --count");
            const int64_t k = o->count > 0 ? o->count : core::countForRatio(model, o->ratio);
            const auto modes = model.net->blockModes();
            const auto layers =
                std::count_if(modes.begin(), modes.end(), [](const auto& m) { return m.hasAttention(); });
            if (k > layers)
                throw core::Error("--count " + std::to_string(k),
                                  "the model has " + std::to_string(layers) + " attention layers to choose from");
            core::TeOptions to;
            to.batchSize = o->data.batch;
            to.device = g.device;
            to.absolute = o->absolute;
            to.reusePrefix = !o->naive;
            to.speculate = !o->stepwise;
            to.rule = o->dilute ? core::SkipRule::DiluteZero : core::SkipRule::Skip;
            if (o->feature) {
                to.target = core::TeTarget::Feature;
                to.entropy = core::EntropyOptions().base(std::exp(1.0)).dof(0);
            }
            auto calib = core::loadCalibrationSet(o->data.data, model.meta.config, o->data.calibration());
            TerminalProgress progress;
            core::LayerSelection s;
            s.method = o->method;
            s.count = k;
            s.randomSeed = o->randomSeed;
            s.te = to;
            s.profile.batchSize = o->data.batch;
            s.profile.device = g.device;
            // With --bootstrap, the plain run also gives every TE it computes a 95% interval over
            // the same resamples (weighted moments, one pass); the resampled runs need none.
            auto plain = s;
            plain.te.bootstrap = o->bootstrap;
            plain.te.bootstrapSeed = o->bootstrapSeed;
            auto r =
                core::selectLayers(model, &calib, plain, progress, &interruptToken(), profile ? &*profile : nullptr);
            // Every method's set gets the same yardstick: its transfer entropy on these images.
            const auto estimate =
                core::estimateTransferEntropy(model, calib, r.selected, plain.te, progress, &interruptToken());
            const double te = estimate.value;
            nlohmann::json j = r;
            j["transfer_entropy"] = te;
            if (estimate.interval)
                j["transfer_entropy_interval"] = {{"level", core::kIntervalLevel},
                                                  {"resamples", estimate.resamples},
                                                  {"low", estimate.interval->low},
                                                  {"high", estimate.interval->high}};
            if (o->bootstrap > 0) {
                const auto stability = core::selectionStability(
                    calib, core::bootstrapResamples(calib.size(), o->bootstrap, o->bootstrapSeed),
                    [&](const core::Dataset& resample, core::Progress& p) {
                        return core::selectLayers(model, &resample, s, p, &interruptToken(),
                                                  nullptr); // each resample's own curves, not the file's
                    },
                    model.meta.config.depth, progress, &interruptToken());
                j["stability"] = stability;
                auto sorted = r.selected;
                std::sort(sorted.begin(), sorted.end());
                int same = 0;
                for (const auto& [set, count] : stability.sets)
                    if (set == sorted)
                        same = count;
                j["stability"]["chosen_set_share"] = static_cast<double>(same) / o->bootstrap;
            }
            if (o->evaluate || o->curve) {
                const auto test = core::loadDataset(o->data.data, core::Split::Test,
                                                    core::DataOptions().size(model.meta.config.imageSize));
                core::EvalOptions eo;
                eo.limit = o->testLimit;
                eo.device = g.device;
                if (o->evaluate) {
                    const auto skip = core::evaluateWithout(model, test, r.selected, core::SkipRule::Skip, eo, progress,
                                                            &interruptToken());
                    const auto twice = core::evaluateWithout(model, test, r.selected, core::SkipRule::DiluteZero, eo,
                                                             progress, &interruptToken());
                    if (skip.cancelled || twice.cancelled)
                        throw core::Error("select", "interrupted");
                    j["training_free"] = {{"images", skip.count},
                                          {"skip", {{"top1", skip.top1()}, {"loss", skip.loss}}},
                                          {"double", {{"top1", twice.top1()}, {"loss", twice.loss}}}};
                }
                if (o->curve) {
                    if (o->method == "exhaustive")
                        throw core::Error("--curve", "needs a method whose choices for k layers extend those for "
                                                     "k - 1 (every method but exhaustive)");
                    auto all = s;
                    all.count = layers;
                    const auto order = core::selectLayers(model, &calib, all, progress, &interruptToken(),
                                                          profile ? &*profile : nullptr)
                                           .selected;
                    j["curve"] = core::removalCurve(model, test, order, eo, progress, &interruptToken());
                }
            }
            progress.finish();
            j["units"] = to.entropy.units();
            j["provenance"] = {{"model", model.meta.source},
                               {"calibration", core::calibrationJson(calib, o->data.calibration())}};
            std::cout << r.method << " selects " << joinLayers(r.selected) << " (" << k << " of "
                      << model.meta.config.depth << " blocks); TE(S -> head) = " << std::setprecision(5) << te << " "
                      << to.entropy.units();
            if (estimate.interval)
                std::cout << " (95% interval " << estimate.interval->low << " to " << estimate.interval->high << ")";
            std::cout << "\n";
            if (r.blockPasses > 0)
                std::cout << "  " << r.passes << " set evaluations, " << r.blockPasses << " blocks per image"
                          << (r.guessPasses > 0 ? " (+ " + std::to_string(r.guessPasses) +
                                                      " set evaluations on a subset to guess the path)"
                                                : std::string())
                          << "\n";
            if (j.contains("stability")) {
                std::cout << "  over " << o->bootstrap << " resamples the set was chosen " << std::fixed
                          << std::setprecision(0) << 100 * j["stability"]["chosen_set_share"].get<double>()
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
            if (!o->out.empty())
                writeText(o->out, j.dump(2) + "\n");
            if (!o->csv.empty()) {
                std::ostringstream c;
                c << "step,chosen";
                for (int64_t l = 0; l < model.meta.config.depth; ++l)
                    c << ",layer_" << l;
                c << "\n";
                for (size_t s = 0; s < r.candidates.size(); ++s) {
                    c << s << "," << (s < r.selected.size() ? std::to_string(r.selected[s]) : "");
                    for (double v : r.candidates[s])
                        c << "," << csvNumber(v);
                    c << "\n";
                }
                writeText(o->csv, c.str());
            }
            return 0;
        };
    });
}

void addCriteriaCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string model, methods, out, csv;
        std::vector<std::string> diluted;
        DataArgs data;
        double ratio = 0.5;
        int teResamples = 100, stability = 0;
        uint64_t bootstrapSeed = 0, randomSeed = 0;
        int64_t testLimit = 0;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("criteria", "every selection criterion side by side: set, TE with interval, "
                                               "training-free top-1, stability, top-1 after dilution");
    cmd->add_option("MODEL", o->model, "model file or 'default'")->required();
    o->data.add(cmd);
    cmd->add_option("--ratio", o->ratio, "fraction of attention layers each method removes")
        ->capture_default_str()
        ->check(inRange(0.0, 1.0));
    cmd->add_option("--methods", o->methods, "comma-separated methods (default: all but exhaustive)");
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
            std::stringstream list(o->methods);
            for (std::string m; std::getline(list, m, ',');)
                if (!m.empty()) {
                    const auto& known = core::selectionMethods();
                    if (std::find(known.begin(), known.end(), m) == known.end())
                        throw core::Error("--methods " + m, "unknown method (see select --help)");
                    co.methods.push_back(m);
                }
            // the diluted models first: a bad file is reported before minutes of work
            struct Diluted {
                std::string file;
                std::vector<int64_t> removed;
                double top1;
            };
            std::vector<Diluted> diluted;
            for (const auto& file : o->diluted) {
                if (std::filesystem::path(file).extension() == ".json") { // `mlpify eval MODEL --json`
                    const auto j = core::readJsonFile(file);
                    if (!j.contains("top1") || !j.contains("evaluated_at") || !j.at("evaluated_at").is_array())
                        throw core::Error(file, "not the output of `mlpify eval --json` (top1, evaluated_at)");
                    Diluted x{file, {}, j.at("top1").get<double>()};
                    for (size_t b = 0; b < j.at("evaluated_at").size(); ++b)
                        if (j.at("evaluated_at")[b].value("attention", "") == "removed")
                            x.removed.push_back(static_cast<int64_t>(b));
                    diluted.push_back(x);
                    continue;
                }
                const auto d = core::dilutedResultOf(core::loadModel(file), file);
                diluted.push_back({file, d.removed, d.top1});
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

void addWhatIfCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string model, out;
        std::vector<std::string> remove;
        DataArgs data;
    };
    auto o = std::make_shared<Opts>();
    o->data.images = 256;
    auto* cmd = app.add_subcommand("what-if", "training-free top-1 and TE of attention sets, from kept stream states "
                                              "(the Slim tab's what-if)");
    cmd->add_option("MODEL", o->model, "model file or 'default'")->required();
    cmd->add_option("--remove", o->remove, "blocks whose attention is taken out, e.g. 2,6 (repeat for more sets)")
        ->required();
    o->data.add(cmd);
    cmd->add_option("--out", o->out, "write the results as JSON");
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            core::checkOutputPaths({o->out}, {o->model});
            auto model = core::loadModel(o->model);
            std::vector<std::vector<int64_t>> sets;
            for (const auto& r : o->remove)
                sets.push_back(parseBlocks(r, model.meta.config.depth));
            auto images = core::loadCalibrationSet(o->data.data, model.meta.config, o->data.calibration());
            core::TeOptions te;
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
                results.push_back(j);
                std::cout << "remove " << joinLayers(r.removed) << ": top-1 " << std::setprecision(2)
                          << 100 * r.skipTop1 << "% (x = x), " << 100 * r.doubleTop1 << "% (x = 2x); TE "
                          << std::setprecision(4) << r.transferEntropy << " " << r.units << "; " << std::setprecision(0)
                          << took << " ms\n";
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

void addSpectrumCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string model, vs, source = "block", out, csv;
        DataArgs data;
        bool official = false, parkKim = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("spectrum", "relative log amplitude vs radial frequency, per block");
    cmd->add_option("MODEL", o->model, "model file or 'default'")->required();
    cmd->add_option("--vs", o->vs, "a second model (e.g. the slimmed one) on the same images");
    o->data.add(cmd);
    cmd->add_option("--source", o->source, "block | mlp | attn")
        ->capture_default_str()
        ->check(CLI::IsMember({"block", "mlp", "attn"}));
    cmd->add_flag("--official-rings", o->official, "the official code's 11 rings (14x14 grids)");
    cmd->add_flag("--park-kim", o->parkKim, "average ln(|F| + 1e-6) as Park & Kim");
    cmd->add_option("--out", o->out, "write JSON");
    cmd->add_option("--csv", o->csv, "write CSV (model, block, radius, dlogA)");
    o->data.images = 256;
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            core::checkOutputPaths({o->out, o->csv}, {o->model, o->vs});
            core::SpectrumOptions so;
            so.source = core::spectrumSourceFromString(o->source);
            so.officialRings = o->official;
            so.logMean = o->parkKim;
            so.batchSize = o->data.batch;
            so.device = g.device;
            std::vector<std::string> specs{o->model};
            if (!o->vs.empty())
                specs.push_back(o->vs);
            nlohmann::json all = nlohmann::json::array();
            std::ostringstream csv;
            csv << "model,block,radius,dlogA\n" << std::setprecision(10);
            for (const auto& spec : specs) {
                auto model = core::loadModel(spec);
                auto calib = core::loadCalibrationSet(o->data.data, model.meta.config, o->data.calibration());
                TerminalProgress progress;
                auto r = core::computeSpectrum(model, calib, so, progress, &interruptToken());
                progress.finish();
                nlohmann::json j = r;
                j["calibration"] = core::calibrationJson(calib, o->data.calibration());
                all.push_back(j);
                std::cout << spec << ": dlogA at the highest radius <= 1, per block:";
                for (const auto& b : r.blocks) {
                    std::cout << " " << b.block << ":" << std::fixed << std::setprecision(3) << b.dlogA.back();
                    for (size_t i = 0; i < b.radius.size(); ++i)
                        csv << spec << "," << b.block << "," << b.radius[i] << "," << b.dlogA[i] << "\n";
                }
                std::cout << "\n";
            }
            if (!o->out.empty())
                writeText(o->out, nlohmann::json{{"kind", "spectrum_comparison"}, {"models", all}}.dump(2) + "\n");
            if (!o->csv.empty())
                writeText(o->csv, csv.str());
            return 0;
        };
    });
}

} // namespace mlpify::app
