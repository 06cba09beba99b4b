// train and dilute: supervised training from a preset or model, and dilution learning with the
// fold into MLP-only blocks; plus fold and export for files made elsewhere.
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "core/analysis/selection.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/json_file.h"
#include "core/io/model_io.h"
#include "core/train/dilution.h"
#include "core/train/distributed.h"
#include "core/train/evaluate.h"
#include "core/train/trainer.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace mlpify::app {

namespace {

struct TrainArgs {
    std::string data, out, checkpoint, jsonLog;
    bool resume = false, noAugment = false, distributed = false;
    bool writer = true; // this process writes logs and results (rank 0, or not distributed)
    core::TrainOptions t;

    void add(CLI::App* cmd)
    {
        cmd->add_option("--data", data, "training data spec, e.g. fashion-mnist")->required();
        cmd->add_option("--out", out, "where to write the result (.mlpify; .pth exports timm layout)")->required();
        cmd->add_option("--epochs", t.epochs)->capture_default_str()->check(inRange(1, 100000));
        cmd->add_option("--batch", t.batchSize)->capture_default_str()->check(inRange(1, 65536));
        cmd->add_option("--lr", t.lr, "peak learning rate")->capture_default_str()->check(inRange(1e-12, 10.0));
        cmd->add_option("--min-lr", t.minLr)->capture_default_str()->check(inRange(0.0, 10.0));
        cmd->add_option("--weight-decay", t.weightDecay)->capture_default_str()->check(inRange(0.0, 10.0));
        cmd->add_option("--warmup-epochs", t.warmupEpochs)->capture_default_str()->check(inRange(0.0, 100000.0));
        cmd->add_option("--label-smoothing", t.labelSmoothing)->capture_default_str()->check(inRange(0.0, 0.999));
        cmd->add_option("--clip-grad", t.clipNorm, "gradient norm clip (0 = off)")
            ->capture_default_str()
            ->check(inRange(0.0, 1e9));
        cmd->add_flag("--no-augment", noAugment, "no random shifts and flips");
        cmd->add_option("--seed", t.seed)->capture_default_str();
        cmd->add_option("--train-limit", t.trainLimit, "use a seeded subset of N training images")
            ->check(inRange(0, 1e12));
        cmd->add_option("--eval-limit", t.evalLimit, "evaluate on the first N test images")->check(inRange(0, 1e12));
        cmd->add_option("--checkpoint", checkpoint, "checkpoint file (default OUT.ckpt)");
        cmd->add_option("--checkpoint-every", t.checkpointEvery, "steps between checkpoints (0 = per epoch)")
            ->check(inRange(0, 1e12));
        cmd->add_flag("--resume", resume, "continue from --checkpoint");
        cmd->add_option("--json-log", jsonLog, "append one JSON line per step and per epoch");
        cmd->add_flag("--distributed", distributed,
                      "data-parallel over processes (c10d/Gloo): RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, or "
                      "Slurm / Open MPI variables; --batch is per process");
    }

    void finalise(const GlobalOptions& g)
    {
        t.augment = !noAugment;
        t.device = g.device;
        t.checkpoint = checkpoint.empty() ? out + ".ckpt" : checkpoint;
    }

    // Before any work: a run of hours must not end on an output it cannot write, and never
    // writes over the model it started from (a resumed run rewrites its own checkpoint).
    void checkFiles(const std::string& start) const
    {
        core::checkOutputPaths({out, t.checkpoint, t.checkpoint + ".state", jsonLog}, {start});
    }
};

// Runs training (dilution when d is given) with terminal progress and the JSON log; returns
// false when interrupted (a checkpoint was written).
bool runTraining(core::ModelBundle& model, TrainArgs& a, const core::DilutionOptions* d)
{
    auto train = core::loadDataset(a.data, core::Split::Train, core::DataOptions().size(model.meta.config.imageSize));
    auto test = core::loadDataset(a.data, core::Split::Test, core::DataOptions().size(model.meta.config.imageSize));
    if (!a.resume)
        model.meta.classNames = train.classNames;
    std::unique_ptr<core::Communicator> comm;
    if (a.distributed) {
        const auto env = core::distributedEnvFromEnvironment();
        comm = core::Communicator::connect(env, core::resolveDevice(a.t.device));
        a.t.comm = comm.get();
        a.writer = env.rank == 0;
        if (a.writer)
            std::cout << "distributed: " << env.worldSize << " ranks (" << env.source << "), " << comm->backend()
                      << ", global batch " << a.t.batchSize * env.worldSize << std::endl;
    }
    std::ofstream log;
    if (!a.jsonLog.empty() && a.writer) {
        log.open(a.jsonLog, std::ios::app);
        if (!log)
            throw core::Error(a.jsonLog, "cannot open for writing");
    }
    TerminalProgress progress(a.writer);
    core::TrainCallbacks cb;
    cb.onStep = [&](const core::StepStats& s) {
        if (log) {
            nlohmann::json line{{"step", s.step},
                                {"total_steps", s.totalSteps},
                                {"epoch", s.epoch},
                                {"loss", s.loss},
                                {"lr", s.lr},
                                {"lambda", s.lambda},
                                {"images_per_s", s.imagesPerSecond}};
            if (comm)
                line["comm_s"] = s.commSeconds;
            log << line.dump() << std::endl; // flushed: the GUI and plots follow the file live
        }
    };
    cb.onEpoch = [&](const core::EpochStats& e) {
        progress.finish();
        if (!a.writer)
            return;
        std::cout << std::fixed << std::setprecision(4) << "epoch " << e.epoch << "  loss " << e.trainLoss
                  << "  train top-1 " << std::setprecision(2) << 100 * e.trainTop1 << "%  test top-1 "
                  << 100 * e.testTop1 << "% (at lambda " << std::setprecision(3) << e.lambda << ")  lr "
                  << std::setprecision(6) << e.lr << "  " << std::setprecision(0) << e.seconds << " s" << std::endl;
        if (log)
            log << nlohmann::json{{"epoch_end", e.epoch},
                                  {"train_loss", e.trainLoss},
                                  {"train_top1", e.trainTop1},
                                  {"test_top1", e.testTop1},
                                  {"lambda", e.lambda}}
                       .dump()
                << std::endl;
    };
    auto result = d ? core::dilute(model, train, &test, a.t, *d, progress, interruptToken(), cb, a.resume)
                    : core::trainSupervised(model, train, &test, a.t, progress, interruptToken(), cb, a.resume);
    progress.finish();
    if (comm && !result.cancelled)
        comm->barrier(); // rank 0 (the store's server) leaves last
    if (result.cancelled) {
        std::cerr << "mlpify: interrupted at step " << result.steps << "; resume with --resume (checkpoint "
                  << a.t.checkpoint << ")\n";
        return false;
    }
    return true;
}

} // namespace

std::vector<int64_t> parseBlocks(const std::string& list, int64_t depth)
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
            throw core::Error("--remove " + list, "expected block indices like 0,1,3");
        if (out.back() < 0 || out.back() >= depth)
            throw core::Error("--remove " + list, "block " + item + " does not exist (the model has blocks 0 to " +
                                                      std::to_string(depth - 1) + ")");
    }
    return out;
}

void addTrainCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    auto a = std::make_shared<TrainArgs>();
    auto model = std::make_shared<std::string>("preset:micro");
    auto* cmd = app.add_subcommand("train", "supervised training (baseline), from a preset or a model file");
    cmd->add_option("--model", *model, "starting point: preset:NAME or a model file")->capture_default_str();
    a->add(cmd);
    cmd->callback([a, model, &g, runner, cmd] {
        *runner = [a, model, &g, cmd] {
            a->finalise(g);
            a->checkFiles(a->resume ? "" : *model);
            auto m = core::loadModel(a->resume ? a->t.checkpoint : *model);
            if (!a->resume) {
                m.meta.training["command"] = "mlpify train " + cmd->config_to_str(true, false);
                m.meta.training["start"] = *model;
            }
            if (!runTraining(m, *a, nullptr))
                return 130;
            if (!a->writer)
                return 0; // rank 0 writes the result
            core::saveByExtension(m, a->out);
            std::cout << "wrote " << a->out << "\n";
            return 0;
        };
    });
}

void addDiluteCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string model, remove, method = "nose", schedule = "linear";
        double ratio = 0, dilutionEpochs = -1;
        int64_t images = 1000;
        bool distill = false, noFold = false;
    };
    auto o = std::make_shared<Opts>();
    auto a = std::make_shared<TrainArgs>();
    a->t.epochs = 5;
    a->t.lr = 5e-4;
    a->t.warmupEpochs = 0.5;
    auto* cmd = app.add_subcommand("dilute", "dilution learning: fade the chosen attention layers, then fold them");
    cmd->add_option("MODEL", o->model, "model file or 'default'")->required();
    a->add(cmd);
    cmd->add_option("--remove", o->remove, "blocks to remove, e.g. 0,1,3");
    cmd->add_option("--ratio", o->ratio, "or: remove this fraction of attention layers, chosen by --method")
        ->check(inRange(0.0, 1.0));
    cmd->add_option("--method", o->method, "nose | first | random | entropy (with --ratio)")
        ->capture_default_str()
        ->check(CLI::IsMember({"nose", "first", "random", "entropy"}));
    cmd->add_option("--select-images", o->images, "calibration images for the selection")
        ->capture_default_str()
        ->check(inRange(1, 1e12));
    cmd->add_option("--dilution-epochs", o->dilutionEpochs, "epochs over which lambda falls to 0 (default 80%)")
        ->check(inRange(0.0, 100000.0));
    cmd->add_option("--schedule", o->schedule, "linear | cosine")
        ->capture_default_str()
        ->check(CLI::IsMember({"linear", "cosine"}));
    cmd->add_flag("--distill", o->distill, "soft targets from the original model");
    cmd->add_flag("--no-fold", o->noFold, "keep diluted blocks as they are at the end");
    cmd->callback([o, a, &g, runner, cmd] {
        *runner = [o, a, &g, cmd] {
            a->finalise(g);
            a->checkFiles(a->resume ? "" : o->model);
            auto m = core::loadModel(a->resume ? a->t.checkpoint : o->model);
            core::DilutionOptions d;
            if (!o->remove.empty() == (o->ratio > 0))
                throw core::Error("dilute", "give exactly one of --remove and --ratio");
            if (!o->remove.empty()) {
                d.blocks = parseBlocks(o->remove, m.meta.config.depth);
            } else if (a->resume) {
                d.blocks = core::jsonIntegers(m.meta.training.at("dilution").at("blocks"));
            } else {
                const auto k = core::countForRatio(m, o->ratio);
                core::FunctionProgress quiet;
                if (o->method == "first")
                    d.blocks = core::selectFirst(m, k).selected;
                else if (o->method == "random")
                    d.blocks = core::selectRandom(m, k, a->t.seed).selected;
                else {
                    auto calib = core::loadCalibrationSet(a->data, m.meta.config, {o->images, a->t.seed, "train"});
                    core::TeOptions to;
                    to.device = g.device;
                    TerminalProgress progress;
                    if (o->method == "nose")
                        d.blocks = core::selectNose(m, calib, k, to, progress, &interruptToken()).selected;
                    else if (o->method == "entropy") {
                        core::ProfileOptions po;
                        po.device = g.device;
                        d.blocks = core::selectLowestEntropy(core::profileEntropy(m, calib, po, progress), k).selected;
                    } else
                        throw core::Error("--method " + o->method, "unknown (nose, first, random, entropy)");
                }
                std::cout << o->method << " selected blocks";
                for (auto b : d.blocks)
                    std::cout << " " << b;
                std::cout << "\n";
            }
            d.dilutionEpochs = o->dilutionEpochs >= 0 ? o->dilutionEpochs : 0.8 * static_cast<double>(a->t.epochs);
            d.schedule = o->schedule == "cosine" ? core::LambdaSchedule::Cosine : core::LambdaSchedule::Linear;
            std::unique_ptr<core::ModelBundle> teacher;
            if (o->distill) {
                teacher = std::make_unique<core::ModelBundle>(core::loadModel(o->model));
                a->t.teacher = teacher.get();
            }
            if (!a->resume)
                m.meta.training["command"] = "mlpify dilute " + cmd->config_to_str(true, false);
            if (!runTraining(m, *a, &d))
                return 130;
            if (!a->writer)
                return 0; // rank 0 writes the result
            if (!o->noFold) {
                auto folded = core::foldDiluted(m);
                std::cout << "folded " << folded.size() << " blocks into MLP-only blocks\n";
            }
            core::saveByExtension(m, a->out);
            std::cout << "wrote " << a->out << " (" << m.net->parameterCount() << " parameters)\n";
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
            std::cout << "folded " << folded.size() << " blocks; wrote " << *out << "\n";
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
