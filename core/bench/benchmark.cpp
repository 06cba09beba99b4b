#include "core/bench/benchmark.h"
#include "core/torch_compat.h"

#include "core/device.h"
#include "core/model/inference.h"
#include "core/runtime.h"
#include "core/train/parallel_step.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <malloc.h>
#include <string>
#include <sys/resource.h>

namespace mlpify::core {

namespace {
// Resident memory from /proc/self/status, in MiB: "VmRSS" now or "VmHWM" (the peak).
double statusMiB(const std::string& key)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0)
            return std::stod(line.substr(key.size() + 1)) / 1024.0; // the value is in kB
    return -1.0;
}

// Starts a new peak for this run (Linux: writing 5 to clear_refs resets VmHWM to VmRSS).
// Returns false where that is not possible; the peak is then the process's so far.
bool resetPeakRss()
{
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}
// Milliseconds of each of `repeats` timed calls of step, sorted.
std::vector<double> timedRuns(const std::function<void()>& step, int repeats)
{
    std::vector<double> ms;
    for (int i = 0; i < std::max(1, repeats); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        step();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms;
}

// The fields every measurement shares: the model, its size, the timing quantiles, the settings.
BenchResult describe(ModelBundle& model, const BenchOptions& o, const std::vector<double>& ms, Workload workload,
                     const torch::Device& device)
{
    auto quantile = [&](double q) { return ms[static_cast<size_t>(q * static_cast<double>(ms.size() - 1) + 0.5)]; };
    const auto& c = model.meta.config;
    BenchResult r;
    r.model = model.meta.source;
    r.parameters = model.net->parameterCount();
    const double flopsFactor = workload == Workload::Training ? 3.0 : 1.0; // backward = 2x forward
    r.tome = model.net->mergeSchedule();
    r.gflopsPerImage = flopsFactor * analyticFlops(c, model.net->blockModes(), model.net->mergeSchedule()) / 1e9;
    r.latencyMs = quantile(0.5);
    r.latencyIqrMs = quantile(0.75) - quantile(0.25);
    r.imagesPerSecond = 1000.0 * static_cast<double>(o.batchSize) / r.latencyMs;
    r.weightsMiB = static_cast<double>(r.parameters) * 4.0 / (1024.0 * 1024.0);
    r.batchSize = o.batchSize;
    r.device = device.str();
    r.threads = at::get_num_threads();
    r.parallelism = toString(resolveParallelism(o.parallelism, c, o.batchSize, r.threads, workload));
    r.precision = o.bf16 ? "bf16 autocast" : "float32";
    r.blas = blasThreading();
    return r;
}
// Autocast is per thread: with bf16 every op runs on all threads, never a batch split over them.
BenchOptions withPrecision(BenchOptions o)
{
    if (o.bf16)
        o.parallelism = Parallelism::WithinOps;
    return o;
}
// What both benchmarks start from: the options with their precision's threading, the model on its
// device in the workload's mode, bf16 autocast in scope when asked for, and a seeded random batch
// (in the model's dtype for training; inference takes float32 and casts as the model does).
struct BenchRun {
    BenchOptions options;
    torch::Device device;
    compat::ScopedBf16Autocast autocast;
    torch::Tensor input;

    BenchRun(ModelBundle& model, const BenchOptions& given, bool training)
        : options(withPrecision(given)), device(resolveDevice(options.device)), autocast(device, options.bf16)
    {
        const auto& c = model.meta.config;
        model.net->to(device);
        model.net->train(training);
        torch::manual_seed(0);
        const auto x = torch::randn({options.batchSize, c.inChans, c.imageSize, c.imageSize});
        input = training ? x.to(device, model.net->dtype()) : x.to(device);
    }
};
} // namespace

BenchResult benchmarkModel(ModelBundle& model, const BenchOptions& options)
{
    BenchRun run(model, options, false);
    const auto& o = run.options;
    const auto device = run.device;
    const auto x = run.input;
    c10::InferenceMode inference;
    auto sync = [&] {
        if (device.is_cuda())
            torch::cuda::synchronize();
    };
    for (int i = 0; i < o.warmup; ++i)
        inferLogits(model.net, x, o.parallelism);
    sync();
    // Memory is measured over the timed runs only: one-time costs (thread pools, lazy
    // initialisation) land in the warm-up, so the figure does not depend on the run order.
    malloc_trim(0); // hand freed heap back, so "before" holds no memory the runs could reuse
    const bool ownPeak = resetPeakRss();
    const double rssBefore = statusMiB("VmRSS");
    const auto ms = timedRuns(
        [&] {
            inferLogits(model.net, x, o.parallelism);
            sync();
        },
        o.repeats);
    const double peak = statusMiB("VmHWM");
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto r = describe(model, o, ms, Workload::Inference, device);
    r.peakRssMiB = peak > 0 ? peak : static_cast<double>(usage.ru_maxrss) / 1024.0;
    r.peakIsPerRun = ownPeak && peak > 0;
    r.runMemoryMiB = r.peakIsPerRun ? std::max(0.0, peak - rssBefore) : -1.0;
    return r;
}

BenchResult benchmarkTraining(ModelBundle& model, const BenchOptions& options)
{
    BenchRun run(model, options, true);
    const auto& o = run.options;
    const auto device = run.device;
    const auto& c = model.meta.config;
    const auto x = run.input;
    auto y = torch::randint(c.numClasses, {o.batchSize}, torch::kLong).to(device);
    // The trainer's step: AdamW on every parameter, label-smoothed cross-entropy, threads as in training.
    torch::optim::AdamW opt(model.net->parameters(), torch::optim::AdamWOptions(1e-4).weight_decay(0.05));
    ParallelStep stepper(o.parallelism);
    const StepLoss loss{0.1, nullptr, 0.5, 1.0};
    auto step = [&] {
        opt.zero_grad();
        stepper.run(model.net, x, y, loss);
        opt.step();
        if (device.is_cuda())
            torch::cuda::synchronize();
    };
    for (int i = 0; i < o.warmup; ++i)
        step();
    auto r = describe(model, o, timedRuns(step, o.repeats), Workload::Training, device);
    r.model += " (training step)";
    r.peakRssMiB = statusMiB("VmHWM");
    r.runMemoryMiB = -1.0;
    model.net->eval();
    return r;
}

void to_json(nlohmann::json& j, const BenchResult& r)
{
    j = {{"model", r.model},
         {"parameters", r.parameters},
         {"gflops_per_image", r.gflopsPerImage},
         {"images_per_s", r.imagesPerSecond},
         {"latency_ms_median", r.latencyMs},
         {"latency_ms_iqr", r.latencyIqrMs},
         {"peak_rss_mib", r.peakRssMiB},
         {"peak_rss_is_per_run", r.peakIsPerRun},
         {"run_memory_mib", r.runMemoryMiB},
         {"weights_mib", r.weightsMiB},
         {"batch", r.batchSize},
         {"device", r.device},
         {"threads", r.threads},
         {"parallel", r.parallelism},
         {"blas", r.blas},
         {"precision", r.precision},
         {"tome", r.tome}};
}

} // namespace mlpify::core
