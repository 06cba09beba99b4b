#include "core/bench/onnx_runtime.h"

#include "core/error.h"
#include "core/io/onnx_export.h"
#include "mlpify/build_config.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace mlpify::core {

namespace fs = std::filesystem;

namespace {

// tools/onnxruntime of the source tree, or MLPIFY_ORT_DIR where set (an installed copy).
fs::path ortDir()
{
    const char* env = std::getenv("MLPIFY_ORT_DIR");
    return fs::path(env && *env ? env : MLPIFY_ORT_DIR);
}

std::string quoted(const std::string& s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// A folder of its own under the temp directory, removed with the object.
struct TempDir {
    fs::path path;
    TempDir()
    {
        auto pattern = (fs::temp_directory_path() / "mlpify-ort-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            throw Error(pattern, "cannot make a temporary folder");
        path = pattern;
    }
    ~TempDir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Runs ort.js with args; its stdout, or Error with the first line it wrote to stderr.
std::string runOrtJs(const std::string& args, const fs::path& scratch)
{
    if (const auto problem = onnxRuntimeProblem(); !problem.empty())
        throw Error("ONNX Runtime", problem);
    const auto errFile = (scratch / "stderr.txt").string();
    const auto command = "node " + quoted((ortDir() / "ort.js").string()) + " " + args + " 2>" + quoted(errFile);
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        throw Error("ONNX Runtime", "cannot start node");
    std::string out;
    std::array<char, 4096> buffer{};
    while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe))
        out.append(buffer.data(), n);
    const int status = pclose(pipe);
    if (status != 0) {
        std::ifstream err(errFile);
        std::string line;
        std::getline(err, line);
        throw Error("ONNX Runtime", line.empty() ? "ort.js failed (status " + std::to_string(status) + ")" : line);
    }
    return out;
}

} // namespace

std::string onnxRuntimeProblem()
{
    if (std::system("node --version >/dev/null 2>&1") != 0)
        return "node is not installed (Debian package nodejs; scripts/install-deps.sh installs it)";
    if (!fs::exists(ortDir() / "ort.js"))
        return "ort.js is missing from " + ortDir().string();
    if (!fs::exists(ortDir() / "node_modules" / "onnxruntime-node" / "package.json"))
        return "onnxruntime-node is not installed in " + ortDir().string() +
               " (run scripts/install-deps.sh, or npm ci --ignore-scripts there)";
    return {};
}

torch::Tensor runOnnxRuntime(const std::string& onnxPath, const torch::Tensor& images, int threads)
{
    TempDir scratch;
    const auto input = images.detach().to(torch::kCPU, torch::kFloat).contiguous();
    const auto inFile = (scratch.path / "input.f32").string(), outFile = (scratch.path / "output.f32").string();
    {
        std::ofstream f(inFile, std::ios::binary);
        f.write(static_cast<const char*>(input.data_ptr()), static_cast<std::streamsize>(input.numel() * 4));
        if (!f)
            throw Error(inFile, "cannot write the input");
    }
    std::ostringstream dims;
    for (int64_t i = 0; i < input.dim(); ++i)
        dims << (i ? "," : "") << input.size(i);
    const auto reply =
        nlohmann::json::parse(runOrtJs("run " + quoted(onnxPath) + " " + quoted(inFile) + " " + dims.str() + " " +
                                           quoted(outFile) + " " + std::to_string(threads),
                                       scratch.path));
    const auto shape = reply.at("dims").get<std::vector<int64_t>>();
    auto out = torch::empty(shape, torch::kFloat);
    std::ifstream f(outFile, std::ios::binary);
    f.read(static_cast<char*>(out.data_ptr()), static_cast<std::streamsize>(out.numel() * 4));
    if (f.gcount() != out.numel() * 4)
        throw Error(outFile, "ONNX Runtime's output is shorter than its shape");
    return out;
}

BenchResult benchmarkOnnxRuntime(const ModelBundle& model, const BenchOptions& o)
{
    TempDir scratch;
    const auto file = (scratch.path / "model.onnx").string();
    exportOnnx(model, file);
    const int threads = at::get_num_threads();
    const auto reply = nlohmann::json::parse(runOrtJs("bench " + quoted(file) + " " + std::to_string(o.batchSize) +
                                                          " " + std::to_string(o.warmup) + " " +
                                                          std::to_string(o.repeats) + " " + std::to_string(threads),
                                                      scratch.path));
    BenchResult r;
    r.model = model.meta.source + " (ONNX Runtime " + reply.at("version").get<std::string>() + ")";
    r.parameters = model.net->parameterCount();
    r.gflopsPerImage = analyticFlops(model.meta.config, model.net->blockModes()) / 1e9;
    r.imagesPerSecond = reply.at("images_per_s").get<double>();
    r.latencyMs = reply.at("latency_ms").get<double>();
    r.latencyIqrMs = reply.at("iqr_ms").get<double>();
    r.weightsMiB = static_cast<double>(r.parameters) * 4.0 / (1024.0 * 1024.0);
    r.batchSize = o.batchSize;
    r.device = "cpu";
    r.threads = threads;
    r.parallelism = "onnxruntime";
    r.blas = "MLAS";
    return r;
}

} // namespace mlpify::core
