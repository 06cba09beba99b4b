// train and dilute: supervised training from a preset or model, and dilution learning with the
// fold into MLP-only blocks; plus fold and export for files made elsewhere.
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "core/analysis/selection.h"
#include "core/data/batch_loader.h"
#include "core/device.h"
#include "core/model/attention_kernel.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/json_file.h"
#include "core/io/model_io.h"
#include "core/model/adapt.h"
#include "core/train/dilution.h"
#include "core/train/distributed.h"
#include "core/train/evaluate.h"
#include "core/train/trainer.h"
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

struct TrainArgs {
    std::string data, out, checkpoint, jsonLog;
    bool resume = false, noAugment = false, distributed = false, newHead = false;
    int64_t inputSize = 0;
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
        cmd->add_flag("--no-augment", noAugment, "no random resized crops (folders) or shifts, and no flips");
        cmd->add_flag("--new-head", newHead,
                      "a new classifier for the data's classes (normal, std 0.02, as timm and DeiT); "
                      "without it, data with another number of classes than the head is refused");
        cmd->add_option("--input-size", inputSize,
                        "train at this input size: the position embedding resampled (bicubic over the patch grid)")
            ->check(inRange(1, 100000));
        cmd->add_option("--seed", t.seed)->capture_default_str();
        cmd->add_option("--train-limit", t.trainLimit, "use a seeded subset of N training images")
            ->check(inRange(0, 1e12));
        cmd->add_option("--eval-limit", t.evalLimit, "evaluate on the first N test images")->check(inRange(0, 1e12));
        cmd->add_option("--checkpoint", checkpoint, "checkpoint file (default OUT.ckpt)");
        cmd->add_option("--checkpoint-every", t.checkpointEvery, "steps between checkpoints (0 = per epoch)")
            ->check(inRange(0, 1e12));
        cmd->add_flag("--resume", resume, "continue from --checkpoint");
        cmd->add_flag("--bf16", t.bf16,
                      "bfloat16 autocast for the training steps (as torch.autocast; fast on GPUs and CPUs with "
                      "bf16 units); evaluation stays float32");
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

struct TrainingData {
    core::Dataset train, test;
};

// The model fitted to the data before any training (a fresh run only; a resumed one has it):
// --input-size resamples the position embedding; the data is loaded at the model's size and
// resized where its images differ (said here); a head without the data's classes is refused
// unless --new-head, which runNewHead then gives it.
TrainingData prepareTraining(core::ModelBundle& model, const TrainArgs& a)
{
    if (!a.resume && a.inputSize > 0 && a.inputSize != model.meta.config.imageSize) {
        const auto before = model.meta.config.imageSize;
        core::setInputSize(model, a.inputSize);
        std::cout << "input size " << before << " -> " << a.inputSize
                  << ": position embedding resampled bicubically over the patch grid\n";
    }
    const auto size = core::DataOptions().size(model.meta.config.imageSize);
    TrainingData d{core::loadDataset(a.data, core::Split::Train, size),
                   core::loadDataset(a.data, core::Split::Test, size)};
    core::checkCompatible(d.train, model.meta.config);
    if (const auto resize = core::inputResize(d.train, model.meta.config); !resize.empty())
        std::cout << "data: " << a.data << ", " << resize << "\n";
    if (!a.resume && !a.newHead)
        core::checkClasses(d.train, model.meta.config);
    return d;
}

void runNewHead(core::ModelBundle& model, const TrainArgs& a, const core::Dataset& train)
{
    if (a.resume || !a.newHead)
        return;
    const auto before = model.meta.config.numClasses;
    core::replaceHead(model, core::classCount(train), train.classNames);
    std::cout << "new head: " << model.meta.config.numClasses << " classes (was " << before << ")"
              << (model.meta.config.hasDistHead() ? ", both heads" : "") << "\n";
}

// Runs training (dilution when d is given) with terminal progress and the JSON log; returns
// false when interrupted (a checkpoint was written).
bool runTraining(core::ModelBundle& model, TrainArgs& a, const core::DilutionOptions* d, TrainingData& data)
{
    auto& train = data.train;
    auto& test = data.test;
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
    if (a.writer)
        std::cout << "device " << core::resolveDevice(a.t.device).str() << ", "
                  << (a.t.bf16 ? "bf16 autocast for the training steps (evaluation in float32)" : "float32")
                  << ", attention " << core::attentionKernelName(core::attentionKernel()) << "\n";
    TerminalProgress progress(a.writer);
    core::TrainCallbacks cb;
    cb.onStep = [&](const core::StepStats& s) {
        if (log)
            log << core::logLine(s, comm != nullptr).dump() << std::endl; // flushed: the GUI follows the file live
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
            log << core::logLine(e).dump() << std::endl;
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
            auto data = prepareTraining(m, *a);
            runNewHead(m, *a, data.train);
            if (!a->resume) {
                m.meta.training["command"] = "mlpify train " + cmd->config_to_str(true, false);
                m.meta.training["start"] = *model;
            }
            if (!runTraining(m, *a, nullptr, data))
                return 130;
            if (!a->writer)
                return 0; // rank 0 writes the result
            core::saveByExtension(m, a->out);
            std::cout << "wrote " << a->out << "\n";
            return 0;
        };
    });
}

namespace {
struct DiluteArgs {
    core::DilutionRun run; // the run's own fields; TrainArgs holds the trainer's
    std::string remove;
    double dilutionEpochs = -1;
    bool noFold = false;

    void add(CLI::App* cmd, TrainArgs& a)
    {
        // The CLI's defaults are the run's (core/train/dilution_run.h).
        a.t.epochs = run.epochs;
        a.t.batchSize = run.batch;
        a.t.lr = run.lr;
        a.t.warmupEpochs = run.warmupEpochs;
        a.t.seed = run.seed;
        cmd->add_option("MODEL", run.model, "model file or 'default'")->required();
        a.add(cmd);
        cmd->add_option("--remove", remove, "blocks to remove, e.g. 0,1,3");
        cmd->add_option("--ratio", run.ratio, "or: remove this fraction of attention layers, chosen by --method")
            ->check(inRange(0.0, 1.0));
        cmd->add_option("--method", run.method,
                        "nose | exhaustive | single-te | first | random | entropy (with --ratio)")
            ->capture_default_str()
            ->check(CLI::IsMember(core::selectionMethods()));
        cmd->add_option("--select-images", run.selectImages,
                        "calibration images for the selection (training split, seed 0)")
            ->capture_default_str()
            ->check(inRange(1, 1e12));
        cmd->add_option("--random-seed", run.randomSeed, "seed for --method random")->capture_default_str();
        cmd->add_option("--dilution-epochs", dilutionEpochs, "epochs over which lambda falls to 0 (default 80%)")
            ->check(inRange(0.0, 100000.0));
        cmd->add_option("--schedule", run.schedule, "linear | cosine")
            ->capture_default_str()
            ->check(CLI::IsMember({"linear", "cosine"}));
        cmd->add_flag("--distill", run.distill, "soft targets from the original model");
        cmd->add_flag("--no-fold", noFold, "keep diluted blocks as they are at the end");
    }

    // The run the arguments describe (after TrainArgs::finalise).
    core::DilutionRun finalRun(const TrainArgs& a, const core::ModelBundle* model) const
    {
        auto r = run;
        r.data = a.data;
        r.out = a.out;
        r.epochs = a.t.epochs;
        r.batch = a.t.batchSize;
        r.lr = a.t.lr;
        r.warmupEpochs = a.t.warmupEpochs;
        r.trainLimit = a.t.trainLimit;
        r.augment = a.t.augment;
        r.device = a.t.device;
        r.bf16 = a.t.bf16;
        r.seed = a.t.seed;
        r.dilutionEpochs = dilutionEpochs;
        r.newHead = a.newHead;
        r.inputSize = a.inputSize;
        r.remove.clear();
        if (!remove.empty()) {
            r.remove = parseBlocks(remove, model ? model->meta.config.depth : std::numeric_limits<int64_t>::max());
            r.ratio = 0;
        }
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
    return o.finalRun(a, nullptr);
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
            a->checkFiles(a->resume ? "" : o->run.model);
            auto m = core::loadModel(a->resume ? a->t.checkpoint : o->run.model);
            if (!o->remove.empty() == (o->run.ratio > 0))
                throw core::Error("dilute", "give exactly one of --remove and --ratio");
            const auto run = o->finalRun(*a, &m);
            if (run.distill && run.newHead)
                throw core::Error("--distill", "the teacher is the original model with its own head; it cannot be "
                                               "combined with --new-head");
            auto data = prepareTraining(m, *a); // refuses a head without the data's classes before any work
            std::vector<int64_t> blocks = run.remove;
            if (blocks.empty() && a->resume) {
                blocks = core::jsonIntegers(m.meta.training.at("dilution").at("blocks"));
            } else if (blocks.empty()) {
                TerminalProgress progress;
                blocks = core::chooseLayers(m, run, progress, &interruptToken()).selected;
                progress.finish();
                std::cout << run.method << " selected blocks";
                for (auto b : blocks)
                    std::cout << " " << b;
                std::cout << "\n";
            }
            runNewHead(m, *a, data.train); // after the selection, which reads the pretrained head's logits
            const auto d = core::dilutionOptionsFor(run, blocks);
            std::unique_ptr<core::ModelBundle> teacher;
            if (run.distill) {
                teacher = std::make_unique<core::ModelBundle>(core::loadModel(run.model));
                a->t.teacher = teacher.get();
            }
            if (!a->resume) {
                m.meta.training["command"] = "mlpify dilute " + cmd->config_to_str(true, false);
                m.meta.training["run"] = run;
            }
            if (!runTraining(m, *a, &d, data))
                return 130;
            if (!a->writer)
                return 0; // rank 0 writes the result
            if (o->noFold)
                core::saveByExtension(m, a->out);
            else // the trained model is written also when the fold cannot happen (core/train/dilution.h)
                std::cout << "folded " << core::foldAndSave(m, a->out).size() << " blocks into MLP-only blocks\n";
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
