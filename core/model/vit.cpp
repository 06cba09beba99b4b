#include "core/model/vit.h"

#include "core/error.h"
#include "core/model/attention_kernel.h"
#include "core/model/token_merging.h"
#include "core/torch_compat.h"

#include <algorithm>
#include <sstream>
#include <tuple>

namespace mlpify::core {

namespace {
// timm's trunc_normal_(std=.02), approximated by clamping at two standard deviations.
void truncNormal(torch::Tensor& t, double std)
{
    torch::NoGradGuard guard;
    t.normal_(0.0, std).clamp_(-2 * std, 2 * std);
}

std::string shapeString(const torch::Tensor& t)
{
    std::ostringstream s;
    s << t.sizes();
    return s.str();
}

// One branch's residual step under its state (method.md sections 3 and 4, units.md): active
// x + f, diluting (2 - lambda) x + lambda f (the factor keeps the residual's scale as the branch
// fades), removed 2x, skipped x. f gets the branch's output where it ran. inPlace: the sum goes
// into f's storage (no autograd, no trace to hand f back in); under autocast a branch comes back
// in bf16, and the residual stream stays in its own dtype.
template <typename Branch>
torch::Tensor residualStep(const torch::Tensor& x, BranchMode mode, double lambda, const Branch& branch, bool inPlace,
                           torch::Tensor& f)
{
    switch (mode) {
    case BranchMode::Active:
        f = branch();
        return inPlace && f.scalar_type() == x.scalar_type() ? f.add_(x) : x + f;
    case BranchMode::Diluting:
        f = branch();
        return (2.0 - lambda) * x + lambda * f;
    case BranchMode::Removed:
        return 2.0 * x;
    case BranchMode::Skipped:
        break;
    }
    return x;
}
} // namespace

AttentionImpl::AttentionImpl(int64_t dim, int64_t heads)
    : m_heads(heads), m_scale(1.0 / std::sqrt(static_cast<double>(dim / heads)))
{
    qkv = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
    proj = register_module("proj", torch::nn::Linear(dim, dim));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, int64_t queries, const torch::Tensor& logSize,
                                     torch::Tensor* keys, const AttentionObserver* observe)
{
    const auto b = x.size(0), n = x.size(1), c = x.size(2);
    const auto hd = c / m_heads;
    torch::Tensor q, k, v;
    if (queries <= 0 || queries >= n) {
        // [B, N, 3, heads, head_dim] -> [3, B, heads, N, head_dim], the order timm's qkv weight uses.
        auto qkvOut = qkv->forward(x).reshape({b, n, 3, m_heads, hd}).permute({2, 0, 3, 1, 4});
        q = qkvOut[0], k = qkvOut[1], v = qkvOut[2];
        queries = n;
    } else {
        // Only the first `queries` tokens ask: their query rows, every token's keys and values.
        namespace F = torch::nn::functional;
        const auto& w = qkv->weight;
        const auto& bias = qkv->bias;
        q = F::linear(x.narrow(1, 0, queries), w.narrow(0, 0, c), bias.narrow(0, 0, c))
                .reshape({b, queries, m_heads, hd})
                .transpose(1, 2);
        auto kv = F::linear(x, w.narrow(0, c, 2 * c), bias.narrow(0, c, 2 * c))
                      .reshape({b, n, 2, m_heads, hd})
                      .permute({2, 0, 3, 1, 4});
        k = kv[0], v = kv[1];
    }
    // Scaling q, not q k^T: a third of the multiplications at head width 64 (N = 197), and q is
    // copied out of the qkv layout for the product anyway.
    if (keys)
        *keys = k.mean(1);
    torch::Tensor mixed;
#if MLPIFY_HAS_SDPA
    if (!observe && useFusedAttention(x.device())) {
        // Its default scale is 1/sqrt(head_dim), m_scale; ToMe's log sizes are an additive mask.
        // An undefined tensor is not "no mask" to it: the overload without one is called instead.
        mixed = logSize.defined()
                    ? at::scaled_dot_product_attention(q, k, v, logSize.view({b, 1, 1, n}).to(q.scalar_type()))
                    : at::scaled_dot_product_attention(q, k, v);
    }
#endif
    if (!mixed.defined()) {
        auto logits = torch::matmul(q * m_scale, k.transpose(-2, -1));
        if (logSize.defined())
            logits = logits + logSize.view({b, 1, 1, n});
        const auto probs = torch::softmax(logits, -1);
        if (observe)
            (*observe)(probs);
        mixed = torch::matmul(probs, v);
    }
    return proj->forward(mixed.transpose(1, 2).reshape({b, queries, c}));
}

MlpImpl::MlpImpl(int64_t dim, int64_t hidden)
{
    fc1 = register_module("fc1", torch::nn::Linear(dim, hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, dim));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x)
{
    auto hidden = fc1->forward(x);
    // exact (erf) GELU, as timm; without autograd in place, the widest activation allocated once
    return fc2->forward(torch::GradMode::is_enabled() ? torch::gelu(hidden) : at::gelu_(hidden));
}

LayerScaleImpl::LayerScaleImpl(int64_t dim, double init)
{
    gamma = register_parameter("gamma", torch::full({dim}, init));
}

BlockImpl::BlockImpl(const ViTConfig& cfg)
{
    auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.embedDim}).eps(cfg.lnEps)); };
    norm1 = register_module("norm1", ln());
    attn = register_module("attn", Attention(cfg.embedDim, cfg.numHeads));
    if (cfg.layerScale)
        ls1 = register_module("ls1", LayerScale(cfg.embedDim));
    norm2 = register_module("norm2", ln());
    mlp = register_module("mlp", Mlp(cfg.embedDim, cfg.mlpHidden));
    if (cfg.layerScale)
        ls2 = register_module("ls2", LayerScale(cfg.embedDim));
}

void BlockImpl::setMode(const BlockMode& mode)
{
    if (!m_mode.hasAttention() && mode.hasAttention())
        throw Error("a block whose attention is removed cannot get its attention back");
    if (!m_mode.hasMlp() && mode.hasMlp())
        throw Error("a block whose MLP is removed cannot get its MLP back");
    if (mode.mode == BranchMode::Diluting && (mode.lambda < 0.0 || mode.lambda > 1.0))
        throw Error("dilution lambda " + std::to_string(mode.lambda) + " is outside [0, 1]");
    if (mode.mlp == BranchMode::Diluting && (mode.mlpLambda < 0.0 || mode.mlpLambda > 1.0))
        throw Error("MLP dilution lambda " + std::to_string(mode.mlpLambda) + " is outside [0, 1]");
    // A removed branch drops its LayerNorm, its layers and its LayerScale, parameters and all.
    auto drop = [this](auto& norm, auto& branch, LayerScale& ls, const char* normName, const char* branchName,
                       const char* lsName) {
        unregister_module(normName);
        unregister_module(branchName);
        if (ls)
            unregister_module(lsName);
        norm = nullptr;
        branch = nullptr;
        ls = nullptr;
    };
    if (m_mode.hasAttention() && !mode.hasAttention())
        drop(norm1, attn, ls1, "norm1", "attn", "ls1");
    if (m_mode.hasMlp() && !mode.hasMlp())
        drop(norm2, mlp, ls2, "norm2", "mlp", "ls2");
    m_mode = mode;
}

torch::Tensor BlockImpl::forwardAs(const torch::Tensor& input, const BlockMode& mode, BlockTrace* trace,
                                   int64_t keepTokens, TokenMerge* merge, const AttentionObserver* observe)
{
    if (!m_mode.hasAttention() && mode.hasAttention())
        throw Error("block has no attention left to run (its attention is removed)");
    if (!m_mode.hasMlp() && mode.hasMlp())
        throw Error("block has no MLP left to run (its MLP is removed)");
    const bool narrow = keepTokens > 0 && keepTokens < input.size(1);
    const auto kept = narrow ? input.narrow(1, 0, keepTokens) : input;
    // Without autograd and without a trace, the residual sums go into the branch outputs in place
    // (the same sums, one allocation fewer each).
    const bool inPlace = !trace && !torch::GradMode::is_enabled();
    torch::Tensor x;
    torch::Tensor a;
    // ToMe: merging after the branch, on the keys (or the input tokens where there are none); the
    // head reads only the first tokens, which merging never moves, so a narrowed block skips it.
    const bool merging = merge && merge->r > 0 && !narrow;
    torch::Tensor keys, logSize;
    if (merge && merge->size.defined())
        logSize = merge->size.log().squeeze(-1);
    // Attn(LN1 x), times gamma with LayerScale: x = (2 - lambda) x + lambda * gamma * Attn(LN1 x)
    // when diluting, and what an MLP-only block keeps (2x) does not depend on gamma.
    auto branch = [&] {
        auto out = attn->forward(norm1->forward(input), keepTokens, logSize, merging ? &keys : nullptr, observe);
        return ls1 ? (inPlace ? out.mul_(ls1->gamma) : ls1->forward(out)) : out;
    };
    x = residualStep(kept, mode.mode, mode.lambda, branch, inPlace, a);
    if (merging) {
        const auto plan = planMerge(keys.defined() ? keys : input, merge->r, merge->distilled);
        if (!merge->size.defined())
            merge->size = torch::ones({x.size(0), x.size(1), 1}, x.options());
        std::tie(x, merge->size) = mergeWeighted(plan, x, merge->size);
    }
    // The MLP branch by the same rules (resources/docs/units.md), gamma2 inside the branch.
    torch::Tensor m;
    auto mlpBranch = [&] {
        auto y = mlp->forward(norm2->forward(x));
        return ls2 ? (inPlace ? y.mul_(ls2->gamma) : ls2->forward(y)) : y;
    };
    auto out = residualStep(x, mode.mlp, mode.mlpLambda, mlpBranch, inPlace, m);
    if (trace)
        *trace = {a, m, out};
    return out;
}

PatchEmbedImpl::PatchEmbedImpl(const ViTConfig& cfg)
{
    proj = register_module(
        "proj",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(cfg.inChans, cfg.embedDim, cfg.patchSize).stride(cfg.patchSize)));
}

torch::Tensor PatchEmbedImpl::forward(const torch::Tensor& x)
{
    // The patches do not overlap (stride = kernel), so the convolution is one matrix product of the
    // flattened patches with the flattened kernel: the same numbers, on the BLAS like every other
    // layer. (oneDNN's convolution backward, LibTorch's choice for Conv2d, never returns when run
    // inside a parallel region, which the batch-split training step does.)
    const auto b = x.size(0), c = x.size(1), p = proj->options.kernel_size()->at(0);
    const auto rows = x.size(2) / p, cols = x.size(3) / p;
    auto patches = x.reshape({b, c, rows, p, cols, p}).permute({0, 2, 4, 1, 3, 5}).reshape({b, rows * cols, c * p * p});
    return torch::nn::functional::linear(patches, proj->weight.flatten(1), proj->bias);
}

VisionTransformerImpl::VisionTransformerImpl(const ViTConfig& cfg) : m_cfg(cfg)
{
    cfg.validate();
    patch_embed = register_module("patch_embed", PatchEmbed(cfg));
    cls_token = register_parameter("cls_token", torch::zeros({1, 1, cfg.embedDim}));
    if (cfg.distilled)
        dist_token = register_parameter("dist_token", torch::zeros({1, 1, cfg.embedDim}));
    if (cfg.registerTokens)
        reg_token = register_parameter("reg_token", torch::zeros({1, cfg.registerTokens, cfg.embedDim}));
    pos_embed = register_parameter("pos_embed", torch::zeros({1, cfg.numPositions(), cfg.embedDim}));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < cfg.depth; ++i)
        blocks->push_back(Block(cfg));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.embedDim}).eps(cfg.lnEps)));
    if (cfg.hasClassifier())
        head = register_module("head", torch::nn::Linear(cfg.headInputDim(), cfg.numClasses));
    if (cfg.pooler)
        pooler = register_module("pooler", torch::nn::Linear(cfg.embedDim, cfg.embedDim));
    if (cfg.hasDistHead())
        head_dist = register_module("head_dist", torch::nn::Linear(cfg.embedDim, cfg.numClasses));
    if (cfg.maskToken)
        mask_token = register_buffer("mask_token", torch::zeros({1, cfg.embedDim}));

    torch::NoGradGuard guard;
    truncNormal(pos_embed, 0.02);
    truncNormal(cls_token, 0.02);
    if (cfg.distilled)
        truncNormal(dist_token, 0.02);
    if (cfg.registerTokens)
        truncNormal(reg_token, 0.02);
    for (auto& m : modules(/*include_self=*/false)) {
        if (auto* lin = m->as<torch::nn::Linear>()) {
            truncNormal(lin->weight, 0.02);
            lin->bias.zero_();
        }
    }
}

torch::Tensor VisionTransformerImpl::embed(const torch::Tensor& images)
{
    if (images.dim() != 4 || images.size(1) != m_cfg.inChans || images.size(2) != m_cfg.imageSize ||
        images.size(3) != m_cfg.imageSize)
        throw Error("model '" + m_cfg.name + "' expects images of shape [B, " + std::to_string(m_cfg.inChans) + ", " +
                    std::to_string(m_cfg.imageSize) + ", " + std::to_string(m_cfg.imageSize) + "], got " +
                    shapeString(images));
    auto x = patch_embed->forward(images);
    const auto b = x.size(0);
    std::vector<torch::Tensor> parts{cls_token.expand({b, -1, -1})};
    if (m_cfg.distilled)
        parts.push_back(dist_token.expand({b, -1, -1}));
    parts.push_back(x);
    auto tokens = torch::cat(parts, 1) + pos_embed;
    if (!m_cfg.registerTokens)
        return tokens;
    // DINOv2: the registers go after the class (and distillation) token, with no position added.
    const int64_t front = m_cfg.distilled ? 2 : 1;
    return torch::cat(
        {tokens.narrow(1, 0, front), reg_token.expand({b, -1, -1}), tokens.narrow(1, front, tokens.size(1) - front)},
        1);
}

torch::Tensor VisionTransformerImpl::runBlocks(torch::Tensor x, int64_t from, const std::vector<BlockMode>* modes,
                                               ForwardTrace* trace, int64_t lastKeepTokens)
{
    const auto n = static_cast<int64_t>(blocks->size());
    if (modes && static_cast<int64_t>(modes->size()) != n)
        throw Error("runBlocks: " + std::to_string(modes->size()) + " block states for " + std::to_string(n) +
                    " blocks");
    if (trace && static_cast<int64_t>(trace->blocks.size()) != n)
        trace->blocks.assign(static_cast<size_t>(n), {});
    const bool merging = m_merge.active();
    if (merging && (trace || modes || from != 0))
        requireEveryToken("a traced or restarted forward");
    if (m_cfg.headOnPatchMean) // the head reads every patch token
        lastKeepTokens = 0;
    TokenMerge merge;
    merge.distilled = m_cfg.distilled;
    for (int64_t i = from; i < n; ++i) {
        auto* block = blocks[static_cast<size_t>(i)]->as<Block>();
        BlockTrace* t = trace ? &trace->blocks[static_cast<size_t>(i)] : nullptr;
        const auto& mode = modes ? (*modes)[static_cast<size_t>(i)] : block->mode();
        merge.r = m_merge.at(i);
        x = block->forwardAs(x, mode, t, i == n - 1 ? lastKeepTokens : 0, merging ? &merge : nullptr);
    }
    return x;
}

torch::Tensor VisionTransformerImpl::finish(const torch::Tensor& x, ForwardTrace* trace)
{
    auto tokens = norm->forward(x);
    if (trace)
        trace->feature = tokens.select(1, 0);
    return head_forward(tokens);
}

torch::Tensor VisionTransformerImpl::forwardTokens(const torch::Tensor& images, ForwardTrace* trace)
{
    auto tokens = norm->forward(runBlocks(embed(images), 0, nullptr, trace));
    if (trace)
        trace->feature = tokens.select(1, 0);
    return tokens;
}

torch::Tensor VisionTransformerImpl::head_forward(const torch::Tensor& tokens)
{
    auto feature = tokens.select(1, 0);
    if (!m_cfg.hasClassifier()) // a base model: the class token's final feature
        return feature;
    if (m_cfg.headOnPatchMean) { // DINOv2: [class token, mean of the patch tokens (no registers)]
        const auto prefix = m_cfg.numPrefixTokens();
        feature = torch::cat({feature, tokens.narrow(1, prefix, tokens.size(1) - prefix).mean(1)}, 1);
    }
    auto logits = head->forward(feature);
    if (m_cfg.hasDistHead()) // DeiT's inference rule: average the class and distillation heads
        logits = (logits + head_dist->forward(tokens.select(1, 1))) / 2;
    return logits;
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& images, ForwardTrace* trace)
{
    return head_forward(forwardTokens(images, trace));
}

std::vector<BlockMode> VisionTransformerImpl::blockModes() const
{
    std::vector<BlockMode> out;
    for (const auto& b : *blocks)
        out.push_back(b->as<Block>()->mode());
    return out;
}

void VisionTransformerImpl::setBlockMode(int64_t index, const BlockMode& mode)
{
    if (index < 0 || index >= static_cast<int64_t>(blocks->size()))
        throw Error("block index " + std::to_string(index) + " is out of range 0.." +
                    std::to_string(blocks->size() - 1));
    blocks[index]->as<Block>()->setMode(mode);
}

void VisionTransformerImpl::setMergeSchedule(const MergeSchedule& schedule)
{
    if (static_cast<int64_t>(schedule.r.size()) > m_cfg.depth)
        throw Error("token merging schedule", "gives " + std::to_string(schedule.r.size()) + " blocks for a model of " +
                                                  std::to_string(m_cfg.depth));
    for (auto r : schedule.r)
        if (r < 0)
            throw Error("token merging schedule", "r must be 0 or more (got " + std::to_string(r) + ")");
    if (schedule.active() && (m_cfg.registerTokens || m_cfg.headOnPatchMean))
        throw Error("token merging schedule", "token merging is not supported for models with register tokens or a "
                                              "classifier on the mean patch token (DINOv2)");
    m_merge = schedule;
}

void VisionTransformerImpl::requireEveryToken(const std::string& what) const
{
    if (m_merge.active())
        throw Error(what, "reads every token of every block, and token merging (ToMe " + m_merge.describe() +
                              ") is on: run it with merging off");
}

void VisionTransformerImpl::setBlockModes(const std::vector<BlockMode>& modes)
{
    if (modes.size() != blocks->size())
        throw Error(std::to_string(modes.size()) + " block states given for a model of " +
                    std::to_string(blocks->size()) + " blocks");
    for (size_t i = 0; i < modes.size(); ++i)
        setBlockMode(static_cast<int64_t>(i), modes[i]);
}

std::vector<std::string> VisionTransformerImpl::stateKeys() const
{
    std::vector<std::string> keys;
    for (const auto& p : named_parameters())
        keys.push_back(p.key());
    for (const auto& p : named_buffers())
        keys.push_back(p.key());
    return keys;
}

std::map<std::string, torch::Tensor> VisionTransformerImpl::stateDict() const
{
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : named_parameters())
        out[p.key()] = p.value();
    for (const auto& p : named_buffers())
        out[p.key()] = p.value();
    return out;
}

void VisionTransformerImpl::loadStateDict(const std::map<std::string, torch::Tensor>& state, const std::string& source)
{
    // A float64 state keeps its precision: the model takes its dtype rather than rounding it.
    const bool allDouble = !state.empty() && std::all_of(state.begin(), state.end(), [](const auto& kv) {
        return !kv.second.is_floating_point() || kv.second.scalar_type() == torch::kDouble;
    });
    if (allDouble)
        to(torch::kDouble);
    auto mine = stateDict();
    std::vector<std::string> problems;
    for (const auto& [key, tensor] : mine) {
        auto it = state.find(key);
        if (it == state.end())
            problems.push_back("missing '" + key + "' " + shapeString(tensor));
        else if (it->second.sizes() != tensor.sizes())
            problems.push_back("'" + key + "' has shape " + shapeString(it->second) + ", the model needs " +
                               shapeString(tensor));
    }
    for (const auto& [key, tensor] : state)
        if (!mine.count(key))
            problems.push_back("unexpected '" + key + "' " + shapeString(tensor));
    if (!problems.empty()) {
        std::string msg = std::to_string(problems.size()) + " tensor(s) do not fit model '" + m_cfg.name + "': ";
        for (size_t i = 0; i < problems.size() && i < 8; ++i)
            msg += (i ? "; " : "") + problems[i];
        if (problems.size() > 8)
            msg += "; and " + std::to_string(problems.size() - 8) + " more";
        throw Error(source, msg);
    }
    torch::NoGradGuard guard;
    for (auto& [key, tensor] : mine)
        tensor.copy_(state.at(key));
}

int64_t VisionTransformerImpl::parameterCount() const
{
    int64_t n = 0;
    for (const auto& p : parameters())
        n += p.numel();
    return n;
}

} // namespace mlpify::core
