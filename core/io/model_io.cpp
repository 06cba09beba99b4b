#include "core/io/model_io.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/hf_folder.h"
#include "core/io/onnx_export.h"
#include "core/io/pickle.h"
#include "core/io/safetensors.h"
#include "core/io/state_dict.h"
#include "core/json_file.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <zlib.h>

#include "core/run/run_record.h"
#include "mlpify/build_config.h"

namespace mlpify::core {

namespace fs = std::filesystem;

namespace {

const char* kMetaKey = "mlpify_meta";
const char* kChecksumKey = "mlpify_crc32";

// PyTorch's zip reader skips CRC checks, so the own format carries its own checksum over the
// metadata and every tensor's bytes, in file order: a flipped bit cannot load silently.
uint32_t checksum(const std::string& meta, const std::vector<torch::Tensor>& tensors)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(meta.data()), static_cast<uInt>(meta.size()));
    for (const auto& t : tensors) {
        auto c = t.contiguous();
        crc = crc32(crc, static_cast<const Bytef*>(c.data_ptr()), static_cast<uInt>(c.numel() * c.element_size()));
    }
    return static_cast<uint32_t>(crc);
}

StateDict stripPrefix(StateDict sd, const std::string& prefix)
{
    bool all = !sd.empty();
    for (const auto& kv : sd)
        all = all && kv.first.rfind(prefix, 0) == 0;
    if (!all)
        return sd;
    StateDict out;
    for (auto& [k, v] : sd)
        out[k.substr(prefix.size())] = v;
    return out;
}

std::string guessName(const ViTConfig& c)
{
    for (const auto& name : presetNames()) {
        auto p = presetConfig(name);
        if (p.imageSize == c.imageSize && p.patchSize == c.patchSize && p.embedDim == c.embedDim &&
            p.depth == c.depth && p.inChans == c.inChans && p.mlpHidden == c.mlpHidden)
            return c.distilled ? std::regex_replace(name, std::regex("deit_"), "deit_distilled_") : name;
    }
    return "imported";
}

// ImageNet's statistics for 3 channels (timm, DeiT), Fashion-MNIST's for 1, 0.5 and 0.5 otherwise.
Normalization defaultNormalization(const ViTConfig& config)
{
    if (config.inChans == 1)
        return {{0.2860}, {0.3530}}; // Fashion-MNIST training-set statistics
    if (config.inChans != 3)
        return {std::vector<double>(config.inChans, 0.5), std::vector<double>(config.inChans, 0.5)};
    return {};
}

ModelBundle fromTimmStateDict(StateDict sd, const std::string& file, const ImportOptions& options, const char* kind)
{
    ModelBundle b;
    b.meta.config = inferTimmConfig(sd, file, options);
    b.meta.config.name = guessName(b.meta.config);
    b.net = VisionTransformer(b.meta.config);
    // A block without attention weights is MLP-only, one without MLP weights attention-only, one
    // with neither gone (units.md: each removed branch leaves x = 2x).
    for (int64_t i = 0; i < b.meta.config.depth; ++i) {
        const std::string block = "blocks." + std::to_string(i) + ".";
        BlockMode mode;
        if (!sd.count(block + "attn.qkv.weight"))
            mode = withAttention(mode, BranchMode::Removed, 0.0);
        if (!sd.count(block + "mlp.fc1.weight"))
            mode = withMlp(mode, BranchMode::Removed, 0.0);
        b.net->setBlockMode(i, mode);
    }
    b.net->loadStateDict(sd, file);
    b.meta.blocks = b.net->blockModes();
    b.meta.normalization = defaultNormalization(b.meta.config);
    b.meta.training = {{"imported_from", file}, {"layout", kind}};
    b.meta.source = file;
    return b;
}

ModelBundle loadOwn(const PyValue& top, const std::string& file)
{
    const PyPtr* meta = top.find(kMetaKey);
    const PyPtr* weights = top.find("state_dict");
    const PyPtr* crc = top.find(kChecksumKey);
    if (!meta || (*meta)->kind != PyValue::Kind::Str || !weights)
        throw Error(file, "MLPify file lacks its metadata or weights");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse((*meta)->s);
    } catch (const nlohmann::json::exception& e) {
        throw Error(file, std::string("metadata is not valid JSON: ") + e.what());
    }
    if (!j.is_object() || (jsonInteger(j, "version", 0) >= 2 && (!crc || (*crc)->kind != PyValue::Kind::Str)))
        throw Error(file, "MLPify file lacks its checksum");
    if (crc) {
        std::vector<torch::Tensor> stored;
        for (const auto& kv : (*weights)->dict)
            if (kv.second->kind == PyValue::Kind::Tensor)
                stored.push_back(kv.second->tensor);
        if (std::to_string(checksum((*meta)->s, stored)) != (*crc)->s)
            throw Error(file, "checksum mismatch: the file is corrupt (weights or metadata changed after writing)");
    }
    ModelBundle b;
    b.meta = metaFromJson(j, file);
    b.net = VisionTransformer(b.meta.config);
    b.net->setBlockModes(b.meta.blocks);
    b.net->loadStateDict(toStateDict(**weights), file);
    return b;
}

bool looksLikeSafetensors(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    char head[9] = {};
    in.read(head, 9);
    return in && head[8] == '{';
}

} // namespace

std::string defaultModelPath()
{
    if (const char* env = std::getenv("MLPIFY_DEFAULT_MODEL"))
        return env;
    std::vector<fs::path> candidates;
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        candidates.push_back(exe.parent_path() / "../share/mlpify/models/default.mlpify");
        candidates.push_back(exe.parent_path() / "../resources/models/default.mlpify");
    }
    candidates.push_back(fs::path(MLPIFY_RESOURCE_DIR) / "models/default.mlpify");
    for (const auto& c : candidates)
        if (fs::exists(c))
            return fs::weakly_canonical(c).string();
    return (fs::path(MLPIFY_RESOURCE_DIR) / "models/default.mlpify").string();
}

ModelBundle makeModel(const ViTConfig& config)
{
    ModelBundle b;
    b.meta.config = config;
    b.net = VisionTransformer(config);
    b.meta.blocks = b.net->blockModes();
    b.meta.normalization = defaultNormalization(config);
    b.meta.source = "preset:" + config.name;
    return b;
}

ModelBundle loadModel(const std::string& spec, const ImportOptions& options)
{
    if (spec.rfind("preset:", 0) == 0)
        return makeModel(presetConfig(spec.substr(7)));
    const std::string path = spec == "default" ? defaultModelPath() : spec;
    if (!fs::exists(path))
        throw Error(path, spec == "default" ? "the embedded default model is missing (set MLPIFY_DEFAULT_MODEL)"
                                            : "no such file");
    if (fs::is_directory(path)) {
        if (isHfFolder(path))
            return loadHfFolder(path, options);
        throw Error(path, "is a folder without config.json, not a model (a Hugging Face model folder has one)");
    }
    // The readers check what they can name; a shape LibTorch refuses further on (a tensor with
    // other dimensions than its key implies) still becomes one Error naming the file.
    try {
        if (looksLikeSafetensors(path)) {
            StateDict sd;
            for (auto& [k, t] : readSafetensors(path))
                sd[k] = t;
            sd = stripPrefix(std::move(sd), "module.");
            if (sd.count("conv_proj.weight"))
                return fromTimmStateDict(torchvisionToTimm(sd, path), path, options, "torchvision");
            return fromTimmStateDict(sd, path, options, "timm");
        }
        auto top = loadTorchFile(path);
        if (top->find(kMetaKey))
            return loadOwn(*top, path);
        auto sd = stripPrefix(findStateDict(top, path), "module."); // DistributedDataParallel checkpoints
        if (sd.count("conv_proj.weight") || sd.count("class_token"))
            return fromTimmStateDict(torchvisionToTimm(sd, path), path, options, "torchvision");
        return fromTimmStateDict(sd, path, options, "timm");
    } catch (const c10::Error& e) {
        const std::string why = e.what_without_backtrace();
        throw Error(path, "not a ViT checkpoint this build can read: " + why.substr(0, why.find('\n')));
    }
}

void saveModel(const ModelBundle& model, const std::string& path)
{
    ModelMeta meta = model.meta;
    meta.blocks = model.net->blockModes();
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    std::vector<torch::Tensor> ordered;
    const auto sd = model.net->stateDict();
    for (const auto& key : model.net->stateKeys()) {
        tensors.emplace_back(key, sd.at(key).detach().cpu());
        ordered.push_back(tensors.back().second);
    }
    auto metaJson = metaToJson(meta);
    metaJson["record"] = currentRecord(); // what wrote this file: version, commit, libraries, machine, date
    const std::string metaText = metaJson.dump();
    saveTorchFile(path, tensors, {{kMetaKey, metaText}, {kChecksumKey, std::to_string(checksum(metaText, ordered))}});
}

void exportTimm(const ModelBundle& model, const std::string& path)
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    const auto sd = model.net->stateDict();
    for (const auto& key : model.net->stateKeys())
        tensors.emplace_back(key, sd.at(key));
    saveTorchFile(path, tensors);
    // Blocks without a branch follow rules a plain timm model cannot express: the sidecar says which.
    std::vector<int64_t> mlpOnly, attentionOnly, gone;
    const auto modes = model.net->blockModes();
    for (size_t i = 0; i < modes.size(); ++i) {
        auto& list = modes[i].gone() ? gone : !modes[i].hasAttention() ? mlpOnly : attentionOnly;
        if (modes[i].gone() || !modes[i].hasAttention() || !modes[i].hasMlp())
            list.push_back(static_cast<int64_t>(i));
    }
    const std::string sidecar = path + ".json";
    if (!mlpOnly.empty() || !attentionOnly.empty() || !gone.empty()) {
        nlohmann::json j = {{"config", model.meta.config}};
        if (!mlpOnly.empty()) {
            j["mlp_only_blocks"] = mlpOnly;
            j["block_rule"] = "x = 2 * x; x = x + mlp(norm2(x))  (no norm1/attn in these blocks)";
        }
        if (!attentionOnly.empty()) {
            j["attention_only_blocks"] = attentionOnly;
            j["attention_only_rule"] = "x = x + attn(norm1(x)); x = 2 * x  (no norm2/mlp in these blocks)";
        }
        if (!gone.empty()) {
            j["gone_blocks"] = gone;
            j["gone_rule"] = "x = 4 * x  (no weights in these blocks)";
        }
        writeBytesAtomically(sidecar, j.dump(2) + "\n");
    } else if (fs::exists(sidecar)) {
        fs::remove(sidecar); // a stale sidecar would describe a different model
    }
}

void saveByExtension(const ModelBundle& model, const std::string& path)
{
    const auto ext = fs::path(path).extension().string();
    if (isHfFolderPath(path))
        exportHfFolder(model, path);
    else if (ext == ".mlpify")
        saveModel(model, path);
    else if (ext == ".pth" || ext == ".pt")
        exportTimm(model, path);
    else if (ext == ".onnx")
        exportOnnx(model, path);
    else if (ext == ".safetensors") {
        std::vector<std::pair<std::string, torch::Tensor>> tensors;
        const auto sd = model.net->stateDict();
        for (const auto& key : model.net->stateKeys())
            tensors.emplace_back(key, sd.at(key));
        writeSafetensors(path, tensors);
    } else
        throw Error(path,
                    "unknown output format '" + ext +
                        "' (use .mlpify, .pth, .safetensors, .onnx, or a folder name ending in / for Hugging Face)");
}

} // namespace mlpify::core
