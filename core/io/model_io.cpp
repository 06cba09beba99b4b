#include "core/io/model_io.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/hf_folder.h"
#include "core/io/json_file.h"
#include "core/io/onnx_export.h"
#include "core/io/pickle.h"
#include "core/io/safetensors.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <zlib.h>

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

bool isTensorDict(const PyValue& v)
{
    if (v.kind != PyValue::Kind::Dict || v.dict.empty())
        return false;
    for (const auto& kv : v.dict)
        if (kv.second->kind != PyValue::Kind::Tensor)
            return false;
    return true;
}

StateDict toStateDict(const PyValue& v)
{
    StateDict sd;
    for (const auto& kv : v.dict)
        if (kv.first->kind == PyValue::Kind::Str && kv.second->kind == PyValue::Kind::Tensor)
            sd[kv.first->s] = kv.second->tensor;
    return sd;
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

ModelBundle fromTimmStateDict(StateDict sd, const std::string& file, const ImportOptions& options, const char* kind)
{
    ModelBundle b;
    b.meta.config = inferTimmConfig(sd, file, options);
    b.meta.config.name = guessName(b.meta.config);
    b.net = VisionTransformer(b.meta.config);
    for (int64_t i = 0; i < b.meta.config.depth; ++i)
        if (!sd.count("blocks." + std::to_string(i) + ".attn.qkv.weight"))
            b.net->setBlockMode(i, {AttnMode::Removed, 0.0});
    b.net->loadStateDict(sd, file);
    b.meta.blocks = b.net->blockModes();
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

StateDict findStateDict(const PyPtr& top, const std::string& file)
{
    if (isTensorDict(*top))
        return toStateDict(*top);
    for (const char* key : {"model", "state_dict", "model_state_dict", "module", "model_ema"}) {
        if (const PyPtr* inner = top->find(key); inner && (*inner)->kind == PyValue::Kind::Dict)
            return toStateDict(**inner);
    }
    throw Error(file, "no state dict found (expected a dict of tensors, bare or under 'model' or 'state_dict')");
}

ViTConfig inferTimmConfig(const StateDict& sd, const std::string& file, const ImportOptions& options)
{
    auto need = [&](const std::string& key, int64_t dims) -> const torch::Tensor& {
        auto it = sd.find(key);
        if (it == sd.end())
            throw Error(file, "not a ViT state dict in timm layout: missing '" + key + "'");
        if (it->second.dim() != dims)
            throw Error(file, "'" + key + "' has shape " + c10::str(it->second.sizes()) + ", not " +
                                  std::to_string(dims) + " dimensions");
        return it->second;
    };
    ViTConfig c;
    const auto& patch = need("patch_embed.proj.weight", 4);
    const auto& cls = need("cls_token", 3);
    const auto& pos = need("pos_embed", 3);
    c.embedDim = cls.size(2);
    c.inChans = patch.size(1);
    c.patchSize = patch.size(2);
    c.distilled = sd.count("dist_token") > 0;
    c.distilledHead = sd.count("head_dist.weight") > 0;
    // timm's names for LayerScale and registers; a head twice the width reads [class, mean patch].
    c.layerScale = sd.count("blocks.0.ls1.gamma") > 0 || sd.count("blocks.0.ls2.gamma") > 0;
    if (sd.count("reg_token"))
        c.registerTokens = need("reg_token", 3).size(1);
    const int64_t patches = pos.size(1) - (c.distilled ? 2 : 1);
    const auto grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(patches))));
    if (grid * grid != patches)
        throw Error(file,
                    "pos_embed has " + std::to_string(pos.size(1)) + " tokens, not a square grid plus prefix tokens");
    c.imageSize = grid * c.patchSize;
    c.depth = 0;
    while (sd.count("blocks." + std::to_string(c.depth) + ".norm2.weight"))
        ++c.depth;
    if (c.depth == 0)
        throw Error(file, "no transformer blocks ('blocks.0.norm2.weight' missing)");
    c.mlpHidden = need("blocks.0.mlp.fc1.weight", 2).size(0);
    c.numClasses = need("head.weight", 2).size(0);
    c.headOnPatchMean = need("head.weight", 2).size(1) == 2 * c.embedDim;
    c.maskToken = sd.count("mask_token") > 0;
    c.numHeads = options.numHeads.value_or(c.embedDim % 64 == 0 ? c.embedDim / 64 : 0);
    if (c.numHeads <= 0)
        throw Error(file, "cannot tell the number of attention heads for width " + std::to_string(c.embedDim) +
                              "; the number of heads must be given");
    c.validate();
    return c;
}

StateDict torchvisionToTimm(const StateDict& tv, const std::string& file)
{
    static const std::vector<std::pair<std::regex, std::string>> rules{
        {std::regex(R"(^conv_proj\.(weight|bias)$)"), "patch_embed.proj.$1"},
        {std::regex(R"(^class_token$)"), "cls_token"},
        {std::regex(R"(^encoder\.pos_embedding$)"), "pos_embed"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.ln_1\.(weight|bias)$)"), "blocks.$1.norm1.$2"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_weight$)"),
         "blocks.$1.attn.qkv.weight"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_bias$)"),
         "blocks.$1.attn.qkv.bias"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.out_proj\.(weight|bias)$)"),
         "blocks.$1.attn.proj.$2"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.ln_2\.(weight|bias)$)"), "blocks.$1.norm2.$2"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.mlp\.(0|linear_1)\.(weight|bias)$)"),
         "blocks.$1.mlp.fc1.$3"},
        {std::regex(R"(^encoder\.layers\.encoder_layer_(\d+)\.mlp\.(3|linear_2)\.(weight|bias)$)"),
         "blocks.$1.mlp.fc2.$3"},
        {std::regex(R"(^encoder\.ln\.(weight|bias)$)"), "norm.$1"},
        {std::regex(R"(^heads\.head\.(weight|bias)$)"), "head.$1"},
    };
    StateDict out;
    for (const auto& [key, t] : tv) {
        bool mapped = false;
        for (const auto& [re, repl] : rules) {
            if (std::regex_match(key, re)) {
                out[std::regex_replace(key, re, repl)] = t;
                mapped = true;
                break;
            }
        }
        if (!mapped)
            throw Error(file, "torchvision key '" + key +
                                  "' has no counterpart in a DeiT/timm ViT "
                                  "(pre-logits heads are not supported)");
    }
    return out;
}

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
    if (config.inChans == 1)
        b.meta.normalization = {{0.2860}, {0.3530}}; // Fashion-MNIST training-set statistics
    else if (config.inChans != 3)
        b.meta.normalization = {std::vector<double>(config.inChans, 0.5), std::vector<double>(config.inChans, 0.5)};
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
    const std::string metaText = metaToJson(meta).dump();
    saveTorchFile(path, tensors, {{kMetaKey, metaText}, {kChecksumKey, std::to_string(checksum(metaText, ordered))}});
}

void exportTimm(const ModelBundle& model, const std::string& path)
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    const auto sd = model.net->stateDict();
    for (const auto& key : model.net->stateKeys())
        tensors.emplace_back(key, sd.at(key));
    saveTorchFile(path, tensors);
    std::vector<int64_t> mlpOnly;
    const auto modes = model.net->blockModes();
    for (size_t i = 0; i < modes.size(); ++i)
        if (modes[i].mode == AttnMode::Removed)
            mlpOnly.push_back(static_cast<int64_t>(i));
    const std::string sidecar = path + ".json";
    if (!mlpOnly.empty()) {
        nlohmann::json j = {{"mlp_only_blocks", mlpOnly},
                            {"block_rule", "x = 2 * x; x = x + mlp(norm2(x))  (no norm1/attn in these blocks)"},
                            {"config", model.meta.config}};
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
