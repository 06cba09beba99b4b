#include "core/bench/front.h"

#include "core/bench/benchmark.h"
#include "core/data/dataset.h"
#include "core/io/model_io.h"
#include "core/train/evaluate.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <sstream>

namespace mlpify::core {

std::vector<size_t> paretoFront(const std::vector<FrontPoint>& p)
{
    std::vector<size_t> front;
    for (size_t i = 0; i < p.size(); ++i) {
        const bool beaten = std::any_of(p.begin(), p.end(), [&](const FrontPoint& q) {
            return q.top1 >= p[i].top1 && q.imagesPerSecond >= p[i].imagesPerSecond &&
                   (q.top1 > p[i].top1 || q.imagesPerSecond > p[i].imagesPerSecond);
        });
        if (!beaten)
            front.push_back(i);
    }
    std::stable_sort(front.begin(), front.end(),
                     [&](size_t a, size_t b) { return p[a].imagesPerSecond < p[b].imagesPerSecond; });
    return front;
}

std::vector<int64_t> tomeRange(int64_t maxR)
{
    std::vector<int64_t> rs;
    for (int64_t r = 0; r <= maxR; ++r)
        rs.push_back(r);
    return rs;
}

std::string frontCsv(const std::vector<FrontPoint>& points)
{
    const auto front = paretoFront(points);
    std::ostringstream o;
    o << "model,label,r,top1,images_per_s,gflops,latency_ms,run_memory_mib,on_front\n";
    for (size_t i = 0; i < points.size(); ++i) {
        const auto& p = points[i];
        const bool on = std::find(front.begin(), front.end(), i) != front.end();
        o << '"' << p.model << "\"," << p.label << ',' << p.r << ',' << p.top1 << ',' << p.imagesPerSecond << ','
          << p.gflopsPerImage << ',' << p.latencyMs << ',' << p.runMemoryMiB << ',' << (on ? 1 : 0) << '\n';
    }
    return o.str();
}

std::vector<FrontPoint> measureFront(const std::vector<FrontModel>& models, const std::string& data,
                                     const FrontOptions& o, Progress& progress, const CancelToken* cancel)
{
    std::vector<FrontPoint> points;
    const double total = static_cast<double>(models.size() * o.rs.size());
    std::map<int64_t, Dataset> tests; // read once per input size, not once per model
    for (size_t m = 0; m < models.size(); ++m) {
        auto model = loadModel(models[m].spec);
        const auto size = model.meta.config.imageSize;
        if (!tests.count(size))
            tests.emplace(size, loadDataset(data, Split::Test, DataOptions().size(size)));
        const auto& test = tests.at(size);
        for (size_t k = 0; k < o.rs.size(); ++k) {
            const double from = static_cast<double>(m * o.rs.size() + k) / total, to = from + 1.0 / total;
            const auto schedule = constantSchedule(o.rs[k], model.meta.config.depth);
            model.net->setMergeSchedule(schedule);
            EvalOptions eo;
            eo.limit = o.evalLimit;
            eo.device = o.device;
            ProgressSpan span(progress, from, from + 0.7 * (to - from));
            const auto eval = evaluate(model, test, eo, span, cancel);
            if (eval.cancelled || (cancel && cancel->cancelled()))
                return {};
            progress.report(from + 0.7 * (to - from),
                            "images/s of " + models[m].label + ", r " + std::to_string(o.rs[k]));
            BenchOptions bo;
            bo.batchSize = o.batch;
            bo.repeats = o.repeats;
            bo.device = o.device;
            const auto bench = benchmarkModel(model, bo);
            points.push_back({models[m].spec, models[m].label, o.rs[k], schedule, eval.top1(), bench.imagesPerSecond,
                              bench.gflopsPerImage, bench.latencyMs, bench.runMemoryMiB});
        }
    }
    progress.report(1.0, "front measured");
    return points;
}

void to_json(nlohmann::json& j, const FrontPoint& p)
{
    j = {{"model", p.model},
         {"label", p.label},
         {"r", p.r},
         {"tome", p.tome},
         {"top1", p.top1},
         {"images_per_s", p.imagesPerSecond},
         {"gflops_per_image", p.gflopsPerImage},
         {"latency_ms", p.latencyMs},
         {"run_memory_mib", p.runMemoryMiB}};
}

void from_json(const nlohmann::json& j, FrontPoint& p)
{
    p.model = j.at("model").get<std::string>();
    p.label = j.at("label").get<std::string>();
    p.r = j.at("r").get<int64_t>();
    p.tome = j.at("tome").get<MergeSchedule>();
    p.top1 = j.at("top1").get<double>();
    p.imagesPerSecond = j.at("images_per_s").get<double>();
    p.gflopsPerImage = j.at("gflops_per_image").get<double>();
    p.latencyMs = j.at("latency_ms").get<double>();
    p.runMemoryMiB = j.at("run_memory_mib").get<double>();
}

} // namespace mlpify::core
