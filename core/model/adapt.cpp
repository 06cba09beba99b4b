#include "core/model/adapt.h"

#include "core/error.h"
#include "core/setting.h"

namespace mlpify::core {

namespace F = torch::nn::functional;

torch::Tensor resamplePositionEmbedding(const torch::Tensor& pos, int64_t prefix, int64_t grid)
{
    const auto patches = pos.size(1) - prefix;
    const auto old = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(patches))));
    if (old * old != patches)
        throw Error("position embedding", std::to_string(patches) + " patch rows are not a square grid");
    if (old == grid)
        return pos.clone();
    const auto d = pos.size(2);
    auto grid2d = pos.narrow(1, prefix, patches).reshape({1, old, old, d}).permute({0, 3, 1, 2});
    auto resampled = F::interpolate(grid2d, F::InterpolateFuncOptions()
                                                .size(std::vector<int64_t>{grid, grid})
                                                .mode(torch::kBicubic)
                                                .align_corners(false)
                                                .antialias(true));
    resampled = resampled.permute({0, 2, 3, 1}).reshape({1, grid * grid, d});
    return torch::cat({pos.narrow(1, 0, prefix), resampled}, 1);
}

void setInputSize(ModelBundle& model, int64_t imageSize)
{
    auto cfg = model.meta.config;
    if (imageSize <= 0 || imageSize % cfg.patchSize != 0)
        throw Error(settingName(Setting::InputSize) + " " + std::to_string(imageSize),
                    "must be a positive multiple of the patch size " + std::to_string(cfg.patchSize));
    if (imageSize == cfg.imageSize)
        return;
    const auto oldSize = cfg.imageSize;
    cfg.imageSize = imageSize;
    auto state = model.net->stateDict();
    torch::NoGradGuard guard;
    state["pos_embed"] =
        resamplePositionEmbedding(state.at("pos_embed"), cfg.numPositions() - cfg.numPatches(), cfg.gridSize());
    VisionTransformer net(cfg);
    net->setBlockModes(model.net->blockModes());
    net->loadStateDict(state, model.meta.source);
    net->to(model.net->dtype());
    model.net = net;
    model.meta.config = cfg;
    model.meta.training["input_size"] = {
        {"from", oldSize}, {"to", imageSize}, {"position_embedding", "bicubic over the patch grid, antialiased"}};
}

void requireClassifier(const ViTConfig& config, const std::string& what)
{
    if (!config.hasClassifier())
        throw Error("model '" + config.name + "'", "has no classifier (a base model), which " + what +
                                                       " needs; dilute or train it with " +
                                                       settingName(Setting::NewHead) + " to give it one");
}

void replaceHead(ModelBundle& model, int64_t classes, const std::vector<std::string>& names)
{
    if (classes <= 0)
        throw Error("new head", "needs at least one class");
    auto& net = *model.net;
    const auto options = torch::TensorOptions().dtype(net.dtype()).device(net.cls_token.device());
    auto fresh = [&](int64_t in) {
        torch::nn::Linear lin(in, classes);
        lin->to(options.device_opt().value(), options.dtype().toScalarType());
        torch::NoGradGuard guard;
        const double std = 0.02;
        lin->weight.normal_(0.0, std).clamp_(-2 * std, 2 * std);
        lin->bias.zero_();
        return lin;
    };
    const auto before = model.meta.config.numClasses;
    auto cfg = model.meta.config;
    cfg.numClasses = classes;
    auto put = [&](const char* name, torch::nn::Linear& slot, int64_t in) { // a base model has none yet
        slot = slot ? net.replace_module(name, fresh(in)) : net.register_module(name, fresh(in));
    };
    put("head", net.head, cfg.headInputDim());
    if (cfg.hasDistHead())
        put("head_dist", net.head_dist, cfg.embedDim);
    net.setConfig(cfg);
    model.meta.config = cfg;
    model.meta.classNames = names;
    model.meta.training["new_head"] = {{"classes_before", before},
                                       {"classes", classes},
                                       {"heads", cfg.hasDistHead() ? 2 : 1},
                                       {"init", "normal, std 0.02, clamped at 2 std; bias 0 (timm, DeiT)"}};
}

} // namespace mlpify::core
