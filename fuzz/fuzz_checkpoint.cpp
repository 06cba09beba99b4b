// Training checkpoints (`--resume`): the CKPT.state file beside the model, a torch.save dict
// with AdamW's moments and the step, read into a tiny model's AdamW. With
// MLPIFY_FUZZ_WRITE_SEED=PATH set, writes a valid state there instead (fuzz/make_seeds.py).
#include "core/io/model_io.h"
#include "core/train/train_state.h"
#include "core/train/trainer.h"
#include "fuzz/fuzz_support.h"

#include <iostream>

namespace {
constexpr int64_t kStep = 7;

mlpify::core::ModelBundle& tinyModel()
{
    static mlpify::core::ModelBundle model = [] {
        auto c = mlpify::core::presetConfig("micro");
        c.embedDim = 8;
        c.numHeads = 2;
        c.mlpHidden = 16;
        c.depth = 1;
        auto m = mlpify::core::makeModel(c);
        m.meta.training["step"] = kStep;
        m.meta.training["history"] = nlohmann::json::array();
        return m;
    }();
    return model;
}

torch::optim::AdamW freshOptimizer()
{
    return torch::optim::AdamW(tinyModel().net->parameters(), torch::optim::AdamWOptions(1e-3));
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    if (const char* seed = std::getenv("MLPIFY_FUZZ_WRITE_SEED")) {
        auto opt = freshOptimizer();
        auto loss = tinyModel().net->forward(torch::zeros({1, 1, 28, 28})).sum();
        loss.backward();
        opt.step(); // so the state holds moments, not only the options
        mlpify::core::saveTrainState(opt, kStep, seed);
        std::cout << "wrote " << seed << "\n";
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    mlpify::core::TrainOptions o;
    o.checkpoint = (mlpify::fuzz::scratchDir() / "ckpt.mlpify").string();
    mlpify::fuzz::writeInput("ckpt.mlpify.state", data, size);
    auto opt = freshOptimizer();
    mlpify::fuzz::rejectCleanly([&] { mlpify::core::loadTrainState(tinyModel(), opt, o); });
    return 0;
}
