// Google Benchmark: forward and backward of one block, with attention and MLP-only, at the
// micro and DeiT-Base widths. Speed targets live here and in `mlpify bench`, never in unit tests.
#include "core/model/vit.h"

#include <benchmark/benchmark.h>

using namespace mlpify::core;

namespace {
ViTConfig configFor(int64_t which)
{
    return which == 0 ? presetConfig("micro") : presetConfig("deit_base_patch16_224");
}

void blockForward(benchmark::State& state)
{
    const auto cfg = configFor(state.range(0));
    Block block(cfg);
    if (state.range(1))
        block->setMode({AttnMode::Removed, 0.0});
    const int64_t batch = state.range(0) == 0 ? 128 : 8;
    auto x = torch::randn({batch, cfg.numTokens(), cfg.embedDim});
    torch::NoGradGuard g;
    for (auto _ : state)
        benchmark::DoNotOptimize(block->forward(x));
    state.SetItemsProcessed(state.iterations() * batch);
}

void blockBackward(benchmark::State& state)
{
    const auto cfg = configFor(state.range(0));
    Block block(cfg);
    if (state.range(1))
        block->setMode({AttnMode::Removed, 0.0});
    const int64_t batch = state.range(0) == 0 ? 128 : 8;
    auto x = torch::randn({batch, cfg.numTokens(), cfg.embedDim}, torch::requires_grad());
    for (auto _ : state) {
        block->zero_grad();
        block->forward(x).sum().backward();
    }
    state.SetItemsProcessed(state.iterations() * batch);
}
} // namespace

// args: {0 = micro, 1 = DeiT-B width}, {0 = attention + MLP, 1 = MLP-only}
BENCHMARK(blockForward)->Args({0, 0})->Args({0, 1})->Args({1, 0})->Args({1, 1})->Unit(benchmark::kMillisecond);
BENCHMARK(blockBackward)->Args({0, 0})->Args({0, 1})->Args({1, 0})->Args({1, 1})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
