// train and dilute: supervised training from a preset or model, and dilution learning with the
// fold into MLP-only blocks; plus fold and export for files made elsewhere.
#include "app/cli/cli_support.h"
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "core/analysis/selection_methods.h"
#include "core/data/batch_loader.h"
#include "core/device.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/model_io.h"
#include "core/json_file.h"
#include "core/model/attention_kernel.h"
#include "core/run/run_dilution.h"
#include "core/train/distributed.h"
#include "core/train/evaluate.h"
#include "core/train/trainer.h"
#include "core/train/training_data.h"
#include "core/train/training_log.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>

namespace mlpify::app {

namespace {

// The options of `train` and `dilute`. The settings a run shares with the trainer are bound to a
// core::DilutionRun (dilute's own run; train's holds the trainer's defaults), so the trainer's
// options come from core::trainOptionsFor, as in the window; `extra` holds the trainer's own.
struct TrainArgs {
    core::DilutionRun run;
    core::TrainOptions extra; // min-lr, weight decay, label smoothing, clip, evaluation limit, checkpoint steps
    std::string checkpoint, jsonLog;
    bool resume = false, noAugment = false, distributed = false;
    bool writer = true;   // this process writes logs and results (rank 0, or not distributed)
    core::TrainOptions t; // the trainer's options (after finalise)

    void add(CLI::App* cmd)
    {
        cmd->add_option("--data", run.data, "training data spec, e.g. fashion-mnist")->required();
        cmd->add_option("--out", run.out, "where to write the result (.mlpify; .pth exports timm layout)")->required();
        cmd->add_option("--epochs", run.epochs)->capture_default_str()->check(inRange(1, 100000));
        cmd->add_option("--batch", run.batch)->capture_default_str()->check(inRange(1, 65536));
        cmd->add_option("--lr", run.lr, "peak learning rate")->capture_default_str()->check(inRange(1e-12, 10.0));
        cmd->add_option("--min-lr", extra.minLr)->capture_default_str()->check(inRange(0.0, 10.0));
        cmd->add_option("--weight-decay", extra.weightDecay)->capture_default_str()->check(inRange(0.0, 10.0));
        cmd->add_option("--warmup-epochs", run.warmupEpochs)->capture_default_str()->check(inRange(0.0, 100000.0));
        cmd->add_option("--label-smoothing", extra.labelSmoothing)->capture_default_str()->check(inRange(0.0, 0.999));
        cmd->add_option("--clip-grad", extra.clipNorm, "gradient norm clip (0 = off)")
            ->capture_default_str()
            ->check(inRange(0.0, 1e9));
        cmd->add_flag("--no-augment", noAugment, "no random resized crops (folders) or shifts, and no flips");
        cmd->add_flag("--new-head", run.newHead,
                      "a new classifier for the data's classes (normal, std 0.02, as timm and DeiT); "
                      "without it, data with another number of classes than the head is refused");
        cmd->add_option("--input-size", run.inputSize,
                        "train at this input size: the position embedding resampled (bicubic over the patch grid)")
            ->check(inRange(1, 100000));
        cmd->add_option("--seed", run.seed)->capture_default_str();
        cmd->add_option("--train-limit", run.trainLimit, "use a seeded subset of N training images")
            ->check(inRange(0, 1e12));
        cmd->add_option("--eval-limit", extra.evalLimit, "evaluate on the first N test images")
            ->check(inRange(0, 1e12));
        cmd->add_option("--checkpoint", checkpoint, "checkpoint file (default OUT.ckpt)");
        cmd->add_option("--checkpoint-every", extra.checkpointEvery, "steps between checkpoints (0 = per epoch)")
            ->check(inRange(0, 1e12));
        cmd->add_flag("--resume", resume, "continue from --checkpoint");
        cmd->add_flag("--bf16", run.bf16,
                      "bfloat16 autocast for the training steps (as torch.autocast; fast on GPUs and CPUs with "
                      "bf16 units); evaluation stays float32");
        cmd->add_option("--json-log", jsonLog, "append one JSON line per step and per epoch");
        cmd->add_flag("--distributed", distributed,
                      "data-parallel over processes (c10d/Gloo): RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, or "
                      "Slurm / Open MPI variables; --batch is per process");
    }

    void finalise(const GlobalOptions& g)
    {
        run.augment = !noAugment;
        run.device = g.device;
        t = core::trainOptionsFor(run, extra);
        if (!checkpoint.empty())
            t.checkpoint = checkpoint;
    }

    // The trainer's own options as given, for the provenance beside the run's command line.
    std::string extraArgs(const CLI::App* cmd) const
    {
        std::string words;
        for (const char* name : {"--min-lr", "--weight-decay", "--label-smoothing", "--clip-grad", "--eval-limit",
                                 "--checkpoint", "--checkpoint-every", "--json-log"})
            if (cmd->count(name) > 0)
                words += std::string(" ") + name + " " + cmd->get_option(name)->as<std::string>();
        for (const char* flag : {"--distributed", "--no-fold"})
            if (cmd->get_option_no_throw(flag) && cmd->count(flag) > 0)
                words += std::string(" ") + flag;
        return words;
    }

    // Before any work: a run of hours must not end on an output it cannot write, and never
    // writes over the model it started from (a resumed run rewrites its own checkpoint).
    void checkFiles(const std::string& start) const
    {
        core::checkOutputPaths({run.out, t.checkpoint, t.checkpoint + ".state", jsonLog}, {start});
    }
};

// What a training process keeps around its run: the communicator (--distributed), the JSON log,
// the terminal progress and the per-step and per-epoch output.
class TrainingSession {
public:
    explicit TrainingSession(TrainArgs& a) : m_args(a)
    {
        if (a.distributed) {
            const auto env = core::distributedEnvFromEnvironment();
            m_comm = core::Communicator::connect(env, core::resolveDevice(a.t.device));
            a.t.comm = m_comm.get();
            a.writer = env.rank == 0;
            if (a.writer)
                std::cout << "distributed: " << env.worldSize << " ranks (" << env.source << "), " << m_comm->backend()
                          << ", global batch " << a.t.batchSize * env.worldSize << std::endl;
        }
        if (!a.jsonLog.empty() && a.writer) {
            m_log.open(a.jsonLog, std::ios::app);
            if (!m_log)
                throw core::Error(a.jsonLog, "cannot open for writing");
        }
        if (a.writer)
            std::cout << "device " << core::resolveDevice(a.t.device).str() << ", "
                      << (a.t.bf16 ? "bf16 autocast for the training steps (evaluation in float32)" : "float32")
                      << ", attention " << core::attentionKernelName(core::attentionKernel()) << "\n";
        m_progress = std::make_unique<TerminalProgress>(a.writer);
    }

    core::Progress& progress() { return *m_progress; }

    core::TrainCallbacks callbacks()
    {
        core::TrainCallbacks cb;
        cb.onStep = [this](const core::StepStats& s) {
            if (m_log) // flushed: the GUI follows the file live
                m_log << core::logLine(s, m_comm != nullptr).dump() << std::endl;
        };
        cb.onEpoch = [this](const core::EpochStats& e) {
            m_progress->finish();
            if (!m_args.writer)
                return;
            std::cout << std::fixed << std::setprecision(4) << "epoch " << e.epoch << "  loss " << e.trainLoss
                      << "  train top-1 " << std::setprecision(2) << 100 * e.trainTop1 << "%  test top-1 "
                      << 100 * e.testTop1 << "% (at lambda " << std::setprecision(3) << e.lambda << ")  lr "
                      << std::setprecision(6) << e.lr << "  " << std::setprecision(0) << e.seconds << " s" << std::endl;
            if (m_log)
                m_log << core::logLine(e).dump() << std::endl;
        };
        return cb;
    }

    // false when interrupted (the checkpoint is written; said here).
    bool end(const core::TrainResult& result)
    {
        m_progress->finish();
        if (m_comm && !result.cancelled)
            m_comm->barrier(); // rank 0 (the store's server) leaves last
        if (result.cancelled) {
            std::cerr << "mlpify: interrupted at step " << result.steps << "; resume with --resume (checkpoint "
                      << m_args.t.checkpoint << ")\n";
            return false;
        }
        return true;
    }

private:
    TrainArgs& m_args;
    std::unique_ptr<core::Communicator> m_comm;
    std::ofstream m_log;
    std::unique_ptr<TerminalProgress> m_progress;
};

} // namespace

std::vector<int64_t> parseBlocks(const std::string& list, int64_t depth, const std::string& flag)
{
    std::vector<int64_t> out;
    std::stringstream s(list);
    for (std::string item; std::getline(s, item, ',');) {
        size_t used = 0;
        try {
            out.push_back(std::stoll(item, &used));
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size())
            throw core::Error(flag + " " + list, "expected block indices like 0,1,3");
        if (out.back() < 0 || out.back() >= depth)
            throw core::Error(flag + " " + list, "block " + item + " does not exist (the model has blocks 0 to " +
                                                     std::to_string(depth - 1) + ")");
    }
    return out;
}

void addTrainCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    auto a = std::make_shared<TrainArgs>();
    const core::TrainOptions defaults; // train's defaults are the trainer's
    a->run.epochs = defaults.epochs;
    a->run.batch = defaults.batchSize;
    a->run.lr = defaults.lr;
    a->run.warmupEpochs = defaults.warmupEpochs;
    a->run.seed = defaults.seed;
    auto model = std::make_shared<std::string>("preset:micro");
    auto* cmd = app.add_subcommand("train", "supervised training (baseline), from a preset or a model file");
    cmd->add_option("--model", *model, "starting point: preset:NAME or a model file")->capture_default_str();
    a->add(cmd);
    cmd->callback([a, model, &g, runner, cmd] {
        *runner = [a, model, &g, cmd] {
            a->finalise(g);
            a->checkFiles(a->resume ? "" : *model);
            TrainingSession session(*a);
            auto m = core::loadModel(a->resume ? a->t.checkpoint : *model);
            const core::DataFit fit{a->run.data, a->run.inputSize, a->run.newHead, a->resume};
            auto data = core::prepareTrainingData(m, fit, session.progress());
            core::fitHead(m, fit, data.train, session.progress());
            if (!a->resume) {
                m.meta.training["command"] = "mlpify train " + cmd->config_to_str(true, false);
                m.meta.training["start"] = *model;
            }
            const auto result = core::trainSupervised(m, data.train, &data.test, a->t, session.progress(),
                                                      interruptToken(), session.callbacks(), a->resume);
            if (!session.end(result))
                return 130;
            if (!a->writer)
                return 0; // rank 0 writes the result
            core::saveByExtension(m, a->run.out);
            std::cout << "wrote " << a->run.out << "\n";
            return 0;
        };
    });
}

namespace {
// dilute's own options; the rest are TrainArgs', bound to the same run.
struct DiluteArgs {
    std::string remove;
    std::string removeMlp;
    bool noFold = false;

    void add(CLI::App* cmd, TrainArgs& a)
    {
        auto& run = a.run; // the CLI's defaults are the run's (core/train/dilution_run.h)
        cmd->add_option("MODEL", run.model, "model file or 'default'")->required();
        a.add(cmd);
        cmd->add_option("--remove", remove, "blocks to remove, e.g. 0,1,3");
        cmd->add_option(
            "--remove-mlp", removeMlp,
            "blocks whose MLP to remove by the same dilution, e.g. 9,10 (with --remove too: a block in both "
            "goes whole; resources/docs/units.md)");
        cmd->add_option("--ratio", run.ratio, "or: remove this fraction of attention layers, chosen by --method")
            ->check(inRange(0.0, 1.0));
        cmd->add_option("--method", run.method, core::selectionMethodList(" | ") + " (with --ratio)")
            ->capture_default_str()
            ->check(CLI::IsMember(core::selectionMethods()));
        cmd->add_option("--select-images", run.selectImages,
                        "calibration images for the selection (training split, seed 0)")
            ->capture_default_str()
            ->check(inRange(1, 1e12));
        cmd->add_option("--random-seed", run.randomSeed, "seed for --method random")->capture_default_str();
        cmd->add_option("--dilution-epochs", run.dilutionEpochs,
                        "epochs over which lambda falls to 0 (default " + core::defaultDilutionEpochsText() + ")")
            ->check(inRange(0.0, 100000.0));
        cmd->add_option("--schedule", run.schedule, joined(core::lambdaScheduleNames(), " | "))
            ->capture_default_str()
            ->check(CLI::IsMember(core::lambdaScheduleNames()));
        cmd->add_flag("--distill", run.distill, "soft targets from the original model");
        cmd->add_flag("--no-fold", noFold, "keep diluted blocks as they are at the end");
    }

    // The run the arguments describe (after TrainArgs::finalise); the block list is read for its
    // form here, and checked against the model by core.
    core::DilutionRun finalRun(const TrainArgs& a) const
    {
        auto r = a.run;
        r.remove.clear();
        if (!remove.empty() && r.ratio > 0)
            throw core::Error("dilute", "give one of --remove and --ratio, not both");
        if (!remove.empty())
            r.remove = parseBlocks(remove, std::numeric_limits<int64_t>::max());
        if (!removeMlp.empty())
            r.removeMlp = parseBlocks(removeMlp, std::numeric_limits<int64_t>::max(), "--remove-mlp");
        return r;
    }
};

void addDilute(CLI::App& app, TrainArgs& a, DiluteArgs& o)
{
    auto* cmd = app.add_subcommand("dilute", "dilution learning: fade the chosen attention layers, then fold them");
    o.add(cmd, a);
}
} // namespace

core::DilutionRun diluteRunFromArgs(const std::vector<std::string>& args)
{
    CLI::App app;
    app.fallthrough();
    GlobalOptions g;
    app.add_option("--threads", g.threads);
    app.add_option("--device", g.device);
    TrainArgs a;
    DiluteArgs o;
    addDilute(app, a, o);
    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 takes them last first
    app.parse(reversed);
    a.finalise(g);
    return o.finalRun(a);
}

void addDiluteCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    auto o = std::make_shared<DiluteArgs>();
    auto a = std::make_shared<TrainArgs>();
    addDilute(app, *a, *o);
    auto* cmd = app.get_subcommand("dilute");
    cmd->callback([o, a, &g, runner, cmd] {
        *runner = [o, a, &g, cmd] {
            a->finalise(g);
            const auto run = o->finalRun(*a);
            a->checkFiles(a->resume ? "" : run.model);
            core::checkDilutionRun(run, a->resume); // before any connection or file is read
            TrainingSession session(*a);
            core::DilutionExecution how;
            how.train = a->t;
            how.resume = a->resume;
            how.fold = !o->noFold;
            how.write = a->writer;
            how.command = core::commandLine(run) + a->extraArgs(cmd);
            const auto outcome = core::runDilution(run, how, session.progress(), interruptToken(), session.callbacks());
            if (!session.end(outcome.training))
                return 130;
            if (!outcome.written)
                return 0; // rank 0 writes the result
            if (!o->noFold) {
                std::cout << "folded " << outcome.folded.size()
                          << (outcome.folded.size() == 1 ? " block:" : " blocks:");
                for (auto b : outcome.folded)
                    std::cout << (b == outcome.folded.front() ? " " : ", ") << b << " "
                              << core::describe(outcome.modes[static_cast<size_t>(b)]);
                std::cout << "\n";
            }
            std::cout << "wrote " << run.out << " (" << outcome.parameters << " parameters)\n";
            return 0;
        };
    });
}

void addFoldCommand(CLI::App& app, const GlobalOptions&, Runner* runner)
{
    auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("fold", "turn blocks diluted to lambda 0 into MLP-only blocks");
    cmd->add_option("IN", *in, "model at lambda 0")->required();
    cmd->add_option("OUT", *out, "output (.mlpify or .pth)")->required();
    cmd->callback([in, out, runner] {
        *runner = [in, out] {
            core::checkOutputPath(*out, {*in});
            auto m = core::loadModel(*in);
            auto folded = core::foldDiluted(m);
            core::saveByExtension(m, *out);
            std::cout << "folded " << folded.size() << (folded.size() == 1 ? " block" : " blocks");
            for (auto b : folded)
                std::cout << (b == folded.front() ? ": " : ", ") << b << " "
                          << core::describe(m.net->blockModes()[static_cast<size_t>(b)]);
            std::cout << "; wrote " << *out << "\n";
            return 0;
        };
    });
}

void addExportCommand(CLI::App& app, const GlobalOptions&, Runner* runner)
{
    auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("export", "write a timm-layout .pth (plus OUT.json listing MLP-only blocks)");
    cmd->add_option("IN", *in, "model")->required();
    cmd->add_option("OUT", *out, "output .pth")->required();
    cmd->callback([in, out, runner] {
        *runner = [in, out] {
            core::checkOutputPaths({*out, *out + ".json"}, {*in});
            auto m = core::loadModel(*in);
            core::exportTimm(m, *out);
            std::cout << "wrote " << *out << "\n";
            return 0;
        };
    });
}

} // namespace mlpify::app
