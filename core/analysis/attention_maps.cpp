#include "core/analysis/attention_maps.h"

#include "core/data/batch_loader.h"
#include "core/error.h"

#include <algorithm>
#include <set>

namespace mlpify::core {

namespace {
BlockImpl* blockAt(VisionTransformer& net, int64_t i)
{
    return net->blocks[static_cast<size_t>(i)]->as<Block>();
}

// what: the thing asked for ("block"); counted: what the model has that many of ("blocks").
void checkIndex(const std::string& what, int64_t value, int64_t count, const std::string& counted)
{
    if (value < 0 || value >= count)
        throw Error(what + " " + std::to_string(value) + " is out of range (the model has " + std::to_string(count) +
                    " " + counted + ", 0.." + std::to_string(count - 1) + ")");
}

// The blocks a request names, checked; every block with attention when it names none.
std::vector<int64_t> attentionBlocks(VisionTransformer& net, const std::vector<int64_t>& asked)
{
    const auto depth = static_cast<int64_t>(net->blocks->size());
    std::vector<int64_t> out;
    if (asked.empty()) {
        for (int64_t i = 0; i < depth; ++i)
            if (blockAt(net, i)->mode().hasAttention())
                out.push_back(i);
        return out;
    }
    for (auto b : asked) {
        checkIndex("block", b, depth, "blocks");
        if (!blockAt(net, b)->mode().hasAttention())
            throw Error("block " + std::to_string(b) + " has no attention left to show (it is MLP-only)");
    }
    return asked;
}

torch::Tensor indexTensor(const std::vector<int64_t>& indices, const torch::Device& device)
{
    return torch::tensor(indices, torch::TensorOptions().dtype(torch::kLong)).to(device);
}
} // namespace

TokenLayout tokenLayout(const ViTConfig& config)
{
    TokenLayout l;
    l.special.push_back("class token");
    if (config.distilled)
        l.special.push_back("distillation token");
    for (int64_t r = 1; r <= config.registerTokens; ++r)
        l.special.push_back("register " + std::to_string(r));
    l.grid = config.gridSize();
    l.patchSize = config.patchSize;
    return l;
}

torch::Tensor observeAttention(VisionTransformer& net, const torch::Tensor& images, const std::vector<int64_t>& blocks,
                               const BlockAttentionObserver& observe)
{
    net->requireEveryToken("the attention maps");
    const auto chosen = attentionBlocks(net, blocks);
    const std::set<int64_t> wanted(chosen.begin(), chosen.end());
    auto x = net->embed(images);
    const auto depth = static_cast<int64_t>(net->blocks->size());
    for (int64_t i = 0; i < depth; ++i) {
        auto* block = blockAt(net, i);
        if (!wanted.count(i)) {
            x = block->forward(x);
            continue;
        }
        const AttentionObserver atBlock = [&observe, i](const torch::Tensor& probs) { observe(i, probs); };
        x = block->forwardAs(x, block->mode(), nullptr, 0, nullptr, &atBlock);
    }
    return net->finish(x);
}

std::vector<torch::Tensor> attentionMaps(VisionTransformer& net, const torch::Tensor& images,
                                         const AttentionRequest& request)
{
    const auto& cfg = net->config();
    for (auto h : request.heads)
        checkIndex("head", h, cfg.numHeads, "heads");
    for (auto q : request.queries)
        checkIndex("query token", q, cfg.numTokens(), "tokens");
    const auto blocks = attentionBlocks(net, request.blocks);
    std::vector<torch::Tensor> out(blocks.size());
    observeAttention(net, images, blocks, [&](int64_t block, const torch::Tensor& probs) {
        auto kept = probs;
        if (!request.heads.empty())
            kept = kept.index_select(1, indexTensor(request.heads, probs.device()));
        if (!request.queries.empty())
            kept = kept.index_select(2, indexTensor(request.queries, probs.device()));
        // Every request that names this block gets it (a block may be asked for twice).
        for (size_t k = 0; k < blocks.size(); ++k)
            if (blocks[k] == block)
                out[k] = kept.clone();
    });
    return out;
}

std::string toString(HeadFusion fusion)
{
    switch (fusion) {
    case HeadFusion::Max:
        return "max";
    case HeadFusion::Min:
        return "min";
    case HeadFusion::Mean:
        break;
    }
    return "mean";
}

HeadFusion headFusionFromString(const std::string& name)
{
    for (auto f : {HeadFusion::Mean, HeadFusion::Max, HeadFusion::Min})
        if (toString(f) == name)
            return f;
    throw Error("head fusion '" + name + "'", "unknown (use mean, max or min)");
}

torch::Tensor rolloutStep(const torch::Tensor& rolled, const torch::Tensor& probs, HeadFusion fusion,
                          const BlockMode& mode)
{
    torch::Tensor fused;
    switch (fusion) {
    case HeadFusion::Mean:
        fused = probs.mean(1);
        break;
    case HeadFusion::Max:
        fused = std::get<0>(probs.max(1));
        break;
    case HeadFusion::Min:
        fused = std::get<0>(probs.min(1));
        break;
    }
    // The residual stream's weight beside the attention branch's: 1 and 1 in an active block,
    // (2 - lambda) and lambda in a diluting one.
    const double branch = mode.mode == AttnMode::Diluting ? mode.lambda : 1.0;
    const auto t = fused.size(-1);
    auto mixed = branch * fused + (2.0 - branch) * torch::eye(t, fused.options());
    mixed = mixed / mixed.sum(-1, /*keepdim=*/true);
    return rolled.defined() ? torch::matmul(mixed, rolled) : mixed;
}

torch::Tensor attentionRollout(VisionTransformer& net, const torch::Tensor& images, int64_t upTo, HeadFusion fusion)
{
    const auto depth = static_cast<int64_t>(net->blocks->size());
    checkIndex("block", upTo, depth, "blocks");
    std::vector<int64_t> blocks;
    for (int64_t i = 0; i <= upTo; ++i)
        if (blockAt(net, i)->mode().hasAttention())
            blocks.push_back(i);
    // A model whose blocks up to upTo are all MLP-only mixes no tokens: the identity.
    torch::Tensor rolled = torch::eye(net->config().numTokens(),
                                      torch::TensorOptions().dtype(images.scalar_type()).device(images.device()))
                               .expand({images.size(0), -1, -1})
                               .clone();
    if (blocks.empty())
        return rolled;
    observeAttention(net, images, blocks, [&](int64_t block, const torch::Tensor& probs) {
        rolled = rolloutStep(rolled, probs, fusion, blockAt(net, block)->mode());
    });
    return rolled;
}

torch::Tensor imageInput(const ModelBundle& model, const Dataset& data, int64_t index)
{
    if (index < 0 || index >= data.size())
        throw Error(data.spec, "has no image " + std::to_string(index) + " in its " + data.split + " split (it has " +
                                   std::to_string(data.size()) + ", 0.." + std::to_string(data.size() - 1) + ")");
    checkCompatible(data, model.meta.config);
    const auto& net = model.net;
    return modelInput(data.images.narrow(0, index, 1), model.meta.normalization, model.meta.config.imageSize)
        .to(net->parameters().front().device(), net->dtype());
}

AttentionMap attentionMap(ModelBundle& model, const torch::Tensor& image, const AttentionMapOptions& o)
{
    auto& net = model.net;
    const auto& cfg = net->config();
    const auto layout = tokenLayout(cfg);
    checkIndex("block", o.block, cfg.depth, "blocks");
    checkIndex("query token", o.query, layout.tokens(), "tokens");
    if (!o.rollout && o.head >= 0)
        checkIndex("head", o.head, cfg.numHeads, "heads");
    if (image.dim() != 4 || image.size(0) != 1)
        throw Error("attention map", "takes one image [1, C, H, W]");
    torch::NoGradGuard noGrad;
    net->eval();
    torch::Tensor row; // [T]
    if (o.rollout) {
        row = attentionRollout(net, image, o.block, o.fusion)[0][o.query];
    } else {
        AttentionRequest r{{o.block}, {}, {o.query}};
        if (o.head >= 0)
            r.heads = {o.head};
        row = attentionMaps(net, image, r)[0][0].mean(0)[0]; // [heads', 1, T] -> the mean over heads'
    }
    row = row.to(torch::kCPU, torch::kDouble).contiguous();
    const auto* v = row.data_ptr<double>();
    AttentionMap m;
    m.model = model.meta.source;
    m.block = o.block;
    m.head = o.rollout ? -1 : o.head;
    m.rollout = o.rollout;
    m.fusion = toString(o.fusion);
    m.query = o.query;
    m.queryName = layout.tokenName(o.query);
    m.layout = layout;
    m.special.assign(v, v + layout.prefix());
    m.patches.assign(v + layout.prefix(), v + layout.tokens());
    return m;
}

} // namespace mlpify::core
