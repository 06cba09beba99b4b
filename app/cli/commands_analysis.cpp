// analyze and spectrum: entropy curves and frequency spectra from the command line (JSON and CSV out).
#include "app/cli/cli_support.h"
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "core/analysis/entropy_profile.h"
#include "core/analysis/spectrum.h"
#include "core/analysis/transfer_entropy.h"
#include "core/io/atomic_file.h"
#include "core/io/model_io.h"

#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace mlpify::app {

namespace {

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
                po.entropy = core::EntropyOptions::bits();
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
            for (const auto& b : profile.blocks) {
                std::cout << std::setw(5) << b.block << "  " << std::left << std::setw(8) << core::toString(b.mode.mode)
                          << std::right << std::setw(10)
                          << (b.attn ? csvNumber(std::round(*b.attn * 1000) / 1000) : "-") << std::setw(11);
                if (std::isnan(b.mlp)) // an attention-only or gone block has no MLP
                    std::cout << "-";
                else
                    std::cout << b.mlp;
                std::cout << std::setw(12) << b.out << "\n";
            }
            if (!o->out.empty())
                writeText(o->out, j.dump(2) + "\n");
            if (!o->csv.empty())
                writeText(o->csv, profileCsv(profile));
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
