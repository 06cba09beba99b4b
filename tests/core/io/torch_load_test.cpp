// Every PyTorch-format file MLPify writes (.mlpify, the timm .pth export, CKPT.state) opens in the
// installed python3-torch with torch.load's default and with weights_only=True (the default from
// PyTorch 2.6 on), and holds the tensors MLPify wrote.
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/io/pickle.h"
#include "core/train/train_state.h"

#include "../test_support.h"
#include "test_config.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <memory>

using namespace mlpify::core;
using mlpify::testing::tempPath;

namespace {

bool pythonTorchAvailable()
{
    return std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") == 0;
}

// check_torch_load.py's report on the files, or a failure with what Python said.
nlohmann::json pythonLoads(const std::vector<std::string>& files)
{
    std::string cmd = "/usr/bin/python3 " MLPIFY_FIXTURE_DIR "/check_torch_load.py";
    for (const auto& f : files)
        cmd += " '" + f + "'";
    cmd += " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    std::array<char, 4096> buf{};
    while (pipe && fgets(buf.data(), buf.size(), pipe.get()))
        out += buf.data();
    const int status = pclose(pipe.release());
    EXPECT_EQ(status, 0) << out;
    return status == 0 ? nlohmann::json::parse(out) : nlohmann::json::object();
}

// PyTorch's name of a dtype, as str(tensor.dtype) without "torch.".
std::string pythonDtype(torch::ScalarType t)
{
    switch (t) {
    case torch::kFloat:
        return "float32";
    case torch::kDouble:
        return "float64";
    case torch::kLong:
        return "int64";
    case torch::kBool:
        return "bool";
    default:
        return c10::toString(t);
    }
}

void expectSame(const nlohmann::json& entry, const torch::Tensor& t, const std::string& what)
{
    ASSERT_TRUE(entry.is_object()) << what << " is not in the file Python read";
    EXPECT_EQ(entry.at("shape").get<std::vector<int64_t>>(), t.sizes().vec()) << what;
    EXPECT_EQ(entry.at("dtype").get<std::string>(), pythonDtype(t.scalar_type())) << what;
    // The same sum, in float64, of the same bytes: exact up to the summation order's rounding.
    const double sum = t.to(torch::kDouble).sum().item<double>();
    EXPECT_NEAR(entry.at("sum").get<double>(), sum, 1e-9 * (1 + t.to(torch::kDouble).abs().sum().item<double>()))
        << what;
}

} // namespace

TEST(TorchLoad, EveryFileMlpifyWritesOpensWithWeightsOnly)
{
    if (!pythonTorchAvailable())
        GTEST_SKIP() << "Debian's python3-torch is not installed";
    torch::manual_seed(3);
    auto model = makeModel(mlpify::testing::tinyConfig(2));
    const auto mlpify = tempPath("torch_load", "model.mlpify"), pth = tempPath("torch_load", "model.pth"),
               state = tempPath("torch_load", "ckpt.mlpify.state"), mixed = tempPath("torch_load", "mixed.pth");
    saveModel(model, mlpify);
    exportTimm(model, pth);
    std::vector<std::pair<std::string, torch::Tensor>> written; // before the optimizer step below
    for (const auto& p : model.net->named_parameters())
        written.emplace_back(p.key(), p.value().detach().clone());
    torch::optim::AdamW opt(model.net->parameters(), torch::optim::AdamWOptions(1e-3));
    model.net->forward(torch::randn({2, 1, 28, 28})).sum().backward();
    opt.step();
    saveTrainState(opt, 7, state);
    // Every dtype the writer names, a scalar, an empty tensor, a non-contiguous view, 64-bit values.
    const std::vector<std::pair<std::string, torch::Tensor>> tensors{
        {"f64", torch::randn({3, 4}, torch::kDouble)},
        {"i64", torch::tensor({int64_t{1} << 40, int64_t{-5}, int64_t{7}})},
        {"bool", torch::tensor({true, false, true})},
        {"scalar", torch::tensor(2.5)},
        {"empty", torch::zeros({0, 3})},
        {"transposed", torch::arange(12, torch::kFloat).reshape({3, 4}).t()}};
    saveTorchFile(mixed, tensors, {{"note", "text"}}, "tensors");

    const auto report = pythonLoads({mlpify, pth, state, mixed});
    if (HasFailure())
        return;
    for (const auto& [key, t] : written)
        expectSame(report[pth]["entries"][key], t, pth + " " + key);
    // .mlpify: the weights under state_dict beside the metadata string and its checksum.
    for (const auto& [key, t] : written)
        expectSame(report[mlpify]["entries"]["state_dict/" + key], t, mlpify + " " + key);
    EXPECT_TRUE(report[mlpify]["entries"].contains("mlpify_meta")) << report[mlpify].dump();
    // CKPT.state: the step and each parameter's moments, as written.
    const auto& s = report[state]["entries"];
    EXPECT_EQ(s["optimizer/step"]["sum"].get<double>(), 7.0);
    EXPECT_EQ(s["mlpify_train_state"]["str"].get<int>(), 1);
    size_t moments = 0;
    for (const auto& [key, v] : s.items())
        moments += key.find("exp_avg") != std::string::npos;
    EXPECT_EQ(moments, 2 * model.net->parameters().size());
    for (const auto& [key, t] : tensors)
        expectSame(report[mixed]["entries"]["tensors/" + key], t, mixed + " " + key);
}

TEST(TorchLoad, MlpifyReadsBackWhatItWritesForEveryDtype)
{
    const auto file = tempPath("torch_load", "round.pth");
    const std::vector<std::pair<std::string, torch::Tensor>> tensors{
        {"f32", torch::randn({2, 3})},
        {"f64", torch::randn({5}, torch::kDouble)},
        {"f16", torch::randn({4}).to(torch::kHalf)},
        {"bf16", torch::randn({4}).to(torch::kBFloat16)},
        {"i64", torch::tensor({int64_t{1} << 40, -(int64_t{1} << 35)})},
        {"i32", torch::tensor({-3, 4}, torch::kInt)},
        {"u8", torch::tensor({0, 255}, torch::kByte)},
        {"bool", torch::tensor({true, false})},
        {"scalar", torch::tensor(-1.25)},
        {"empty", torch::zeros({0})}};
    saveTorchFile(file, tensors);
    const auto top = loadTorchFile(file);
    for (const auto& [key, t] : tensors) {
        const PyPtr* got = top->find(key);
        ASSERT_TRUE(got) << key;
        EXPECT_EQ((*got)->tensor.scalar_type(), t.scalar_type()) << key;
        EXPECT_TRUE(torch::equal((*got)->tensor, t)) << key;
    }
}
