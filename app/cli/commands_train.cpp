// train: plain supervised training from a preset or an existing model.
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/model_io.h"
#include "core/train/trainer.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

namespace mlpify::app {

void addTrainCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string model = "preset:micro", data, out, checkpoint, jsonLog;
        bool resume = false, noAugment = false;
        core::TrainOptions t;
        std::string commandLine;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("train", "supervised training (baseline), from a preset or a model file");
    cmd->add_option("--model", o->model, "starting point: preset:NAME or a model file")->capture_default_str();
    cmd->add_option("--data", o->data, "training data spec, e.g. fashion-mnist")->required();
    cmd->add_option("--out", o->out, "where to write the trained model (.mlpify)")->required();
    cmd->add_option("--epochs", o->t.epochs)->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--batch", o->t.batchSize)->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--lr", o->t.lr, "peak learning rate")->capture_default_str();
    cmd->add_option("--min-lr", o->t.minLr)->capture_default_str();
    cmd->add_option("--weight-decay", o->t.weightDecay)->capture_default_str();
    cmd->add_option("--warmup-epochs", o->t.warmupEpochs)->capture_default_str();
    cmd->add_option("--label-smoothing", o->t.labelSmoothing)->capture_default_str();
    cmd->add_option("--clip-grad", o->t.clipNorm, "gradient norm clip (0 = off)")->capture_default_str();
    cmd->add_flag("--no-augment", o->noAugment, "no random shifts and flips");
    cmd->add_option("--seed", o->t.seed)->capture_default_str();
    cmd->add_option("--train-limit", o->t.trainLimit, "use a seeded subset of N training images");
    cmd->add_option("--eval-limit", o->t.evalLimit, "evaluate on the first N test images");
    cmd->add_option("--checkpoint", o->checkpoint, "checkpoint file (default OUT.ckpt)");
    cmd->add_option("--checkpoint-every", o->t.checkpointEvery, "steps between checkpoints (0 = per epoch)");
    cmd->add_flag("--resume", o->resume, "continue from --checkpoint");
    cmd->add_option("--json-log", o->jsonLog, "append one JSON line per step and per epoch");
    cmd->callback([o, &g, runner, cmd] {
        *runner = [o, &g, cmd] {
            o->t.augment = !o->noAugment;
            o->t.device = g.device;
            o->t.checkpoint = o->checkpoint.empty() ? o->out + ".ckpt" : o->checkpoint;
            auto model = core::loadModel(o->resume ? o->t.checkpoint : o->model);
            auto train = core::loadDataset(o->data, core::Split::Train,
                                           core::DataOptions().size(model.meta.config.imageSize));
            auto test = core::loadDataset(o->data, core::Split::Test,
                                          core::DataOptions().size(model.meta.config.imageSize));
            if (!o->resume) {
                model.meta.classNames = train.classNames;
                model.meta.training["command"] = "mlpify train " + cmd->config_to_str(true, false);
                model.meta.training["start"] = o->model;
            }
            std::ofstream log;
            if (!o->jsonLog.empty()) {
                log.open(o->jsonLog, std::ios::app);
                if (!log)
                    throw core::Error(o->jsonLog, "cannot open for writing");
            }
            TerminalProgress progress;
            core::TrainCallbacks cb;
            cb.onStep = [&](const core::StepStats& s) {
                if (log)
                    log << nlohmann::json{{"step", s.step}, {"epoch", s.epoch}, {"loss", s.loss}, {"lr", s.lr},
                                          {"images_per_s", s.imagesPerSecond}}
                               .dump()
                        << "\n";
            };
            cb.onEpoch = [&](const core::EpochStats& e) {
                progress.finish();
                std::cout << std::fixed << std::setprecision(4) << "epoch " << e.epoch << "  loss " << e.trainLoss
                          << "  train top-1 " << std::setprecision(2) << 100 * e.trainTop1 << "%  test top-1 "
                          << 100 * e.testTop1 << "%  lr " << std::setprecision(6) << e.lr << "  "
                          << std::setprecision(0) << e.seconds << " s" << std::endl;
                if (log)
                    log << nlohmann::json{{"epoch_end", e.epoch}, {"train_loss", e.trainLoss},
                                          {"train_top1", e.trainTop1}, {"test_top1", e.testTop1}}
                               .dump()
                        << std::endl;
            };
            auto result = core::trainSupervised(model, train, &test, o->t, progress, interruptToken(), cb, o->resume);
            progress.finish();
            if (result.cancelled) {
                std::cerr << "mlpify: interrupted at step " << result.steps << "; resume with --resume (checkpoint "
                          << o->t.checkpoint << ")\n";
                return 130;
            }
            core::saveModel(model, o->out);
            std::cout << "wrote " << o->out << "\n";
            return 0;
        };
    });
}

} // namespace mlpify::app
