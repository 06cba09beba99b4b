#include "core/error.h"
#include "core/io/model_io.h"
#include "core/io/pickle.h"

#include "test_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

using namespace mlpify::core;
namespace fs = std::filesystem;

namespace {
const std::string kFix = MLPIFY_FIXTURE_DIR;

torch::Tensor fixtureTensor(const std::string& key)
{
    auto io = loadTorchFile(kFix + "/parity_io.pth");
    const PyPtr* t = io->find(key);
    if (!t)
        throw std::runtime_error("fixture lacks " + key);
    return (*t)->tensor;
}

// Largest |logit| difference to PyTorch's float32 run of the same file. Debian's python3-torch and
// LibTorch on the CPU that made the fixtures agree bit for bit; another CPU or PyTorch build sums
// in another order. Logits here reach 1.5 to 4.6, where float32's eps is about 5e-7: 1e-4 is over
// 100 eps, while a misread weight (swapped, transposed, wrong head split) moves logits by ~1e-1.
double maxDiffToReference(const std::string& file, const std::string& logitsKey)
{
    auto model = loadModel(file, ImportOptions().heads(2));
    model.net->eval();
    torch::NoGradGuard g;
    auto logits = model.net->forward(fixtureTensor("input"));
    const auto reference = fixtureTensor(logitsKey);
    EXPECT_GT(reference.std().item<double>(), 0.1) << logitsKey << " would not show a wrong body";
    const double diff = (logits - reference).abs().max().item<double>();
    std::cout << "[ info     ] " << logitsKey << ": largest difference " << diff << "\n";
    return diff;
}

std::string tempPath(const std::string& name)
{
    auto d = fs::temp_directory_path() / ("mlpify_import_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return (d / name).string();
}

bool pythonTorchAvailable()
{
    return std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") == 0;
}
} // namespace

TEST(Import, TimmCheckpointNestedUnderModelMatchesPyTorchLogits)
{
    EXPECT_LT(maxDiffToReference(kFix + "/timm_vit.pth", "timm_logits"), 1e-4);
}

TEST(Import, SafetensorsMatchesPyTorchLogits)
{
    EXPECT_LT(maxDiffToReference(kFix + "/timm_vit.safetensors", "timm_logits"), 1e-4);
}

TEST(Import, DistilledDeitMatchesPyTorchLogits)
{
    auto model = loadModel(kFix + "/deit_distilled.pth", ImportOptions().heads(2));
    EXPECT_TRUE(model.meta.config.distilled);
    EXPECT_LT(maxDiffToReference(kFix + "/deit_distilled.pth", "distilled_logits"), 1e-4);
}

TEST(Import, TorchvisionVitMatchesPyTorchLogits)
{
    auto model = loadModel(kFix + "/torchvision_vit.pth", ImportOptions().heads(2));
    EXPECT_EQ(model.meta.config.depth, 2);
    EXPECT_EQ(model.meta.config.numClasses, 5);
    EXPECT_LT(maxDiffToReference(kFix + "/torchvision_vit.pth", "torchvision_logits"), 1e-4);
}

TEST(Import, ExportGivesBackEveryTensorUnchanged)
{
    for (const char* name : {"timm_vit.pth", "deit_distilled.pth"}) {
        auto original = loadTorchFile(kFix + "/" + name);
        const PyPtr* nested = original->find("model");
        const PyValue& sd = nested ? **nested : *original;
        auto model = loadModel(kFix + "/" + name, ImportOptions().heads(2));
        const auto out = tempPath(std::string("export_") + name);
        exportTimm(model, out);
        auto back = loadTorchFile(out);
        ASSERT_EQ(back->dict.size(), sd.dict.size()) << name;
        for (size_t i = 0; i < sd.dict.size(); ++i) {
            const auto& key = sd.dict[i].first->s;
            const PyPtr* t = back->find(key);
            ASSERT_NE(t, nullptr) << key;
            EXPECT_TRUE(torch::equal((*t)->tensor, sd.dict[i].second->tensor)) << key;
        }
        EXPECT_TRUE(back->find("dist_token") != nullptr || std::string(name) == "timm_vit.pth");
    }
}

TEST(Import, ExportedPthOpensInPyTorchAndGivesTheSameLogits)
{
    if (!pythonTorchAvailable())
        GTEST_SKIP() << "Debian's python3-torch is not installed; the C++ round trip above still ran";
    for (const char* name : {"timm_vit.pth", "deit_distilled.pth"}) {
        auto model = loadModel(kFix + "/" + name, ImportOptions().heads(2));
        const auto out = tempPath(std::string("py_") + name);
        exportTimm(model, out);
        const std::string cmd = "/usr/bin/python3 " + kFix + "/make_fixtures.py --check-export " + out + " " + kFix +
                                "/parity_io.pth > /dev/null";
        EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
}

TEST(Import, MlpOnlyBlocksSurviveExportWithASidecar)
{
    auto model = loadModel(kFix + "/timm_vit.pth", ImportOptions().heads(2));
    model.net->setBlockMode(1, {AttnMode::Removed, 0.0});
    const auto out = tempPath("mlp_only.pth");
    exportTimm(model, out);
    ASSERT_TRUE(fs::exists(out + ".json"));
    auto back = loadModel(out, ImportOptions().heads(2));
    EXPECT_EQ(back.net->blockModes()[1].mode, AttnMode::Removed);
    auto x = fixtureTensor("input");
    EXPECT_TRUE(torch::equal(model.net->forward(x), back.net->forward(x)));
    if (pythonTorchAvailable()) {
        // PyTorch builds block 1 as x = 2x; x = x + MLP(LN2 x) from the sidecar and must
        // reproduce MLPify's logits for the slimmed model.
        const auto ref = tempPath("mlp_only_ref.pth");
        torch::NoGradGuard g;
        saveTorchFile(ref, {{"input", x}, {"timm_logits", model.net->forward(x)}});
        const std::string cmd =
            "/usr/bin/python3 " + kFix + "/make_fixtures.py --check-export " + out + " " + ref + " > /dev/null";
        EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
}

TEST(Import, ShapeMismatchNamesTheTensor)
{
    auto original = loadTorchFile(kFix + "/timm_vit.pth");
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& kv : (*original->find("model"))->dict) {
        auto t = kv.second->tensor;
        if (kv.first->s == "blocks.1.mlp.fc2.weight")
            t = t.narrow(1, 0, t.size(1) - 1);
        tensors.emplace_back(kv.first->s, t);
    }
    const auto out = tempPath("bad_shape.pth");
    saveTorchFile(out, tensors);
    try {
        loadModel(out, ImportOptions().heads(2));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.file(), out);
        EXPECT_NE(e.reason().find("blocks.1.mlp.fc2.weight"), std::string::npos) << e.what();
    }
}

TEST(Import, NonViTAndGarbageFilesAreRejected)
{
    const auto garbage = tempPath("garbage.pth");
    std::ofstream(garbage) << "this is not a checkpoint";
    EXPECT_THROW(loadModel(garbage), Error);
    const auto other = tempPath("other.pth");
    saveTorchFile(other, {{"conv.weight", torch::zeros({2, 2})}});
    try {
        loadModel(other);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(e.reason().find("patch_embed.proj.weight"), std::string::npos) << e.what();
    }
}
