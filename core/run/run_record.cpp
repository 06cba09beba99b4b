#include "core/run/run_record.h"

#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/run/sha256.h"
#include "mlpify/build_config.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mlpify::core {

namespace {

std::string cpuModel()
{
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(line.find_first_not_of(' ', colon + 1));
        }
    return "unknown";
}

std::string blasVersion()
{
    using GetConfig = char* (*)();
    if (auto* fn = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config")))
        return fn();
    return "not OpenBLAS";
}

std::string utcNow()
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string plainNumber(double v)
{
    std::ostringstream o;
    o.precision(9);
    o << v;
    return o.str();
}

void collectSeeds(const nlohmann::json& j, const std::string& at, nlohmann::json& out)
{
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            const std::string here = at + "/" + it.key();
            if (it.key() == "seed" && it.value().is_number())
                out[here] = it.value();
            else
                collectSeeds(it.value(), here, out);
        }
    } else if (j.is_array())
        for (size_t i = 0; i < j.size(); ++i)
            collectSeeds(j[i], at + "/" + std::to_string(i), out);
}

} // namespace

RunRecord currentRecord()
{
    RunRecord r;
    r.mlpify = MLPIFY_VERSION;
    r.commit = MLPIFY_COMMIT;
    r.libtorch = TORCH_VERSION;
    r.opencv = std::string(MLPIFY_OPENCV_VERSION).empty() ? "none" : MLPIFY_OPENCV_VERSION;
    r.blas = blasVersion();
    r.cpu = cpuModel();
    r.threads = torch::get_num_threads();
    r.device =
        torch::cuda::is_available() ? "cuda (" + std::to_string(torch::cuda::device_count()) + " devices)" : "cpu";
    r.date = utcNow();
    return r;
}

void recordFile(RunRecord& record, const std::string& role, const std::string& path)
{
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);
    if (ec)
        throw Error(path, "cannot read the file to hash it");
    record.files.push_back({role, path, sha256File(path), static_cast<int64_t>(bytes)});
}

void recordModelFiles(RunRecord& record, const std::string& role, const std::string& spec)
{
    if (spec == "default")
        recordFile(record, role, defaultModelPath());
    else if (spec.rfind("preset:", 0) != 0 && std::filesystem::is_regular_file(spec))
        recordFile(record, role, spec);
    else if (std::filesystem::is_directory(spec)) // a Hugging Face folder: its files
        for (const auto& e : std::filesystem::directory_iterator(spec))
            if (e.is_regular_file())
                recordFile(record, role, e.path().string());
}

void recordDataFiles(RunRecord& record, const std::string& spec)
{
    std::string dir;
    if (spec == "fashion-mnist")
        dir = fashionMnistDir();
    else
        for (const char* prefix : {"idx:", "cifar10:", "cifar100:"})
            if (spec.rfind(prefix, 0) == 0)
                dir = spec.substr(std::string(prefix).size());
    if (dir.empty() || !std::filesystem::is_directory(dir))
        return;
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.is_regular_file())
            files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files)
        recordFile(record, "data", f);
}

nlohmann::json seedsIn(const nlohmann::json& j)
{
    nlohmann::json out = nlohmann::json::object();
    collectSeeds(j, "", out);
    return out;
}

namespace {

void compareAt(const nlohmann::json& e, const nlohmann::json* a, const std::string& at, double tol, NumberCheck& c)
{
    auto differ = [&](const std::string& what) {
        if (c.differing++ == 0)
            c.firstDifference = (at.empty() ? "/" : at) + ": " + what;
    };
    if (e.is_object()) {
        for (auto it = e.begin(); it != e.end(); ++it) {
            if (it.key().find("seconds") != std::string::npos)
                continue;
            const nlohmann::json* next = a && a->is_object() && a->contains(it.key()) ? &a->at(it.key()) : nullptr;
            compareAt(it.value(), next, at + "/" + it.key(), tol, c);
        }
    } else if (e.is_array()) {
        for (size_t i = 0; i < e.size(); ++i) {
            const nlohmann::json* next = a && a->is_array() && i < a->size() ? &(*a)[i] : nullptr;
            compareAt(e[i], next, at + "/" + std::to_string(i), tol, c);
        }
    } else if (e.is_number() || (e.is_null() && a && a->is_number())) {
        ++c.numbers;
        if (!a || !(a->is_number() || a->is_null())) {
            differ(e.dump() + " then nothing");
            return;
        }
        // null stands for NaN in MLPify's JSON
        const double ev = e.is_null() ? std::nan("") : e.get<double>();
        const double av = a->is_null() ? std::nan("") : a->get<double>();
        if (std::isnan(ev) && std::isnan(av))
            return;
        const double d = std::abs(av - ev);
        if (!(d <= tol * std::max(1.0, std::abs(ev)))) {
            differ(plainNumber(ev) + " then " + plainNumber(av));
            if (std::isfinite(d))
                c.maxAbsDifference = std::max(c.maxAbsDifference, d);
            return;
        }
        c.maxAbsDifference = std::max(c.maxAbsDifference, d);
    }
}

} // namespace

NumberCheck compareNumbers(const nlohmann::json& expected, const nlohmann::json& actual, double tolerance)
{
    NumberCheck c;
    compareAt(expected, &actual, "", tolerance, c);
    return c;
}

void to_json(nlohmann::json& j, const RunRecord& r)
{
    auto files = nlohmann::json::array();
    for (const auto& f : r.files)
        files.push_back({{"role", f.role}, {"path", f.path}, {"sha256", f.sha256}, {"bytes", f.bytes}});
    j = {{"kind", "mlpify-record"}, {"mlpify", r.mlpify}, {"commit", r.commit},
         {"libtorch", r.libtorch},  {"qt", r.qt},         {"opencv", r.opencv},
         {"blas", r.blas},          {"cpu", r.cpu},       {"threads", r.threads},
         {"ranks", r.ranks},        {"device", r.device}, {"date", r.date},
         {"seeds", r.seeds},        {"files", files},     {"commands", r.commands}};
}

void from_json(const nlohmann::json& j, RunRecord& r)
{
    if (j.value("kind", "") != "mlpify-record")
        throw Error("not an MLPify record (its \"kind\" is not \"mlpify-record\")");
    r.mlpify = j.value("mlpify", "");
    r.commit = j.value("commit", "");
    r.libtorch = j.value("libtorch", "");
    r.qt = j.value("qt", "");
    r.opencv = j.value("opencv", "");
    r.blas = j.value("blas", "");
    r.cpu = j.value("cpu", "");
    r.threads = j.value("threads", 0);
    r.ranks = j.value("ranks", 1);
    r.device = j.value("device", "");
    r.date = j.value("date", "");
    r.seeds = j.value("seeds", nlohmann::json::object());
    r.files.clear();
    for (const auto& f : j.value("files", nlohmann::json::array()))
        r.files.push_back(
            {f.value("role", ""), f.value("path", ""), f.value("sha256", ""), f.value("bytes", int64_t{0})});
    r.commands = j.value("commands", nlohmann::json::object());
}

std::string recordMarkdown(const RunRecord& r)
{
    std::ostringstream o;
    o << "## What produced these numbers\n\n";
    o << "| | |\n|---|---|\n";
    o << "| MLPify | " << r.mlpify << " (" << r.commit << ") |\n";
    o << "| LibTorch | " << r.libtorch << " |\n| Qt | " << r.qt << " |\n| OpenCV | " << r.opencv << " |\n";
    o << "| BLAS | " << r.blas << " |\n| CPU | " << r.cpu << " |\n";
    o << "| threads, ranks | " << r.threads << ", " << r.ranks << " |\n| device | " << r.device << " |\n";
    o << "| date | " << r.date << " |\n\n";
    if (!r.seeds.empty()) {
        o << "Seeds:\n\n";
        for (auto it = r.seeds.begin(); it != r.seeds.end(); ++it)
            o << "- `" << it.key() << "`: " << it.value().dump() << "\n";
        o << "\n";
    }
    if (!r.files.empty()) {
        o << "Files (SHA-256):\n\n";
        for (const auto& f : r.files)
            o << "- " << f.role << " `" << f.path << "` (" << f.bytes << " bytes): `" << f.sha256 << "`\n";
        o << "\n";
    }
    if (!r.commands.empty()) {
        o << "Commands that give the numbers again:\n\n```sh\n";
        for (auto it = r.commands.begin(); it != r.commands.end(); ++it)
            o << "# " << it.key() << "\n" << it.value().get<std::string>() << "\n";
        o << "```\n";
    }
    return o.str();
}

} // namespace mlpify::core
