// info, eval and convert: commands that read a model and report or rewrite it.
#include "app/cli/commands.h"
#include "app/cli/terminal_progress.h"
#include "core/bench/benchmark.h"
#include "core/bench/model_numbers.h"
#include "core/bench/onnx_runtime.h"
#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/hf_folder.h"
#include "core/io/model_io.h"
#include "core/model/attention_kernel.h"
#include "core/model/model_summary.h"
#include "core/train/evaluate.h"

#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace mlpify::app {

namespace {
core::ImportOptions importOptions(int64_t heads)
{
    core::ImportOptions o;
    if (heads > 0)
        o.heads(heads);
    return o;
}

void writeLogitsCsv(const std::string& path, const core::EvalResult& r)
{
    std::ostringstream o;
    o << "index,label,prediction";
    for (int64_t c = 0; c < r.logits.size(1); ++c)
        o << ",logit_" << c;
    o << "\n" << std::setprecision(9);
    auto logits = r.logits.contiguous();
    const float* p = logits.data_ptr<float>();
    for (int64_t i = 0; i < logits.size(0); ++i) {
        o << i << "," << r.labels[i].item<int64_t>() << "," << logits[i].argmax().item<int64_t>();
        for (int64_t c = 0; c < logits.size(1); ++c)
            o << "," << p[i * logits.size(1) + c];
        o << "\n";
    }
    core::writeBytesAtomically(path, o.str());
}
} // namespace

void addInfoCommand(CLI::App& app, const GlobalOptions&, Runner* runner)
{
    struct Opts {
        std::string model;
        bool json = false;
        int64_t heads = 0;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("info", "describe a model: architecture, block states, parameters, accuracy");
    cmd->add_option("MODEL", o->model, "model file, 'default' or preset:NAME")->required();
    cmd->add_flag("--json", o->json, "print JSON");
    cmd->add_option("--heads", o->heads, "attention heads, for imported files (default width/64)");
    cmd->callback([o, runner] {
        *runner = [o] {
            auto model = core::loadModel(o->model, importOptions(o->heads));
            auto s = core::summarize(model);
            std::cout << (o->json ? core::summaryToJson(s).dump(2) + "\n" : core::summaryToText(s));
            return 0;
        };
    });
}

void addEvalCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string model, data, logits;
        int64_t limit = 0, batch = 256, heads = 0;
        bool json = false;
        TomeOptions tome;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("eval", "top-1 accuracy on a dataset's test split");
    cmd->add_option("MODEL", o->model, "model file, 'default' or preset:NAME")->required();
    cmd->add_option("--data", o->data, "fashion-mnist | idx:DIR | cifar10:DIR | cifar100:DIR | folder:DIR")->required();
    cmd->add_option("--limit", o->limit, "evaluate the first N test images only")->check(inRange(0, 1e12));
    cmd->add_option("--batch", o->batch, "batch size")->check(inRange(1, 65536));
    cmd->add_option("--logits", o->logits, "write per-image logits to this CSV file");
    cmd->add_option("--heads", o->heads, "attention heads, for imported files");
    cmd->add_flag("--json", o->json, "print JSON");
    o->tome.add(cmd, false);
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            core::checkOutputPaths({o->logits}, {o->model});
            auto model = core::loadModel(o->model, importOptions(o->heads));
            model.net->setMergeSchedule(
                o->tome.r.empty() ? model.meta.tome : o->tome.schedule(o->tome.r.front(), model.meta.config.depth));
            auto data =
                core::loadDataset(o->data, core::Split::Test, core::DataOptions().size(model.meta.config.imageSize));
            core::EvalOptions eo;
            eo.limit = o->limit;
            eo.batchSize = o->batch;
            eo.keepLogits = !o->logits.empty();
            eo.device = g.device;
            TerminalProgress progress(!o->json);
            auto r = core::evaluate(model, data, eo, progress, &interruptToken());
            progress.finish();
            if (r.cancelled)
                throw core::Error("eval", "interrupted after " + std::to_string(r.count) + " images");
            if (!o->logits.empty())
                writeLogitsCsv(o->logits, r);
            if (o->json) {
                nlohmann::json j = {{"model", model.meta.source},
                                    {"data", data.spec},
                                    {"split", data.split},
                                    {"images", r.count},
                                    {"top1", r.top1()},
                                    {"loss", r.loss},
                                    {"tome", model.net->mergeSchedule()},
                                    {"evaluated_at", r.evaluatedAt}};
                std::cout << j.dump(2) << "\n";
            } else {
                std::cout << std::fixed << std::setprecision(2) << "top-1 " << 100.0 * r.top1() << "% (" << r.correct
                          << "/" << r.count << ") on " << data.spec << " " << data.split << ", loss "
                          << std::setprecision(4) << r.loss << " nats"
                          << (model.net->mergeSchedule().active() ? ", ToMe r " + model.net->mergeSchedule().describe()
                                                                  : std::string())
                          << "\n";
            }
            return 0;
        };
    });
}

void addConvertCommand(CLI::App& app, const GlobalOptions&, Runner* runner)
{
    struct Opts {
        std::string in, out;
        int64_t heads = 0;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("convert", "convert between formats; OUT's extension picks the format "
                                              "(.mlpify MLPify, .pth timm layout, .safetensors, .onnx; a name "
                                              "ending in / a Hugging Face folder)");
    cmd->add_option("IN", o->in, "model file, Hugging Face folder or 'default'")->required();
    cmd->add_option("OUT", o->out, "output file, or a new folder ending in /")->required();
    cmd->add_option("--heads", o->heads, "attention heads, for imported files");
    cmd->callback([o, runner] {
        *runner = [o] {
            if (!core::isHfFolderPath(o->out)) // a folder is checked by the export itself
                core::checkOutputPath(o->out, {o->in});
            auto model = core::loadModel(o->in, importOptions(o->heads));
            core::saveByExtension(model, o->out);
            std::cout << "wrote " << o->out << " (" << model.meta.config.name << ", " << model.net->parameterCount()
                      << " parameters)\n";
            return 0;
        };
    });
}

} // namespace mlpify::app

namespace mlpify::app {

void addBenchCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    struct Opts {
        std::string model, vs, remove, parallel = "auto";
        core::BenchOptions b;
        bool json = false, train = false, onnx = false;
        int64_t heads = 0;
        TomeOptions tome;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("bench", "parameters, FLOPs, images/s and latency; --vs gives ratios side by side");
    cmd->add_option("MODEL", o->model, "model file, 'default' or preset:NAME")->required();
    cmd->add_option("--vs", o->vs, "a second model, measured in the same run");
    cmd->add_option("--remove", o->remove, "or: compare with MODEL whose listed blocks are MLP-only, e.g. 0,1,3,4,6,9");
    cmd->add_option("--batch", o->b.batchSize)->capture_default_str()->check(inRange(1, 65536));
    cmd->add_option("--repeats", o->b.repeats)->capture_default_str()->check(inRange(1, 1000000));
    cmd->add_option("--warmup", o->b.warmup)->capture_default_str()->check(inRange(0, 1000000));
    cmd->add_option("--heads", o->heads, "attention heads, for imported files");
    cmd->add_option("--parallel", o->parallel,
                    "how a batch uses the threads: ops (each op on all), images (the batch split), auto")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "ops", "images"}));
    cmd->add_flag("--bf16", o->b.bf16,
                  "bfloat16 autocast (as torch.autocast; fast on GPUs and CPUs with bf16 units), stated in the output");
    cmd->add_flag("--train", o->train, "measure training steps (forward, backward, AdamW) instead of inference");
    cmd->add_flag("--onnx", o->onnx,
                  "also each model exported to ONNX, run by ONNX Runtime (onnxruntime-node) with the same "
                  "threads and batch");
    cmd->add_flag("--json", o->json, "print JSON");
    o->tome.add(cmd, true);
    cmd->callback([o, &g, runner] {
        *runner = [o, &g] {
            o->b.device = g.device;
            auto measure = [&](core::ModelBundle& m) {
                return o->train ? core::benchmarkTraining(m, o->b) : core::benchmarkModel(m, o->b);
            };
            o->b.parallelism = core::parseParallelism(o->parallel);
            // Everything is checked before anything is measured.
            const auto depth = core::loadModel(o->model, importOptions(o->heads)).meta.config.depth;
            std::vector<int64_t> remove;
            if (!o->remove.empty())
                remove = parseBlocks(o->remove, depth);
            if (!o->vs.empty())
                core::loadModel(o->vs, importOptions(o->heads));
            if (o->onnx && o->train)
                throw core::Error("bench", "--onnx measures inference; it cannot be combined with --train");
            if (o->onnx && !core::onnxRuntimeProblem().empty())
                throw core::Error("bench --onnx", core::onnxRuntimeProblem());
            std::vector<core::MergeSchedule> merges;
            for (const auto& r : o->tome.r)
                merges.push_back(o->tome.schedule(r, depth));
            // The models, then each with every merging schedule, all measured in this run.
            std::vector<std::function<core::ModelBundle()>> bases;
            std::vector<std::string> labels;
            for (const auto& spec :
                 o->vs.empty() ? std::vector<std::string>{o->model} : std::vector<std::string>{o->model, o->vs}) {
                bases.push_back([&o, spec] {
                    auto m = core::loadModel(spec, importOptions(o->heads));
                    m.net->setMergeSchedule(m.meta.tome); // a model saved with its merging runs with it
                    return m;
                });
                auto label = std::filesystem::path(spec).filename().string();
                if (label.rfind("preset:", 0) == 0)
                    label = label.substr(7);
                labels.push_back(label.substr(0, 12));
            }
            if (!o->remove.empty()) { // the same weights with the listed attention layers removed (speed only)
                bases.push_back([&o, &remove] {
                    auto m = core::loadModel(o->model, importOptions(o->heads));
                    for (auto block : remove)
                        m.net->setBlockMode(block, core::withAttention(m.net->blockModes()[static_cast<size_t>(block)],
                                                                       core::BranchMode::Removed, 0.0));
                    m.meta.source += " minus attention " + o->remove;
                    return m;
                });
                labels.push_back("-" + std::to_string(remove.size()) + " attn");
            }
            std::vector<core::BenchResult> results;
            std::vector<std::string> names;
            for (size_t i = 0; i < bases.size(); ++i) {
                auto m = bases[i]();
                results.push_back(measure(m));
                names.push_back(labels[i]);
                if (o->onnx) { // the same weights in ONNX Runtime, right after LibTorch (ToMe is not exported)
                    const auto merge = m.net->mergeSchedule();
                    m.net->setMergeSchedule({});
                    results.push_back(core::benchmarkOnnxRuntime(m, o->b));
                    m.net->setMergeSchedule(merge);
                    names.push_back(labels[i] + " ORT");
                }
                for (size_t k = 0; k < merges.size(); ++k) {
                    m.net->setMergeSchedule(merges[k]);
                    results.push_back(measure(m));
                    results.back().model += " + ToMe " + merges[k].describe();
                    names.push_back(labels[i] + " +ToMe " + o->tome.r[k]);
                }
            }
            if (o->json) {
                nlohmann::json j = {{"results", results}};
                auto numbers = [](const core::BenchResult& r) { // no top-1 here: bench does not evaluate
                    return core::ModelNumbers{
                        r.model,       -1, static_cast<double>(r.parameters), r.gflopsPerImage, r.imagesPerSecond,
                        r.runMemoryMiB};
                };
                auto ratios = [&](const core::BenchResult& r) { // the Compare tab's arithmetic (NaN: null)
                    const auto q = core::ratios(numbers(results[0]), numbers(r));
                    return nlohmann::json{{"model", r.model},
                                          {"parameters", q.parameters},
                                          {"gflops", q.gflopsPerImage},
                                          {"images_per_s", q.imagesPerSecond},
                                          {"run_memory_mib", q.runMemoryMiB}};
                };
                if (results.size() == 2)
                    j["ratios"] = ratios(results[1]);
                j["ratios_to_first"] = nlohmann::json::array();
                for (size_t i = 1; i < results.size(); ++i)
                    j["ratios_to_first"].push_back(ratios(results[i]));
                std::cout << j.dump(2) << "\n";
                return 0;
            }
            std::cout << std::left << std::setw(22) << "" << std::right;
            for (const auto& name : names)
                std::cout << std::setw(21) << name.substr(0, 20);
            if (results.size() == 2)
                std::cout << std::setw(12) << "ratio";
            std::cout << "\n" << std::fixed;
            auto row = [&](const char* name, auto get, int precision) {
                std::cout << std::left << std::setw(22) << name << std::right << std::setprecision(precision);
                for (const auto& r : results)
                    std::cout << std::setw(21) << get(r);
                if (results.size() == 2)
                    std::cout << std::setw(12) << std::setprecision(3) << get(results[1]) / get(results[0]);
                std::cout << "\n";
            };
            row(
                "parameters", [](const core::BenchResult& r) { return double(r.parameters); }, 0);
            row(
                "GFLOPs / image", [](const core::BenchResult& r) { return r.gflopsPerImage; }, 4);
            row(
                "images / s", [](const core::BenchResult& r) { return r.imagesPerSecond; }, 1);
            row(
                "latency ms (median)", [](const core::BenchResult& r) { return r.latencyMs; }, 2);
            row(
                "weights MiB", [](const core::BenchResult& r) { return r.weightsMiB; }, 2);
            row(
                "run memory MiB", [](const core::BenchResult& r) { return r.runMemoryMiB; }, 1);
            row(
                "peak RSS MiB", [](const core::BenchResult& r) { return r.peakRssMiB; }, 1);
            if (results.size() > 2) { // every column against the first
                row(
                    "GFLOPs vs first",
                    [&](const core::BenchResult& r) { return r.gflopsPerImage / results[0].gflopsPerImage; }, 3);
                row(
                    "images/s vs first",
                    [&](const core::BenchResult& r) { return r.imagesPerSecond / results[0].imagesPerSecond; }, 3);
            }
            const bool perRun = std::all_of(results.begin(), results.end(), [](const core::BenchResult& r) {
                return r.peakIsPerRun || r.parallelism == "onnxruntime";
            });
            std::cout << "batch " << o->b.batchSize << ", " << o->b.repeats << " repeats after " << o->b.warmup
                      << " warm-up, device " << results[0].device << ", " << results[0].threads << " threads ("
                      << results[0].parallelism << "), BLAS " << results[0].blas << ", " << results[0].precision
                      << ", attention " << core::attentionKernelName(core::attentionKernel()) << "; "
                      << (perRun ? "run memory = peak RSS during that model's run minus RSS before it (inputs, "
                                   "activations, workspace)\n"
                                 : "peak RSS is the process's, cumulative (the kernel refused to reset it)\n");
            if (o->onnx)
                std::cout << "ORT: ONNX Runtime (onnxruntime-node, CPU, MLAS) on the exported file, same batch, "
                             "repeats and threads; its memory is not measured (0)\n";
            return 0;
        };
    });
}

} // namespace mlpify::app
