// ONNX export checked by real runtimes: ONNX Runtime (onnxruntime-node) computes the exported
// graph's logits, which must equal MLPify's; the ONNX project's Python checker accepts the file.
#include "core/bench/onnx_runtime.h"
#include "core/data/batch_loader.h"
#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/io/onnx_export.h"

#include "test_config.h"
#include "tests/core/test_support.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace mlpify::core;
using mlpify::testing::tempPath;

namespace {

// ONNX Runtime and LibTorch sum the same float32 products in different orders (MLAS and OpenBLAS
// kernels, fused or not), so logits agree to a few hundred float32 eps of their scale through 12
// blocks, not exactly. 1e-4 of the scale is about 840 eps; a wrong graph (a missed residual, the
// wrong dilution factor, a swapped head) moves them by 1e-2 or more.
constexpr double kTolerance = 1e-4;

// Logits of ONNX Runtime and of MLPify for the same images, after exporting model to a file.
std::pair<torch::Tensor, torch::Tensor> bothLogits(ModelBundle model, const torch::Tensor& images,
                                                   const std::string& name)
{
    const auto file = tempPath("onnx", name + ".onnx");
    exportOnnx(model, file);
    const auto ort = runOnnxRuntime(file, images, 2);
    torch::NoGradGuard g;
    model.net->eval();
    const auto mine = model.net->forward(images.to(model.net->dtype()));
    return {ort.to(torch::kDouble), mine.to(torch::kDouble)};
}

double relativeError(const std::pair<torch::Tensor, torch::Tensor>& p)
{
    EXPECT_EQ(p.first.sizes(), p.second.sizes());
    const auto e = ((p.first - p.second).abs().max() / p.second.abs().max().clamp_min(1.0)).item<double>();
    ::testing::Test::RecordProperty("relative_error", (std::ostringstream() << e).str());
    return e;
}

torch::Tensor fashionImages(const ModelBundle& model, int64_t n)
{
    const auto test = loadDataset("fashion-mnist", Split::Test);
    return normalise(test.images.narrow(0, 0, n), model.meta.normalization);
}

// What the ONNX project's own Python package reads from the file, and whether its checker
// (full_check: with shape inference) accepts it: {"opset", "metadata", "input", "initializers"}.
nlohmann::json inspect(const std::string& file)
{
    const auto out = tempPath("onnx", "read_onnx_file.json");
    const std::string script =
        "import json, onnx, sys\n"
        "m = onnx.load(sys.argv[1])\n"
        "onnx.checker.check_model(m, full_check=True)\n"
        "dims = [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]\n"
        "inits = {i.name: i.data_type for i in m.graph.initializer}\n"
        "json.dump({'opset': m.opset_import[0].version, 'input': dims, 'initializers': inits,\n"
        "           'metadata': {p.key: p.value for p in m.metadata_props}}, open(sys.argv[2], 'w'))\n";
    const auto scriptFile = tempPath("onnx", "read_onnx_file.py");
    std::ofstream(scriptFile) << script;
    const auto command = "/usr/bin/python3 '" + scriptFile + "' '" + file + "' '" + out + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    std::ifstream f(out);
    return nlohmann::json::parse(f, nullptr, false);
}

std::string metadata(const nlohmann::json& info, const std::string& key)
{
    return info.at("metadata").value(key, std::string("(absent)"));
}

// A micro-shaped model with random weights and every block state and head the export handles.
ModelBundle mixedModel(bool distilled)
{
    auto cfg = mlpify::testing::tinyConfig(5, distilled ? "tiny-distilled" : "tiny");
    cfg.distilled = distilled;
    cfg.numClasses = 7;
    torch::manual_seed(3);
    auto m = makeModel(cfg);
    {
        torch::NoGradGuard g; // LayerNorm affine parameters off their 1/0 start, so a misplaced one shows
        for (auto& p : m.net->named_parameters())
            if (p.key().find("norm") != std::string::npos)
                p.value().add_(torch::randn_like(p.value()) * 0.2);
    }
    m.net->setBlockMode(0, {AttnMode::Removed, 0.0});
    m.net->setBlockMode(2, {AttnMode::Diluting, 0.3});
    m.net->setBlockMode(3, {AttnMode::Removed, 0.0});
    return m;
}

} // namespace

// A build without the ONNX library refuses the export by name (onnx_export_unavailable.cpp).
class OnnxExport : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!onnxExportAvailable())
            GTEST_SKIP() << "built without the ONNX library: ONNX export is refused by name";
    }
};

TEST_F(OnnxExport, OnnxRuntimeReproducesTheDefaultModelOnFashionMnist)
{
    ASSERT_EQ(onnxRuntimeProblem(), "");
    const auto model = loadModel("default");
    const auto images = fashionImages(model, 64);
    const auto logits = bothLogits(model, images, "default");
    EXPECT_LT(relativeError(logits), kTolerance);
    EXPECT_TRUE(logits.first.argmax(1).equal(logits.second.argmax(1)));
}

TEST_F(OnnxExport, OnnxRuntimeReproducesSlimmedModelsWithEveryBlockStateAndBothHeads)
{
    for (bool distilled : {false, true}) {
        const auto model = mixedModel(distilled);
        torch::manual_seed(11);
        // Batch sizes 1 and 5 through one file: the batch is a dynamic dimension.
        for (int64_t batch : {1, 5}) {
            const auto images = torch::randn({batch, 1, 28, 28});
            const auto logits = bothLogits(model, images, distilled ? "distilled" : "plain");
            EXPECT_LT(relativeError(logits), kTolerance) << "distilled " << distilled << " batch " << batch;
        }
    }
}

TEST_F(OnnxExport, AnMlpOnlyModelEqualsItsFoldedMlpifyModelAndTheFileSaysWhichBlocks)
{
    auto model = loadModel("default");
    for (int64_t b : {0, 2, 4})
        model.net->setBlockMode(b, {AttnMode::Removed, 0.0});
    const auto file = tempPath("onnx", "slim.onnx");
    saveByExtension(model, file); // convert's path: chosen by the .onnx extension
    const auto images = fashionImages(model, 16);
    const auto ort = runOnnxRuntime(file, images, 1).to(torch::kDouble);
    torch::NoGradGuard g;
    model.net->eval();
    const auto mine = model.net->forward(images).to(torch::kDouble);
    EXPECT_LT(relativeError({ort, mine}), kTolerance);

    const auto proto = inspect(file);
    ASSERT_TRUE(proto.is_object()) << "python3-onnx could not read " << file;
    EXPECT_EQ(proto.at("opset"), kOnnxOpset);
    EXPECT_EQ(metadata(proto, "mlp_only_layers"), "[0,2,4]");
    EXPECT_EQ(nlohmann::json::parse(metadata(proto, "class_names")).get<std::vector<std::string>>(),
              model.meta.classNames);
    EXPECT_EQ(nlohmann::json::parse(metadata(proto, "normalization_mean")).get<std::vector<double>>(),
              model.meta.normalization.mean);
    EXPECT_EQ(nlohmann::json::parse(metadata(proto, "normalization_std")).get<std::vector<double>>(),
              model.meta.normalization.std);
    EXPECT_EQ(proto.at("input"), nlohmann::json({"batch", 1, 28, 28}));
    // No attention weights remain for the MLP-only blocks.
    int qkv = 0;
    for (const auto& [name, type] : proto.at("initializers").items())
        qkv += name.find("attn.qkv.weight") != std::string::npos;
    EXPECT_EQ(qkv, 12 - 3);
}

TEST_F(OnnxExport, TheOnnxProjectsPythonCheckerAcceptsTheFiles)
{
    for (bool distilled : {false, true}) {
        const auto file = tempPath("onnx", distilled ? "check-distilled.onnx" : "check.onnx");
        exportOnnx(mixedModel(distilled), file);
        const auto info = inspect(file);
        ASSERT_TRUE(info.is_object()) << "the checker rejected " << file;
        EXPECT_EQ(metadata(info, "mlp_only_layers"), "[0,3]");
    }
}

TEST_F(OnnxExport, AFloat64ModelIsWrittenInFloat32AndAMergingModelIsRefused)
{
    auto model = mixedModel(false);
    model.net->to(torch::kDouble);
    const auto file = tempPath("onnx", "double.onnx");
    exportOnnx(model, file);
    const auto info = inspect(file);
    ASSERT_TRUE(info.is_object());
    for (const auto& [name, type] : info.at("initializers").items()) // TensorProto: 1 FLOAT, 7 INT64, 11 DOUBLE
        EXPECT_TRUE(type == 1 || type == 7) << name << " has data type " << type;

    model.net->setMergeSchedule(MergeSchedule{{2, 2}});
    try {
        exportOnnx(model, tempPath("onnx", "merging.onnx"));
        FAIL() << "a merging model was exported";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("merges tokens"), std::string::npos) << e.what();
    }
}

TEST_F(OnnxExport, OnnxRuntimeReproducesDinov2WithRegistersLayerScaleAndThePatchMeanHead)
{
    auto model = loadModel(std::string(MLPIFY_FIXTURE_DIR) + "/hf/dinov2-registers");
    model.net->setBlockMode(0, {AttnMode::Removed, 0.0});
    model.net->setBlockMode(1, {AttnMode::Diluting, 0.4});
    torch::manual_seed(12);
    const auto images = torch::randn({3, 3, 32, 32});
    EXPECT_LT(relativeError(bothLogits(model, images, "dinov2")), kTolerance);
}

TEST_F(OnnxExport, ABaseModelExportsItsClassTokenFeature)
{
    const auto model = loadModel(std::string(MLPIFY_FIXTURE_DIR) + "/hf/dinov2-base");
    torch::manual_seed(13);
    const auto logits = bothLogits(model, torch::randn({2, 3, 32, 32}), "dinov2-base");
    EXPECT_EQ(logits.first.size(1), 36); // the width: features, not logits
    EXPECT_LT(relativeError(logits), kTolerance);
}
