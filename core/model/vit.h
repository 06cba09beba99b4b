// The DeiT/timm-layout VisionTransformer (method.md section 1) with per-block attention states.
// Parameter names match timm one to one, so state dicts map without renaming.
#pragma once

#include "core/model/block_mode.h"
#include "core/model/merge_schedule.h"
#include "core/model/vit_config.h"

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mlpify::core {

// Per-block tensors a forward pass can hand back (later analyses read them).
struct BlockTrace {
    torch::Tensor attn; // attention-branch output Attn(LN1 x), undefined when no attention ran
    torch::Tensor mlp;  // MLP-branch output MLP(LN2 y), before the residual add; undefined when no MLP ran
    torch::Tensor out;  // block output
};

// A block's token merging during one forward (merge_schedule.h, token_merging.h): r tokens to
// merge after the attention branch, and the size of every token (undefined until a first merge:
// all 1).
struct TokenMerge {
    int64_t r = 0;
    torch::Tensor size; // [B, T, 1]
    bool distilled = false;
};

struct ForwardTrace {
    std::vector<BlockTrace> blocks;
    torch::Tensor feature; // the final CLS feature after the last LayerNorm
};

// Handed a block's softmax attention [B, heads, queries, T] during a forward (analysis/
// attention_maps.h). With one, the explicit kernel runs whatever the kernel setting, since the
// fused one never forms the probabilities; the observer reads them and must not change them.
using AttentionObserver = std::function<void(const torch::Tensor& probs)>;

class AttentionImpl : public torch::nn::Module {
public:
    AttentionImpl(int64_t dim, int64_t heads);
    // queries > 0: the output for the first `queries` tokens only (they still attend to all).
    // logSize [B, T], when defined: ToMe's proportional attention, log(token size) added to every
    // query's logit for that key. keys, when given, receives the keys averaged over heads [B, T, hd]
    // (ToMe's merge metric).
    torch::Tensor forward(const torch::Tensor& x, int64_t queries = 0, const torch::Tensor& logSize = {},
                          torch::Tensor* keys = nullptr, const AttentionObserver* observe = nullptr);

    torch::nn::Linear qkv{nullptr};
    torch::nn::Linear proj{nullptr};

private:
    int64_t m_heads;
    double m_scale;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
public:
    MlpImpl(int64_t dim, int64_t hidden);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Linear fc1{nullptr};
    torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(Mlp);

// Per-channel scaling of a branch's output (CaiT, DINOv2): x * gamma.
class LayerScaleImpl : public torch::nn::Module {
public:
    explicit LayerScaleImpl(int64_t dim, double init = 1.0);
    torch::Tensor forward(const torch::Tensor& x) { return x * gamma; }

    torch::Tensor gamma;
};
TORCH_MODULE(LayerScale);

class BlockImpl : public torch::nn::Module {
public:
    explicit BlockImpl(const ViTConfig& cfg);
    torch::Tensor forward(const torch::Tensor& x, BlockTrace* trace = nullptr) { return forwardAs(x, m_mode, trace); }
    // The same block run under another attention state without changing it (analysis: skip
    // sets for transfer entropy). Removed blocks can only run as removed.
    // keepTokens > 0: the output for the first keepTokens tokens only (the head reads only the
    // class/distillation tokens, so a last block need not compute the patch tokens).
    // merge: ToMe in this block (r > 0): proportional attention by merge->size, then r tokens
    // merged between the attention and the MLP, on the keys averaged over heads, or, in an
    // MLP-only block (no keys), on the block's input tokens; merge->size is updated.
    // observe: called with the attention probabilities when the attention branch runs.
    torch::Tensor forwardAs(const torch::Tensor& x, const BlockMode& mode, BlockTrace* trace = nullptr,
                            int64_t keepTokens = 0, TokenMerge* merge = nullptr,
                            const AttentionObserver* observe = nullptr);

    // A removed attention drops norm1, attn and ls1 (and their parameters) for good; a removed MLP
    // drops norm2, mlp and ls2.
    void setMode(const BlockMode& mode);
    const BlockMode& mode() const { return m_mode; }

    torch::nn::LayerNorm norm1{nullptr};
    Attention attn{nullptr};
    LayerScale ls1{nullptr}; // with config.layerScale only, as ls2
    torch::nn::LayerNorm norm2{nullptr};
    Mlp mlp{nullptr};
    LayerScale ls2{nullptr};

private:
    BlockMode m_mode;
};
TORCH_MODULE(Block);

class PatchEmbedImpl : public torch::nn::Module {
public:
    explicit PatchEmbedImpl(const ViTConfig& cfg);
    torch::Tensor forward(const torch::Tensor& x); // [B, C, H, W] -> [B, N, D]

    torch::nn::Conv2d proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

class VisionTransformerImpl : public torch::nn::Module {
public:
    explicit VisionTransformerImpl(const ViTConfig& cfg);

    // images: normalised float [B, C, H, W]; returns logits [B, classes]. Tokens: class,
    // distillation (distilled), registers (registerTokens), patches.
    torch::Tensor forward(const torch::Tensor& images, ForwardTrace* trace = nullptr);
    // Tokens after the last block's output and the final LayerNorm, [B, T, D].
    torch::Tensor forwardTokens(const torch::Tensor& images, ForwardTrace* trace = nullptr);
    torch::Tensor head_forward(const torch::Tensor& tokens);

    // The three pieces forward() is made of, for analyses that restart mid-network:
    torch::Tensor embed(const torch::Tensor& images); // tokens entering block 0
    // Runs blocks [from, depth) with the given states (default: the model's own); trace gets
    // entries for those blocks only, at their block index. lastKeepTokens > 0: the last block
    // returns only the first lastKeepTokens tokens (all the head reads).
    torch::Tensor runBlocks(torch::Tensor x, int64_t from, const std::vector<BlockMode>* modes = nullptr,
                            ForwardTrace* trace = nullptr, int64_t lastKeepTokens = 0);
    torch::Tensor finish(const torch::Tensor& x, ForwardTrace* trace = nullptr); // final norm + head -> logits

    const ViTConfig& config() const { return m_cfg; }
    // Only for changes the caller has made to the modules themselves (model/adapt.h: a new head).
    void setConfig(const ViTConfig& cfg) { m_cfg = cfg; }
    std::vector<BlockMode> blockModes() const;
    void setBlockModes(const std::vector<BlockMode>& modes);
    void setBlockMode(int64_t index, const BlockMode& mode);
    // Token merging in forward() from now on (an inactive schedule turns it off). Error on a
    // schedule longer than the model or a negative r.
    void setMergeSchedule(const MergeSchedule& schedule);
    const MergeSchedule& mergeSchedule() const { return m_merge; }
    // Analyses read every token of every block: Error naming `what` while merging is on.
    void requireEveryToken(const std::string& what) const;

    // Every parameter and buffer under its timm name.
    std::map<std::string, torch::Tensor> stateDict() const;
    std::vector<std::string> stateKeys() const; // in registration (timm) order
    // Copies tensors in; throws Error naming every missing, unexpected or mis-shaped key.
    void loadStateDict(const std::map<std::string, torch::Tensor>& state, const std::string& source);
    int64_t parameterCount() const;
    // The parameters' dtype: float32 normally, float64 where a test checks that two code paths
    // compute the same function (there 1e-9 means something on every CPU). Inputs follow it.
    torch::ScalarType dtype() const { return cls_token.scalar_type(); }

    PatchEmbed patch_embed{nullptr};
    torch::Tensor cls_token, dist_token, reg_token, pos_embed;
    torch::Tensor mask_token; // a buffer, with config.maskToken only
    torch::nn::ModuleList blocks{nullptr};
    torch::nn::LayerNorm norm{nullptr};
    torch::nn::Linear head{nullptr};
    torch::nn::Linear head_dist{nullptr};
    torch::nn::Linear pooler{nullptr}; // config.pooler only; no forward reads it

private:
    ViTConfig m_cfg;
    MergeSchedule m_merge;
};
TORCH_MODULE(VisionTransformer);

} // namespace mlpify::core
