#include "core/io/onnx_export.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/model/model_meta.h"
#include "core/model/vit.h"
#include "mlpify/build_config.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

namespace mlpify::core {

namespace {

// Appends nodes and initializers to a graph under unique names.
class GraphWriter {
public:
    explicit GraphWriter(onnx::GraphProto* graph) : m_graph(graph) {}

    // A float32 initializer holding t (any float dtype, any layout).
    std::string weight(const std::string& name, const torch::Tensor& t)
    {
        const auto data = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
        auto* init = m_graph->add_initializer();
        init->set_name(name);
        init->set_data_type(onnx::TensorProto::FLOAT);
        for (auto d : data.sizes())
            init->add_dims(d);
        init->set_raw_data(std::string(static_cast<const char*>(data.data_ptr()), data.numel() * sizeof(float)));
        return name;
    }
    // The weight of a Linear transposed, for MatMul on [..., in] inputs.
    std::string transposed(const std::string& name, const torch::Tensor& w) { return weight(name, w.t()); }

    std::string scalar(float v) { return weight(fresh("c"), torch::tensor(v)); }
    std::string ints(const std::vector<int64_t>& v, bool asScalar = false)
    {
        auto* init = m_graph->add_initializer();
        const auto name = fresh("i");
        init->set_name(name);
        init->set_data_type(onnx::TensorProto::INT64);
        if (!asScalar)
            init->add_dims(static_cast<int64_t>(v.size()));
        for (auto x : v)
            init->add_int64_data(x);
        return name;
    }

    onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs, std::string* out)
    {
        auto* n = m_graph->add_node();
        n->set_op_type(op);
        n->set_name(fresh(op));
        for (const auto& in : inputs)
            n->add_input(in);
        *out = fresh(op + "_out");
        n->add_output(*out);
        return n;
    }
    std::string op(const std::string& type, const std::vector<std::string>& inputs)
    {
        std::string out;
        node(type, inputs, &out);
        return out;
    }
    static void attr(onnx::NodeProto* n, const std::string& name, int64_t v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    static void attr(onnx::NodeProto* n, const std::string& name, float v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    }
    static void attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (auto x : v)
            a->add_ints(x);
    }

    std::string linear(const std::string& x, const torch::nn::Linear& lin, const std::string& name)
    {
        return op("Add",
                  {op("MatMul", {x, transposed(name + ".weight", lin->weight)}), weight(name + ".bias", lin->bias)});
    }
    std::string layerNorm(const std::string& x, const torch::nn::LayerNorm& ln, const std::string& name)
    {
        std::string out;
        auto* n = node("LayerNormalization",
                       {x, weight(name + ".weight", ln->weight), weight(name + ".bias", ln->bias)}, &out);
        attr(n, "axis", int64_t{-1});
        attr(n, "epsilon", static_cast<float>(ln->options.eps()));
        return out;
    }
    std::string transpose(const std::string& x, const std::vector<int64_t>& perm)
    {
        std::string out;
        attr(node("Transpose", {x}, &out), "perm", perm);
        return out;
    }
    std::string gather(const std::string& x, int64_t index, int64_t axis)
    {
        std::string out;
        attr(node("Gather", {x, ints({index}, true)}, &out), "axis", axis);
        return out;
    }
    std::string reshape(const std::string& x, const std::vector<int64_t>& shape)
    {
        return op("Reshape", {x, ints(shape)});
    }

private:
    std::string fresh(const std::string& stem) { return stem + "_" + std::to_string(m_count++); }

    onnx::GraphProto* m_graph;
    int64_t m_count = 0;
};

// Attn(LN1 x) of one block, [B, T, D].
std::string attentionBranch(GraphWriter& w, BlockImpl& block, const std::string& x, const ViTConfig& cfg,
                            const std::string& name)
{
    const auto heads = cfg.numHeads, hd = cfg.embedDim / cfg.numHeads;
    const auto h = w.layerNorm(x, block.norm1, name + ".norm1");
    const auto qkv = w.linear(h, block.attn->qkv, name + ".attn.qkv");
    // [B, T, 3, heads, hd] -> [3, B, heads, T, hd], the order of timm's qkv weight
    const auto parts = w.transpose(w.reshape(qkv, {0, 0, 3, heads, hd}), {2, 0, 3, 1, 4});
    const auto q = w.op("Mul", {w.gather(parts, 0, 0), w.scalar(static_cast<float>(1.0 / std::sqrt(double(hd))))});
    const auto k = w.gather(parts, 1, 0), v = w.gather(parts, 2, 0);
    std::string probs;
    GraphWriter::attr(w.node("Softmax", {w.op("MatMul", {q, w.transpose(k, {0, 1, 3, 2})})}, &probs), "axis",
                      int64_t{-1});
    const auto merged = w.reshape(w.transpose(w.op("MatMul", {probs, v}), {0, 2, 1, 3}), {0, 0, cfg.embedDim});
    const auto out = w.linear(merged, block.attn->proj, name + ".attn.proj");
    return block.ls1 ? w.op("Mul", {out, w.weight(name + ".ls1.gamma", block.ls1->gamma)}) : out;
}

// One residual branch f under its state: active x + f, diluting (2 - lambda) x + lambda f,
// removed 2x, skipped x (method.md sections 3 and 4; the MLP branch by the same rules).
std::string residual(GraphWriter& w, const std::string& x, BranchMode mode, double lambda,
                     const std::function<std::string()>& branch)
{
    switch (mode) {
    case BranchMode::Active:
        return w.op("Add", {x, branch()});
    case BranchMode::Diluting:
        return w.op("Add", {w.op("Mul", {x, w.scalar(static_cast<float>(2.0 - lambda))}),
                            w.op("Mul", {branch(), w.scalar(static_cast<float>(lambda))})});
    case BranchMode::Removed:
        return w.op("Mul", {x, w.scalar(2.0f)});
    case BranchMode::Skipped:
        break;
    }
    return x;
}

// One block: the attention branch, then MLP(LN2 x) with the exact (erf) GELU, each under its
// state. With LayerScale each branch's output is scaled by its gamma.
std::string blockGraph(GraphWriter& w, BlockImpl& block, const std::string& input, const ViTConfig& cfg,
                       const std::string& name)
{
    const auto& mode = block.mode();
    const auto x =
        residual(w, input, mode.mode, mode.lambda, [&] { return attentionBranch(w, block, input, cfg, name); });
    return residual(w, x, mode.mlp, mode.mlpLambda, [&] {
        const auto hidden = w.linear(w.layerNorm(x, block.norm2, name + ".norm2"), block.mlp->fc1, name + ".mlp.fc1");
        const auto erf = w.op("Erf", {w.op("Mul", {hidden, w.scalar(static_cast<float>(M_SQRT1_2))})});
        const auto gelu = w.op("Mul", {w.op("Mul", {hidden, w.scalar(0.5f)}), w.op("Add", {erf, w.scalar(1.0f)})});
        auto mlp = w.linear(gelu, block.mlp->fc2, name + ".mlp.fc2");
        return block.ls2 ? w.op("Mul", {mlp, w.weight(name + ".ls2.gamma", block.ls2->gamma)}) : mlp;
    });
}

void setTensorType(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims)
{
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = t->mutable_shape();
    for (auto d : dims) {
        auto* dim = shape->add_dim();
        if (d < 0)
            dim->set_dim_param("batch");
        else
            dim->set_dim_value(d);
    }
}

void addMeta(onnx::ModelProto& proto, const std::string& key, const std::string& value)
{
    auto* p = proto.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
}

} // namespace

std::string onnxModelBytes(const ModelBundle& model)
{
    auto& net = *model.net;
    const auto& cfg = net.config();
    if (net.mergeSchedule().active())
        throw Error("ONNX export", "the model merges tokens (ToMe " + net.mergeSchedule().describe() +
                                       "); export it with merging off");
    torch::NoGradGuard guard;

    onnx::ModelProto proto;
    proto.set_ir_version(8); // the IR of ONNX 1.10 to 1.12, which opset 17 needs at least
    proto.set_producer_name("MLPify");
    proto.set_producer_version(MLPIFY_VERSION);
    proto.set_domain("org.mlpify");
    proto.set_model_version(1);
    auto* opset = proto.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOnnxOpset);

    auto* graph = proto.mutable_graph();
    graph->set_name(cfg.name);
    setTensorType(graph->add_input(), "images", {-1, cfg.inChans, cfg.imageSize, cfg.imageSize});
    GraphWriter w(graph);

    // Patch embedding: the convolution with stride = kernel, then [B, D, N] -> [B, N, D].
    std::string conv;
    auto* c = w.node("Conv",
                     {"images", w.weight("patch_embed.proj.weight", net.patch_embed->proj->weight),
                      w.weight("patch_embed.proj.bias", net.patch_embed->proj->bias)},
                     &conv);
    GraphWriter::attr(c, "kernel_shape", std::vector<int64_t>{cfg.patchSize, cfg.patchSize});
    GraphWriter::attr(c, "strides", std::vector<int64_t>{cfg.patchSize, cfg.patchSize});
    const auto patches = w.transpose(w.reshape(conv, {0, cfg.embedDim, -1}), {0, 2, 1});

    // The class (and distillation) token expanded to the batch: shape [B, 1, D] from the input's B.
    const auto batch = w.op("Slice", {w.op("Shape", {patches}), w.ints({0}), w.ints({1})});
    std::string prefixShape;
    GraphWriter::attr(w.node("Concat", {batch, w.ints({1, cfg.embedDim})}, &prefixShape), "axis", int64_t{0});
    std::vector<std::string> parts{w.op("Expand", {w.weight("cls_token", net.cls_token), prefixShape})};
    if (cfg.distilled)
        parts.push_back(w.op("Expand", {w.weight("dist_token", net.dist_token), prefixShape}));
    parts.push_back(patches);
    std::string tokens;
    GraphWriter::attr(w.node("Concat", parts, &tokens), "axis", int64_t{1});
    auto x = w.op("Add", {tokens, w.weight("pos_embed", net.pos_embed)});
    const int64_t front = cfg.distilled ? 2 : 1, big = std::numeric_limits<int64_t>::max();
    if (cfg.registerTokens) { // after the class (and distillation) token, without a position
        std::string regShape;
        GraphWriter::attr(w.node("Concat", {batch, w.ints({cfg.registerTokens, cfg.embedDim})}, &regShape), "axis",
                          int64_t{0});
        std::string withRegisters;
        GraphWriter::attr(w.node("Concat",
                                 {w.op("Slice", {x, w.ints({0}), w.ints({front}), w.ints({1})}),
                                  w.op("Expand", {w.weight("reg_token", net.reg_token), regShape}),
                                  w.op("Slice", {x, w.ints({front}), w.ints({big}), w.ints({1})})},
                                 &withRegisters),
                          "axis", int64_t{1});
        x = withRegisters;
    }

    int64_t index = 0;
    for (const auto& block : *net.blocks)
        x = blockGraph(w, *block->as<Block>(), x, cfg, "blocks." + std::to_string(index++));

    const auto normed = w.layerNorm(x, net.norm, "norm");
    auto feature = w.gather(normed, 0, 1);
    if (cfg.headOnPatchMean) { // DINOv2: [class token, mean of the patch tokens]
        std::string mean, joined;
        auto* reduce =
            w.node("ReduceMean", {w.op("Slice", {normed, w.ints({cfg.numPrefixTokens()}), w.ints({big}), w.ints({1})})},
                   &mean);
        GraphWriter::attr(reduce, "axes", std::vector<int64_t>{1});
        GraphWriter::attr(reduce, "keepdims", int64_t{0});
        GraphWriter::attr(w.node("Concat", {feature, mean}, &joined), "axis", int64_t{1});
        feature = joined;
    }
    const bool features = !cfg.hasClassifier(); // a base model gives the class token's feature
    auto logits = features ? feature : w.linear(feature, net.head, "head");
    if (cfg.hasDistHead()) // DeiT's inference rule: the two heads averaged
        logits = w.op("Mul", {w.op("Add", {logits, w.linear(w.gather(normed, 1, 1), net.head_dist, "head_dist")}),
                              w.scalar(0.5f)});
    std::string out;
    const std::string outName = features ? "features" : "logits";
    w.node("Identity", {logits}, &out)->set_output(0, outName);
    setTensorType(graph->add_output(), outName, {-1, features ? cfg.embedDim : cfg.numClasses});

    // What a user needs beside the graph: the input's normalisation, the class names, the states.
    const auto meta = metaToJson(model.meta);
    std::vector<int64_t> mlpOnly;
    const auto modes = net.blockModes();
    for (size_t i = 0; i < modes.size(); ++i)
        if (!modes[i].hasAttention())
            mlpOnly.push_back(static_cast<int64_t>(i));
    std::vector<int64_t> attentionOnly;
    for (size_t i = 0; i < modes.size(); ++i)
        if (!modes[i].hasMlp())
            attentionOnly.push_back(static_cast<int64_t>(i));
    addMeta(proto, "input",
            "images: float32 [batch, " + std::to_string(cfg.inChans) + ", " + std::to_string(cfg.imageSize) + ", " +
                std::to_string(cfg.imageSize) + "], pixels in [0, 1] normalised as (x - mean) / std per channel");
    addMeta(proto, "normalization_mean", nlohmann::json(model.meta.normalization.mean).dump());
    addMeta(proto, "normalization_std", nlohmann::json(model.meta.normalization.std).dump());
    addMeta(proto, "class_names", nlohmann::json(model.meta.classNames).dump());
    addMeta(proto, "mlp_only_layers", nlohmann::json(mlpOnly).dump()); // no attention (gone blocks too)
    addMeta(proto, "mlp_removed_layers", nlohmann::json(attentionOnly).dump());
    addMeta(proto, "block_states", meta.at("blocks").dump());
    addMeta(proto, "mlpify_config", meta.at("config").dump());
    proto.set_doc_string(cfg.name + ": " + std::to_string(mlpOnly.size()) + " of " + std::to_string(cfg.depth) +
                         " blocks MLP-only, exported by MLPify");

    if (proto.ByteSizeLong() >= static_cast<size_t>(std::numeric_limits<int32_t>::max()))
        throw Error("ONNX export", "the model needs " + std::to_string(proto.ByteSizeLong() >> 20) +
                                       " MiB, over protobuf's 2 GiB limit for one file");
    try {
        onnx::checker::check_model(proto);
    } catch (const std::exception& e) { // a graph MLPify wrote wrong: a bug, named as such
        throw Error("ONNX export", std::string("the ONNX checker rejects the graph: ") + e.what());
    }
    return proto.SerializeAsString();
}

void exportOnnx(const ModelBundle& model, const std::string& path)
{
    writeBytesAtomically(path, onnxModelBytes(model));
}

bool onnxExportAvailable()
{
    return true;
}

} // namespace mlpify::core
