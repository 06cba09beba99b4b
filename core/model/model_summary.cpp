#include "core/model/model_summary.h"

#include "core/model/model_bundle.h"
#include "core/setting.h"

#include <iomanip>
#include <sstream>

namespace mlpify::core {

namespace {
int64_t count(const torch::nn::Module& m)
{
    int64_t n = 0;
    for (const auto& p : m.parameters())
        n += p.numel();
    return n;
}
} // namespace

ModelSummary summarize(const ModelBundle& model)
{
    ModelSummary s;
    s.name = model.meta.config.name;
    s.source = model.meta.source;
    s.config = model.meta.config;
    s.totalParams = model.net->parameterCount();
    torch::nn::ModuleList blocks = model.net->blocks; // a non-const handle to the same modules
    for (size_t i = 0; i < blocks->size(); ++i) {
        auto* block = blocks[i]->as<Block>();
        BlockSummary b;
        b.index = static_cast<int64_t>(i);
        b.mode = block->mode();
        if (block->mode().hasAttention())
            b.attentionParams = count(*block->norm1) + count(*block->attn);
        if (block->mode().hasMlp())
            b.mlpParams = count(*block->norm2) + count(*block->mlp);
        s.blocks.push_back(b);
    }
    if (model.meta.metrics.contains("test_top1")) {
        s.testTop1 = model.meta.metrics.at("test_top1").get<double>();
        s.metricsData = model.meta.metrics.value("data", "");
    }
    s.training = model.meta.training;
    return s;
}

nlohmann::json summaryToJson(const ModelSummary& s)
{
    nlohmann::json blocks = nlohmann::json::array();
    for (const auto& b : s.blocks)
        blocks.push_back({{"index", b.index},
                          {"state", b.mode},
                          {"attention_params", b.attentionParams},
                          {"mlp_params", b.mlpParams}});
    nlohmann::json j = {{"name", s.name},
                        {"source", s.source},
                        {"config", s.config},
                        {"parameters", s.totalParams},
                        {"blocks", blocks}};
    if (s.testTop1)
        j["test_top1"] = {{"value", *s.testTop1}, {"data", s.metricsData}};
    return j;
}

std::string summaryToText(const ModelSummary& s)
{
    std::ostringstream o;
    const auto& c = s.config;
    o << "model      " << s.name << "  (" << s.source << ")\n"
      << "input      " << c.inChans << "x" << c.imageSize << "x" << c.imageSize << ", patch " << c.patchSize << ", "
      << c.numTokens() << " tokens\n"
      << "width      " << c.embedDim << ", " << c.numHeads << " heads, MLP " << c.mlpHidden << ", " << c.depth
      << " blocks"
      << (c.hasDistHead() ? ", distilled"
          : c.distilled   ? ", distillation token (class head only)"
                          : "")
      << (c.layerScale ? ", LayerScale" : "")
      << (c.registerTokens ? ", " + std::to_string(c.registerTokens) + " register tokens" : std::string())
      << (c.headOnPatchMean ? ", head on [class, mean patch]" : "") << "\n"
      << "classes    " << c.numClasses
      << (c.hasClassifier() ? "" : " (no classifier: a base model; " + settingName(Setting::NewHead) + " gives one)")
      << "\n"
      << "parameters " << s.totalParams << "\n";
    if (s.testTop1)
        o << "top-1      " << std::fixed << std::setprecision(2) << 100.0 * *s.testTop1 << "% on " << s.metricsData
          << " (test split)\n";
    o << "block  attention        mlp              attn params  mlp params\n";
    auto state = [](BranchMode mode, double lambda) {
        std::string text = toString(mode);
        if (mode == BranchMode::Diluting) {
            std::ostringstream l;
            l << std::setprecision(3) << lambda;
            text += " (lambda " + l.str() + ")";
        }
        return text;
    };
    for (const auto& b : s.blocks)
        o << std::setw(5) << b.index << "  " << std::left << std::setw(16) << state(b.mode.mode, b.mode.lambda) << " "
          << std::setw(16) << state(b.mode.mlp, b.mode.mlpLambda) << std::right << std::setw(12) << b.attentionParams
          << std::setw(12) << b.mlpParams << "\n";
    return o.str();
}

} // namespace mlpify::core
