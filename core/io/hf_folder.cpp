#include "core/io/hf_folder.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/pickle.h"
#include "core/io/safetensors.h"
#include "core/io/state_dict.h"
#include "core/json_file.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <unistd.h>

namespace mlpify::core {

namespace fs = std::filesystem;

namespace {

const char* kMlpOnlyKey = "mlpify_mlp_only_layers";       // blocks without attention: x = 2x first
const char* kMlpRemovedKey = "mlpify_mlp_removed_layers"; // blocks without an MLP: x = 2x last

struct Architecture {
    std::string name, modelType, prefix;
    bool teacher = false; // a distillation classifier, averaged with the class one
    bool distToken = false;
    bool dinov2 = false; // LayerScale, the classifier on [class, mean patch], DINOv2's names
    bool registers = false;
    bool base = false; // no classifier; the weights' names have no model prefix
};

const std::vector<Architecture>& supported()
{
    static const std::vector<Architecture> a{
        {"ViTForImageClassification", "vit", "vit", false, false, false, false},
        {"DeiTForImageClassificationWithTeacher", "deit", "deit", true, true, false, false},
        {"Dinov2ForImageClassification", "dinov2", "dinov2", false, false, true, false},
        {"Dinov2WithRegistersForImageClassification", "dinov2_with_registers", "dinov2_with_registers", false, false,
         true, true},
        {"DeiTForImageClassification", "deit", "deit", false, true, false, false},
        {"ViTModel", "vit", "", false, false, false, false, true},
        {"Dinov2Model", "dinov2", "", false, false, true, false, true},
        {"Dinov2WithRegistersModel", "dinov2_with_registers", "", false, false, true, true, true}};
    return a;
}

// The architecture that writes a model: by its head and tokens.
const Architecture& architectureFor(const ViTConfig& c, const std::string& file)
{
    auto named = [](const std::string& name) -> const Architecture& {
        for (const auto& a : supported())
            if (a.name == name)
                return a;
        throw Error("Hugging Face export", "no architecture " + name); // a misspelt name below
    };
    if (!c.hasClassifier() && !c.distilled && !c.headOnPatchMean)
        return named(!c.layerScale ? "ViTModel" : c.registerTokens ? "Dinov2WithRegistersModel" : "Dinov2Model");
    if (c.headOnPatchMean != c.layerScale || (c.registerTokens && !c.layerScale) || !c.hasClassifier())
        throw Error(file, "no Hugging Face architecture MLPify writes has this model's combination of LayerScale, "
                          "register tokens and classifier input");
    if (c.layerScale)
        return named(c.registerTokens ? "Dinov2WithRegistersForImageClassification" : "Dinov2ForImageClassification");
    if (!c.distilled)
        return named("ViTForImageClassification");
    return named(c.distilledHead ? "DeiTForImageClassificationWithTeacher" : "DeiTForImageClassification");
}

Architecture architectureOf(const nlohmann::json& config, const std::string& file)
{
    const auto type = config.value("model_type", std::string());
    std::string name;
    if (config.contains("architectures") && config.at("architectures").is_array() &&
        !config.at("architectures").empty() && config.at("architectures")[0].is_string())
        name = config.at("architectures")[0].get<std::string>();
    for (const auto& a : supported())
        if (a.name == name)
            return a;
    std::string known;
    for (const auto& a : supported())
        known += (known.empty() ? "" : ", ") + a.name;
    throw Error(file, "architecture '" + (name.empty() ? std::string("none listed") : name) + "' (model_type '" + type +
                          "') is not supported; MLPify reads " + known);
}

// Every tensor of the folder's weights, from one file or from the shards its index lists.
StateDict readWeights(const fs::path& dir)
{
    auto readOne = [](const fs::path& file) {
        StateDict sd;
        if (file.extension() == ".safetensors") {
            for (auto& [k, t] : readSafetensors(file.string()))
                sd[k] = t;
            return sd;
        }
        return findStateDict(loadTorchFile(file.string()), file.string());
    };
    for (const char* single : {"model.safetensors", "pytorch_model.bin"})
        if (fs::exists(dir / single))
            return readOne(dir / single);
    for (const char* index : {"model.safetensors.index.json", "pytorch_model.bin.index.json"}) {
        const auto path = dir / index;
        if (!fs::exists(path))
            continue;
        const auto j = readJsonFile(path.string());
        if (!j.contains("weight_map") || !j.at("weight_map").is_object())
            throw Error(path.string(), "has no weight_map");
        std::map<std::string, std::vector<std::string>> byShard;
        for (const auto& [name, shard] : j.at("weight_map").items()) {
            if (!shard.is_string() || shard.get<std::string>().find('/') != std::string::npos)
                throw Error(path.string(), "weight '" + name + "' names no shard file in the folder");
            byShard[shard.get<std::string>()].push_back(name);
        }
        StateDict sd;
        for (const auto& [shard, names] : byShard) {
            if (!fs::exists(dir / shard))
                throw Error((dir / shard).string(), "no such shard (listed in " + std::string(index) + ")");
            auto part = readOne(dir / shard);
            for (const auto& n : names) {
                auto it = part.find(n);
                if (it == part.end())
                    throw Error((dir / shard).string(), "lacks '" + n + "', which " + index + " places in it");
                sd[n] = it->second;
            }
        }
        return sd;
    }
    throw Error(dir.string(), "has no weights (model.safetensors, pytorch_model.bin or a shard index)");
}

// transformers' names to the timm layout the model loads; q, k and v become one qkv.
StateDict toTimm(StateDict hf, const Architecture& a, int64_t depth, const std::string& file)
{
    static const std::vector<std::pair<std::regex, std::string>> rules{
        {std::regex(R"(^embeddings\.cls_token$)"), "cls_token"},
        {std::regex(R"(^embeddings\.distillation_token$)"), "dist_token"},
        {std::regex(R"(^embeddings\.position_embeddings$)"), "pos_embed"},
        {std::regex(R"(^embeddings\.patch_embeddings\.projection\.(weight|bias)$)"), "patch_embed.proj.$1"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.layernorm_before\.(weight|bias)$)"), "blocks.$1.norm1.$2"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.attention\.output\.dense\.(weight|bias)$)"), "blocks.$1.attn.proj.$2"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.layernorm_after\.(weight|bias)$)"), "blocks.$1.norm2.$2"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.intermediate\.dense\.(weight|bias)$)"), "blocks.$1.mlp.fc1.$2"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.output\.dense\.(weight|bias)$)"), "blocks.$1.mlp.fc2.$2"},
        {std::regex(R"(^layernorm\.(weight|bias)$)"), "norm.$1"},
        // DINOv2
        {std::regex(R"(^embeddings\.register_tokens$)"), "reg_token"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.(norm1|norm2)\.(weight|bias)$)"), "blocks.$1.$2.$3"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.mlp\.(fc1|fc2)\.(weight|bias)$)"), "blocks.$1.mlp.$2.$3"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.layer_scale1\.lambda1$)"), "blocks.$1.ls1.gamma"},
        {std::regex(R"(^encoder\.layer\.(\d+)\.layer_scale2\.lambda1$)"), "blocks.$1.ls2.gamma"},
    };
    StateDict out;
    const std::string prefix = a.prefix.empty() ? std::string() : a.prefix + ".";
    for (auto& [key, t] : hf) {
        if (a.base && (key == "pooler.dense.weight" || key == "pooler.dense.bias")) { // ViTModel's, kept for export
            out["pooler." + key.substr(key.rfind('.') + 1)] = t;
            continue;
        }
        if (key == "classifier.weight" || key == "classifier.bias" || key == "cls_classifier.weight" ||
            key == "cls_classifier.bias") {
            out["head." + key.substr(key.rfind('.') + 1)] = t;
            continue;
        }
        if (key.rfind("distillation_classifier.", 0) == 0) {
            out["head_dist." + key.substr(key.rfind('.') + 1)] = t;
            continue;
        }
        if (key.rfind(prefix, 0) != 0)
            throw Error(file, "weight '" + key + "' is not part of " + a.name);
        const auto name = key.substr(prefix.size());
        if (name == "embeddings.mask_token") { // masked-image pretraining only; DINOv2's kept for export
            if (a.dinov2)
                out["mask_token"] = t;
            continue;
        }
        if (std::regex_search(name, std::regex(R"(\.attention\.attention\.(query|key|value)\.)")))
            continue; // below, as one qkv
        bool mapped = false;
        for (const auto& [re, repl] : rules)
            if (std::regex_match(name, re)) {
                out[std::regex_replace(name, re, repl)] = t;
                mapped = true;
                break;
            }
        if (!mapped)
            throw Error(file, "weight '" + key + "' has no place in " + a.name);
    }
    for (int64_t i = 0; i < depth; ++i) {
        const auto base = prefix + "encoder.layer." + std::to_string(i) + ".attention.attention.";
        for (const char* kind : {"weight", "bias"}) {
            std::vector<torch::Tensor> parts;
            for (const char* p : {"query", "key", "value"}) {
                auto it = hf.find(base + p + "." + kind);
                if (it != hf.end())
                    parts.push_back(it->second);
            }
            if (parts.size() == 3)
                out["blocks." + std::to_string(i) + ".attn.qkv." + kind] = torch::cat(parts, 0);
            else if (!parts.empty())
                throw Error(file, "layer " + std::to_string(i) + " has only some of query, key and value");
        }
    }
    return out;
}

int64_t field(const nlohmann::json& c, const char* key, const std::string& file)
{
    if (!c.contains(key))
        throw Error(file, std::string("lacks '") + key + "'");
    return jsonInteger(c.at(key));
}

} // namespace

bool isHfFolder(const std::string& path)
{
    std::error_code ec;
    return fs::is_directory(path, ec) && fs::exists(fs::path(path) / "config.json", ec);
}

ModelBundle loadHfFolder(const std::string& dirIn, const ImportOptions&)
{
    const fs::path dir(dirIn);
    const auto configFile = (dir / "config.json").string();
    const auto config = readJsonFile(configFile);
    const auto arch = architectureOf(config, configFile);
    ViTConfig c;
    try {
        c.embedDim = field(config, "hidden_size", configFile);
        c.depth = field(config, "num_hidden_layers", configFile);
        c.numHeads = field(config, "num_attention_heads", configFile);
        if (arch.dinov2) { // the MLP width as a ratio; LayerScale in every layer
            const double ratio = config.value("mlp_ratio", 4.0);
            c.mlpHidden = static_cast<int64_t>(std::llround(ratio * static_cast<double>(c.embedDim)));
            if (config.value("use_swiglu_ffn", false))
                throw Error(configFile, "use_swiglu_ffn true (DINOv2 giant's SwiGLU MLP) is not supported");
            c.layerScale = true;
            c.headOnPatchMean = !arch.base;
            c.registerTokens = arch.registers ? field(config, "num_register_tokens", configFile) : 0;
        } else
            c.mlpHidden = field(config, "intermediate_size", configFile);
        c.imageSize = field(config, "image_size", configFile);
        c.patchSize = field(config, "patch_size", configFile);
        c.inChans = config.contains("num_channels") ? jsonInteger(config.at("num_channels")) : 3;
        c.lnEps = config.value("layer_norm_eps", arch.dinov2 ? 1e-6 : 1e-12);
        if (config.value("hidden_act", std::string("gelu")) != "gelu")
            throw Error(configFile, "hidden_act '" + config.value("hidden_act", std::string()) +
                                        "' is not supported (MLPify's MLP uses the exact GELU, 'gelu')");
        if (!config.value("qkv_bias", true))
            throw Error(configFile, "qkv_bias false is not supported");
    } catch (const nlohmann::json::exception& e) {
        throw Error(configFile, std::string("malformed: ") + e.what());
    }
    c.distilled = arch.distToken;
    c.distilledHead = arch.teacher;
    auto hf = readWeights(dir);
    auto sd = toTimm(std::move(hf), arch, c.depth, dirIn);
    if (arch.base) // a base model: no classifier (--new-head gives one)
        c.numClasses = 0;
    else if (!sd.count("head.weight") || sd.at("head.weight").dim() != 2)
        throw Error(dirIn, "has no classifier weight");
    else
        c.numClasses = sd.at("head.weight").size(0);
    c.maskToken = sd.count("mask_token") > 0;
    c.pooler = sd.count("pooler.weight") > 0;
    c.name = dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string();
    c.validate();
    ModelBundle b;
    b.meta.config = c;
    b.net = VisionTransformer(c);
    auto listed = [&](const char* key) {
        std::set<int64_t> layers;
        if (config.contains(key))
            for (const auto& v : config.at(key))
                layers.insert(jsonInteger(v));
        return layers;
    };
    const auto mlpOnly = listed(kMlpOnlyKey), mlpRemoved = listed(kMlpRemovedKey);
    for (int64_t i = 0; i < c.depth; ++i) {
        const std::string block = "blocks." + std::to_string(i) + ".";
        const bool hasAttention = sd.count(block + "attn.qkv.weight") > 0,
                   hasMlp = sd.count(block + "mlp.fc1.weight") > 0;
        if (hasAttention == static_cast<bool>(mlpOnly.count(i)))
            throw Error(dirIn,
                        "layer " + std::to_string(i) +
                            (hasAttention ? " has attention weights but config.json lists it as MLP-only"
                                          : " has no attention weights and config.json does not list it as MLP-only"));
        if (hasMlp == static_cast<bool>(mlpRemoved.count(i)))
            throw Error(dirIn, "layer " + std::to_string(i) +
                                   (hasMlp ? " has MLP weights but config.json lists its MLP as removed"
                                           : " has no MLP weights and config.json does not list its MLP as removed"));
        BlockMode mode;
        if (!hasAttention)
            mode = withAttention(mode, BranchMode::Removed, 0.0);
        if (!hasMlp)
            mode = withMlp(mode, BranchMode::Removed, 0.0);
        b.net->setBlockMode(i, mode);
    }
    b.net->loadStateDict(sd, dirIn);
    b.meta.blocks = b.net->blockModes();
    // classes in id order
    if (config.contains("id2label") && config.at("id2label").is_object()) {
        std::map<int64_t, std::string> names;
        for (const auto& [k, v] : config.at("id2label").items())
            if (v.is_string())
                names[std::stoll(k)] = v.get<std::string>();
        if (static_cast<int64_t>(names.size()) == c.numClasses)
            for (const auto& [i, n] : names)
                b.meta.classNames.push_back(n);
    }
    const auto pre = dir / "preprocessor_config.json";
    if (fs::exists(pre)) {
        const auto p = readJsonFile(pre.string());
        try {
            if (p.contains("image_mean") && p.contains("image_std"))
                b.meta.normalization = {p.at("image_mean").get<std::vector<double>>(),
                                        p.at("image_std").get<std::vector<double>>()};
        } catch (const nlohmann::json::exception& e) {
            throw Error(pre.string(), std::string("malformed: ") + e.what());
        }
        if (static_cast<int64_t>(b.meta.normalization.mean.size()) != c.inChans ||
            static_cast<int64_t>(b.meta.normalization.std.size()) != c.inChans)
            throw Error(pre.string(), "image_mean and image_std need " + std::to_string(c.inChans) + " values");
    } else
        b.meta.normalization = {std::vector<double>(c.inChans, 0.5), std::vector<double>(c.inChans, 0.5)};
    b.meta.training = {{"imported_from", dirIn}, {"layout", "huggingface"}, {"huggingface_config", config}};
    if (fs::exists(pre))
        b.meta.training["huggingface_preprocessor"] = readJsonFile(pre.string());
    b.meta.source = dirIn;
    return b;
}

bool isHfFolderPath(const std::string& path)
{
    return !path.empty() && path.back() == '/';
}

void exportHfFolder(const ModelBundle& model, const std::string& dirIn)
{
    std::string trimmed = dirIn;
    while (trimmed.size() > 1 && trimmed.back() == '/')
        trimmed.pop_back();
    const fs::path dir(trimmed);
    std::error_code ec;
    if (fs::exists(dir, ec))
        throw Error(dirIn, "exists; a Hugging Face export writes a new folder");
    checkOutputPath(trimmed); // the parent folder exists and is writable
    const auto& c = model.meta.config;
    const auto modes = model.net->blockModes();
    std::vector<int64_t> mlpOnly, mlpRemoved;
    for (size_t i = 0; i < modes.size(); ++i) {
        if (modes[i].mode == AttnMode::Diluting && modes[i].lambda != 1.0)
            throw Error(dirIn, "block " + std::to_string(i) + " is still diluting (lambda " +
                                   std::to_string(modes[i].lambda) + "); fold the model first (mlpify fold)");
        if (modes[i].mlp == BranchMode::Diluting && modes[i].mlpLambda != 1.0)
            throw Error(dirIn, "block " + std::to_string(i) + "'s MLP is still diluting (lambda " +
                                   std::to_string(modes[i].mlpLambda) + "); fold the model first (mlpify fold)");
        if (!modes[i].hasAttention())
            mlpOnly.push_back(static_cast<int64_t>(i));
        if (!modes[i].hasMlp())
            mlpRemoved.push_back(static_cast<int64_t>(i));
    }
    const Architecture a = architectureFor(c, dirIn);
    const auto sd = model.net->stateDict();
    const std::string p = a.prefix.empty() ? std::string() : a.prefix + ".";
    std::vector<std::pair<std::string, torch::Tensor>> out;
    auto put = [&](const std::string& name, const std::string& key) { out.emplace_back(name, sd.at(key)); };
    put(p + "embeddings.cls_token", "cls_token");
    if (c.distilled)
        put(p + "embeddings.distillation_token", "dist_token");
    if (c.maskToken)
        put(p + "embeddings.mask_token", "mask_token");
    if (c.registerTokens)
        put(p + "embeddings.register_tokens", "reg_token");
    put(p + "embeddings.position_embeddings", "pos_embed");
    put(p + "embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight");
    put(p + "embeddings.patch_embeddings.projection.bias", "patch_embed.proj.bias");
    for (int64_t i = 0; i < c.depth; ++i) {
        const auto hf = p + "encoder.layer." + std::to_string(i) + ".";
        const auto timm = "blocks." + std::to_string(i) + ".";
        // ViT and DeiT: layernorm_before/after, intermediate/output; DINOv2: norm1/2, mlp.fc1/2, layer_scale1/2.
        const std::string norm1 = a.dinov2 ? "norm1." : "layernorm_before.",
                          norm2 = a.dinov2 ? "norm2." : "layernorm_after.";
        const std::string fc1 = a.dinov2 ? "mlp.fc1." : "intermediate.dense.",
                          fc2 = a.dinov2 ? "mlp.fc2." : "output.dense.";
        if (modes[static_cast<size_t>(i)].hasAttention()) {
            if (a.dinov2)
                put(hf + "layer_scale1.lambda1", timm + "ls1.gamma");
            for (const char* kind : {"weight", "bias"}) {
                put(hf + norm1 + kind, timm + "norm1." + kind);
                const auto qkv = sd.at(timm + "attn.qkv." + kind).chunk(3, 0);
                const char* names[] = {"query", "key", "value"};
                for (int k = 0; k < 3; ++k)
                    out.emplace_back(hf + "attention.attention." + names[k] + "." + kind, qkv[k].contiguous());
                put(hf + "attention.output.dense." + kind, timm + "attn.proj." + kind);
            }
        }
        if (!modes[static_cast<size_t>(i)].hasMlp())
            continue;
        for (const char* kind : {"weight", "bias"}) {
            put(hf + norm2 + kind, timm + "norm2." + kind);
            put(hf + fc1 + kind, timm + "mlp.fc1." + kind);
            put(hf + fc2 + kind, timm + "mlp.fc2." + kind);
        }
        if (a.dinov2)
            put(hf + "layer_scale2.lambda1", timm + "ls2.gamma");
    }
    put(p + "layernorm.weight", "norm.weight");
    put(p + "layernorm.bias", "norm.bias");
    for (const char* kind : {"weight", "bias"}) {
        if (c.pooler && !c.hasClassifier()) // ...ForImageClassification has no pooler
            put(std::string("pooler.dense.") + kind, std::string("pooler.") + kind);
        if (!c.hasClassifier())
            continue;
        put(std::string(a.teacher ? "cls_classifier." : "classifier.") + kind, std::string("head.") + kind);
        if (a.teacher)
            put(std::string("distillation_classifier.") + kind, std::string("head_dist.") + kind);
    }

    // The config it was imported with, if any, with the model's own fields set.
    nlohmann::json config = model.meta.training.is_object() && model.meta.training.contains("huggingface_config")
                                ? model.meta.training.at("huggingface_config")
                                : nlohmann::json::object();
    config["architectures"] = {a.name};
    config["model_type"] = a.modelType;
    config["hidden_size"] = c.embedDim;
    config["num_hidden_layers"] = c.depth;
    config["num_attention_heads"] = c.numHeads;
    if (a.dinov2) {
        if (c.mlpHidden % c.embedDim == 0)
            config["mlp_ratio"] = c.mlpHidden / c.embedDim;
        else
            config["mlp_ratio"] = static_cast<double>(c.mlpHidden) / static_cast<double>(c.embedDim);
        config["use_swiglu_ffn"] = false;
        if (a.registers)
            config["num_register_tokens"] = c.registerTokens;
    } else
        config["intermediate_size"] = c.mlpHidden;
    config["hidden_act"] = "gelu";
    config["layer_norm_eps"] = c.lnEps;
    config["image_size"] = c.imageSize;
    config["patch_size"] = c.patchSize;
    config["num_channels"] = c.inChans;
    config["qkv_bias"] = true;
    nlohmann::json id2label = nlohmann::json::object(), label2id = nlohmann::json::object();
    for (int64_t k = 0; k < c.numClasses; ++k) {
        const auto name = static_cast<size_t>(k) < model.meta.classNames.size()
                              ? model.meta.classNames[static_cast<size_t>(k)]
                              : "LABEL_" + std::to_string(k);
        id2label[std::to_string(k)] = name;
        label2id[name] = k;
    }
    if (c.hasClassifier()) { // a base model keeps the labels its config had
        config["id2label"] = id2label;
        config["label2id"] = label2id;
    }
    for (const auto& [key, layers] : {std::pair{kMlpOnlyKey, mlpOnly}, std::pair{kMlpRemovedKey, mlpRemoved}}) {
        if (layers.empty())
            config.erase(key);
        else
            config[key] = layers;
    }
    nlohmann::json pre = model.meta.training.is_object() && model.meta.training.contains("huggingface_preprocessor")
                             ? model.meta.training.at("huggingface_preprocessor")
                             : nlohmann::json{{"do_normalize", true},
                                              {"do_rescale", true},
                                              {"do_resize", true},
                                              {"image_processor_type", "ViTImageProcessor"},
                                              {"resample", 2},
                                              {"rescale_factor", 1.0 / 255.0},
                                              {"size", {{"height", c.imageSize}, {"width", c.imageSize}}}};
    pre["image_mean"] = model.meta.normalization.mean;
    pre["image_std"] = model.meta.normalization.std;

    // Written beside the target, then renamed in: a failure leaves no half-written folder.
    const auto staging = dir.parent_path() / ("." + dir.filename().string() + ".tmp." + std::to_string(::getpid()));
    fs::remove_all(staging, ec);
    fs::create_directories(staging);
    try {
        writeSafetensors((staging / "model.safetensors").string(), out);
        writeBytesAtomically((staging / "config.json").string(), config.dump(2) + "\n");
        writeBytesAtomically((staging / "preprocessor_config.json").string(), pre.dump(2) + "\n");
        fs::rename(staging, dir);
    } catch (...) {
        fs::remove_all(staging, ec);
        throw;
    }
}

} // namespace mlpify::core
