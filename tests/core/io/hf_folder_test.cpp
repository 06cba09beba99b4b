#include "core/error.h"
#include "core/io/hf_folder.h"
#include "core/io/model_io.h"
#include "core/io/pickle.h"
#include "core/io/safetensors.h"
#include "core/json_file.h"
#include "core/model/adapt.h"

#include "test_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace mlpify::core;
namespace fs = std::filesystem;

namespace {
const std::string kHf = std::string(MLPIFY_FIXTURE_DIR) + "/hf";

torch::Tensor parity(const std::string& key)
{
    auto io = loadTorchFile(kHf + "/parity.pth");
    const PyPtr* t = io->find(key);
    if (!t)
        throw std::runtime_error("fixture lacks " + key);
    return (*t)->tensor;
}

// As in import_test: logits of a few units, float32; 1e-4 is over 100 eps there, while a misread
// weight (q, k, v out of order, a wrong head split, the wrong LayerNorm epsilon) moves them ~1e-1.
double maxDiff(ModelBundle m, const std::string& key)
{
    m.net->eval();
    torch::NoGradGuard g;
    const auto reference = parity(key);
    EXPECT_GT(reference.std().item<double>(), 0.1) << key << " would not show a wrong body";
    return (m.net->forward(parity("input")) - reference).abs().max().item<double>();
}

// A copy of a fixture folder to break, in a fresh folder of this process.
fs::path copyOf(const std::string& name)
{
    const auto root = fs::temp_directory_path() / ("mlpify_hf_" + std::to_string(::getpid()));
    const auto to = root / name;
    fs::remove_all(to);
    fs::create_directories(root);
    fs::copy(kHf + "/" + name, to, fs::copy_options::recursive);
    return to;
}

std::string errorOf(const std::string& spec)
{
    try {
        loadModel(spec);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}
} // namespace

TEST(HuggingFace, ViTFolderReproducesTransformersLogits)
{
    for (const char* folder : {"vit", "vit-sharded"}) {
        const auto m = loadModel(kHf + "/" + folder);
        // width 36 with 3 heads: the head count comes from config.json, not from width / 64
        EXPECT_EQ(m.meta.config.numHeads, 3);
        EXPECT_DOUBLE_EQ(m.meta.config.lnEps, 1e-12);
        EXPECT_EQ(m.meta.config.numClasses, 5);
        EXPECT_LT(maxDiff(m, "vit_logits"), 1e-4) << folder;
        ASSERT_EQ(m.meta.classNames.size(), 5u);
        EXPECT_EQ(m.meta.classNames[2], "class c");
        EXPECT_EQ(m.meta.normalization.mean, (std::vector<double>{0.5, 0.4, 0.3}));
        EXPECT_EQ(m.meta.normalization.std, (std::vector<double>{0.2, 0.25, 0.3}));
    }
}

TEST(HuggingFace, DeiTWithTeacherAveragesItsTwoClassifiers)
{
    const auto m = loadModel(kHf + "/deit-teacher");
    EXPECT_TRUE(m.meta.config.distilled);
    EXPECT_LT(maxDiff(m, "deit_logits"), 1e-4);
    // DeiTForImageClassification: the distillation token runs through every layer, and the class
    // token's classifier alone gives the logits.
    const auto single = loadModel(kHf + "/deit");
    EXPECT_TRUE(single.meta.config.distilled);
    EXPECT_FALSE(single.meta.config.hasDistHead());
    EXPECT_LT(maxDiff(single, "deit_single_logits"), 1e-4);
}

TEST(HuggingFace, Dinov2WithAndWithoutRegistersReproducesTransformersLogits)
{
    const auto plain = loadModel(kHf + "/dinov2");
    EXPECT_TRUE(plain.meta.config.layerScale);
    EXPECT_TRUE(plain.meta.config.headOnPatchMean);
    EXPECT_EQ(plain.meta.config.registerTokens, 0);
    EXPECT_DOUBLE_EQ(plain.meta.config.lnEps, 1e-6);
    EXPECT_EQ(plain.meta.config.mlpHidden, 72); // mlp_ratio 2 of width 36
    EXPECT_EQ(plain.meta.normalization.mean, (std::vector<double>{0.485, 0.456, 0.406}));
    EXPECT_LT(maxDiff(plain, "dinov2_logits"), 1e-4);
    const auto registers = loadModel(kHf + "/dinov2-registers");
    EXPECT_EQ(registers.meta.config.registerTokens, 4);
    EXPECT_LT(maxDiff(registers, "dinov2_registers_logits"), 1e-4);
}

TEST(HuggingFace, BaseModelsGiveTheClassTokenFeatureAndTakeANewHead)
{
    for (const auto& [name, key] : {std::pair<std::string, std::string>{"vit-base", "vit_base_features"},
                                    {"dinov2-base", "dinov2_base_features"}}) {
        auto m = loadModel(kHf + "/" + name);
        EXPECT_FALSE(m.meta.config.hasClassifier()) << name;
        EXPECT_FALSE(m.meta.config.headOnPatchMean) << name;
        EXPECT_LT(maxDiff(m, key), 1e-4) << name; // transformers' last_hidden_state[:, 0]
        EXPECT_THROW(requireClassifier(m.meta.config, "evaluation"), Error);
        replaceHead(m, 7, {});
        torch::NoGradGuard g;
        EXPECT_EQ(m.net->forward(parity("input")).sizes(), (std::vector<int64_t>{4, 7})) << name;
    }
    EXPECT_TRUE(loadModel(kHf + "/vit-base").meta.config.pooler);
}

TEST(HuggingFace, BadFoldersGiveOneErrorNamingTheFile)
{
    auto noConfig = copyOf("vit");
    fs::remove(noConfig / "config.json");
    EXPECT_NE(errorOf(noConfig.string()).find("without config.json"), std::string::npos);

    auto swin = copyOf("vit");
    auto c = readJsonFile((swin / "config.json").string());
    c["architectures"] = {"SwinForImageClassification"};
    c["model_type"] = "swin";
    std::ofstream((swin / "config.json").string()) << c.dump();
    const auto why = errorOf(swin.string());
    EXPECT_NE(why.find("config.json"), std::string::npos) << why;
    EXPECT_NE(why.find("'SwinForImageClassification'"), std::string::npos) << why;

    auto swiglu = copyOf("dinov2");
    c = readJsonFile((swiglu / "config.json").string());
    c["use_swiglu_ffn"] = true;
    std::ofstream((swiglu / "config.json").string()) << c.dump();
    EXPECT_NE(errorOf(swiglu.string()).find("use_swiglu_ffn"), std::string::npos) << errorOf(swiglu.string());

    auto lost = copyOf("vit-sharded");
    fs::remove(lost / "pytorch_model-00002-of-00002.bin");
    EXPECT_NE(errorOf(lost.string()).find("pytorch_model-00002-of-00002.bin: no such shard"), std::string::npos)
        << errorOf(lost.string());

    auto swapped = copyOf("vit-sharded");
    fs::rename(swapped / "pytorch_model-00001-of-00002.bin", swapped / "tmp.bin");
    fs::rename(swapped / "pytorch_model-00002-of-00002.bin", swapped / "pytorch_model-00001-of-00002.bin");
    fs::rename(swapped / "tmp.bin", swapped / "pytorch_model-00002-of-00002.bin");
    EXPECT_NE(errorOf(swapped.string()).find("which pytorch_model.bin.index.json places in it"), std::string::npos)
        << errorOf(swapped.string());

    auto gelu = copyOf("vit");
    c = readJsonFile((gelu / "config.json").string());
    c["hidden_act"] = "quick_gelu";
    std::ofstream((gelu / "config.json").string()) << c.dump();
    EXPECT_NE(errorOf(gelu.string()).find("hidden_act 'quick_gelu'"), std::string::npos);

    auto none = copyOf("vit");
    fs::remove(none / "model.safetensors");
    EXPECT_NE(errorOf(none.string()).find("has no weights"), std::string::npos);
    fs::remove_all(none.parent_path()); // the copies' folder of this process
}

namespace {
std::map<std::string, torch::Tensor> tensorsOf(const fs::path& dir)
{
    std::map<std::string, torch::Tensor> out;
    if (fs::exists(dir / "model.safetensors")) {
        for (auto& [k, t] : readSafetensors((dir / "model.safetensors").string()))
            out[k] = t;
        return out;
    }
    const auto top = loadTorchFile((dir / "pytorch_model.bin").string());
    for (const auto& [k, v] : top->dict)
        out[k->s] = v->tensor;
    return out;
}
} // namespace

TEST(HuggingFace, ImportThenExportReturnsEveryTensorAndTheConfig)
{
    const auto root = fs::temp_directory_path() / ("mlpify_hf_out_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root);
    for (const char* name : {"vit", "deit-teacher", "deit", "dinov2", "dinov2-registers", "vit-base", "dinov2-base"}) {
        const auto m = loadModel(kHf + "/" + name);
        const auto out = root / name;
        saveByExtension(m, out.string() + "/");
        EXPECT_EQ(readJsonFile((out / "config.json").string()), readJsonFile(kHf + "/" + name + "/config.json"))
            << name;
        EXPECT_EQ(readJsonFile((out / "preprocessor_config.json").string()),
                  readJsonFile(kHf + "/" + name + "/preprocessor_config.json"));
        const auto original = tensorsOf(fs::path(kHf) / name), exported = tensorsOf(out);
        ASSERT_EQ(exported.size(), original.size()) << name;
        for (const auto& [k, t] : original) {
            ASSERT_TRUE(exported.count(k)) << k;
            EXPECT_TRUE(torch::equal(exported.at(k), t)) << k;
        }
        // an existing folder is not written over
        EXPECT_THROW(saveByExtension(m, out.string() + "/"), Error);
    }
    // A slimmed model: its MLP-only layers are listed in config.json and come back as such.
    auto m = loadModel(kHf + "/vit");
    m.net->setBlockMode(1, {AttnMode::Removed, 0.0});
    m.net->eval();
    torch::NoGradGuard g;
    const auto x = parity("input");
    const auto logits = m.net->forward(x);
    saveByExtension(m, (root / "slim").string() + "/");
    EXPECT_EQ(readJsonFile((root / "slim" / "config.json").string()).at("mlpify_mlp_only_layers"),
              nlohmann::json::array({1}));
    auto back = loadModel((root / "slim").string());
    EXPECT_FALSE(back.meta.blocks[1].hasAttention());
    back.net->eval();
    EXPECT_TRUE(torch::equal(back.net->forward(x), logits));

    // DINOv2 with registers, slimmed: LayerScale of the removed layer goes with its attention.
    auto dino = loadModel(kHf + "/dinov2-registers");
    dino.net->setBlockMode(0, {AttnMode::Removed, 0.0});
    dino.net->eval();
    const auto dinoLogits = dino.net->forward(x);
    saveByExtension(dino, (root / "slim-dino").string() + "/");
    const auto exported = tensorsOf(root / "slim-dino");
    EXPECT_FALSE(exported.count("dinov2_with_registers.encoder.layer.0.layer_scale1.lambda1"));
    EXPECT_TRUE(exported.count("dinov2_with_registers.encoder.layer.0.layer_scale2.lambda1"));
    auto dinoBack = loadModel((root / "slim-dino").string());
    dinoBack.net->eval();
    EXPECT_TRUE(torch::equal(dinoBack.net->forward(x), dinoLogits));
    fs::remove_all(root);
}
