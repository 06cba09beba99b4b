#include "core/analysis/attention_stats.h"

#include "core/analysis/attention_maps.h"
#include "core/analysis/batches.h"
#include "core/device.h"
#include "core/error.h"
#include "core/json_file.h"

#include <cmath>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

namespace mlpify::core {

namespace {
// A spread over fewer than two images is not a number; JSON has no NaN, so it is null there.
nlohmann::json number(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

double numberFrom(const nlohmann::json& v)
{
    return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
}

nlohmann::json numbers(const std::vector<double>& v)
{
    auto a = nlohmann::json::array();
    for (auto x : v)
        a.push_back(number(x));
    return a;
}

std::vector<double> numbersFrom(const nlohmann::json& a)
{
    std::vector<double> v;
    for (const auto& x : a)
        v.push_back(numberFrom(x));
    return v;
}

nlohmann::json headJson(const HeadStatistic& h)
{
    return {{"mean", numbers(h.mean)}, {"spread", numbers(h.spread)}};
}

HeadStatistic headFrom(const nlohmann::json& j)
{
    return {numbersFrom(j.at("mean")), numbersFrom(j.at("spread"))};
}

std::vector<double> toVector(const torch::Tensor& t)
{
    auto c = t.to(torch::kCPU, torch::kDouble).contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// values [N, heads]: the mean over images per head and its standard deviation (ddof 1).
HeadStatistic perHead(const torch::Tensor& values)
{
    const bool many = values.size(0) > 1;
    auto spread = many ? values.std(0, /*unbiased=*/true)
                       : torch::full({values.size(1)}, std::numeric_limits<double>::quiet_NaN(), values.options());
    return {toVector(values.mean(0)), toVector(spread)};
}

double spreadOfMean(const torch::Tensor& values)
{
    return values.size(0) > 1 ? values.mean(1).std(0, true).item<double>() : std::numeric_limits<double>::quiet_NaN();
}
} // namespace

torch::Tensor patchDistances(const TokenLayout& layout, const torch::TensorOptions& options)
{
    const auto g = layout.grid;
    auto idx = torch::arange(g * g, options.dtype(torch::kDouble));
    auto rows = torch::floor(idx / static_cast<double>(g));
    auto cols = idx - rows * static_cast<double>(g);
    auto dr = rows.unsqueeze(1) - rows.unsqueeze(0);
    auto dc = cols.unsqueeze(1) - cols.unsqueeze(0);
    return (torch::sqrt(dr * dr + dc * dc) * static_cast<double>(layout.patchSize)).to(options.dtype());
}

torch::Tensor meanAttentionDistance(const torch::Tensor& probs, const TokenLayout& layout)
{
    const auto pre = layout.prefix(), p = layout.grid * layout.grid;
    if (probs.dim() != 4 || probs.size(-1) != layout.tokens() || probs.size(-2) != layout.tokens())
        throw Error("mean attention distance", "needs every query row of every token, [B, heads, " +
                                                   std::to_string(layout.tokens()) + ", " +
                                                   std::to_string(layout.tokens()) + "]");
    auto patches = probs.narrow(2, pre, p).narrow(3, pre, p);
    // A query whose attention underflowed to 0 on every patch (all of it on special tokens)
    // counts as distance 0 rather than 0/0.
    auto weights = patches / patches.sum(-1, /*keepdim=*/true).clamp_min(1e-30);
    return (weights * patchDistances(layout, probs.options())).sum(-1).mean(-1);
}

torch::Tensor attentionRowEntropy(const torch::Tensor& probs)
{
    return -torch::xlogy(probs, probs).sum(-1).mean(-1);
}

torch::Tensor specialTokenShare(const torch::Tensor& probs, const TokenLayout& layout)
{
    const auto pre = layout.prefix();
    return probs.narrow(2, pre, layout.grid * layout.grid).narrow(3, 0, pre).sum(-1).mean(-1);
}

AttentionStatistics attentionStatistics(ModelBundle& model, const Dataset& images, const AttentionStatsOptions& o,
                                        Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("the attention statistics");
    const auto& cfg = model.meta.config;
    const auto layout = tokenLayout(cfg);
    std::vector<int64_t> blocks;
    AttentionStatistics s;
    for (int64_t b = 0; b < cfg.depth; ++b)
        (model.net->blocks[static_cast<size_t>(b)]->as<Block>()->mode().hasAttention() ? blocks : s.removedBlocks)
            .push_back(b);
    if (images.size() < 1)
        throw Error(images.spec, "has no images to measure attention on");
    // Per image, block (of those with attention) and head: distance, entropy, special share.
    auto values = torch::zeros({images.size(), static_cast<int64_t>(blocks.size()), cfg.numHeads, 3}, torch::kDouble);
    if (!blocks.empty()) {
        std::map<int64_t, int64_t> slotOf;
        for (size_t k = 0; k < blocks.size(); ++k)
            slotOf[blocks[k]] = static_cast<int64_t>(k);
        forEachBatchParallel(model, images, o.batchSize, resolveDevice(o.device), progress, "attention statistics",
                             cancel, [&](const torch::Tensor& batch, int64_t offset, size_t) {
                                 auto rows = values.narrow(0, offset, batch.size(0));
                                 observeAttention(model.net, batch, blocks,
                                                  [&](int64_t block, const torch::Tensor& probs) {
                                                      auto out = rows.select(1, slotOf.at(block));
                                                      out.select(-1, 0).copy_(meanAttentionDistance(probs, layout));
                                                      out.select(-1, 1).copy_(attentionRowEntropy(probs));
                                                      out.select(-1, 2).copy_(specialTokenShare(probs, layout));
                                                  });
                             });
    }
    s.model = model.meta.source;
    s.images = images.size();
    s.layout = layout;
    s.maxEntropy = std::log(static_cast<double>(layout.tokens()));
    s.uniformDistance = patchDistances(layout, torch::kDouble).mean().item<double>();
    for (size_t k = 0; k < blocks.size(); ++k) {
        const auto v = values.select(1, static_cast<int64_t>(k)); // [N, heads, 3]
        BlockAttentionStats b;
        b.block = blocks[k];
        b.state = toString(model.net->blocks[static_cast<size_t>(blocks[k])]->as<Block>()->mode().mode);
        b.distance = perHead(v.select(-1, 0));
        b.entropy = perHead(v.select(-1, 1));
        b.specialShare = perHead(v.select(-1, 2));
        b.meanDistance = v.select(-1, 0).mean().item<double>();
        b.distanceSpread = spreadOfMean(v.select(-1, 0));
        b.meanEntropy = v.select(-1, 1).mean().item<double>();
        b.entropySpread = spreadOfMean(v.select(-1, 1));
        s.blocks.push_back(std::move(b));
    }
    s.settings = {{"distance", "attention-weighted mean distance between patch centres, in pixels, the weights "
                               "renormalised over the patch keys, averaged over the patch queries"},
                  {"entropy", "entropy of each attention row in nats, averaged over every query row"},
                  {"spread", "standard deviation over images (ddof 1)"},
                  {"data", images.spec},
                  {"split", images.split}};
    return s;
}

const BlockAttentionStats* AttentionStatistics::find(int64_t block) const
{
    for (const auto& b : blocks)
        if (b.block == block)
            return &b;
    return nullptr;
}

void to_json(nlohmann::json& j, const AttentionStatistics& s)
{
    auto blocks = nlohmann::json::array();
    for (const auto& b : s.blocks)
        blocks.push_back({{"block", b.block},
                          {"state", b.state},
                          {"distance_px", headJson(b.distance)},
                          {"entropy_nats", headJson(b.entropy)},
                          {"special_share", headJson(b.specialShare)},
                          {"mean_distance_px", number(b.meanDistance)},
                          {"distance_spread", number(b.distanceSpread)},
                          {"mean_entropy_nats", number(b.meanEntropy)},
                          {"entropy_spread", number(b.entropySpread)}});
    j = {{"kind", "attention_statistics"},
         {"model", s.model},
         {"images", s.images},
         {"layout", s.layout},
         {"max_entropy_nats", s.maxEntropy},
         {"uniform_distance_px", s.uniformDistance},
         {"blocks", blocks},
         {"removed_blocks", s.removedBlocks},
         {"settings", s.settings}};
}

void from_json(const nlohmann::json& j, AttentionStatistics& s)
{
    s.model = j.value("model", "");
    s.images = jsonInteger(j.at("images"));
    s.layout = j.at("layout").get<TokenLayout>();
    s.maxEntropy = j.at("max_entropy_nats").get<double>();
    s.uniformDistance = j.value("uniform_distance_px", 0.0);
    s.removedBlocks = jsonIntegers(j.value("removed_blocks", nlohmann::json::array()));
    s.settings = j.value("settings", nlohmann::json::object());
    s.blocks.clear();
    for (const auto& b : j.at("blocks")) {
        BlockAttentionStats x;
        x.block = jsonInteger(b.at("block"));
        x.state = b.value("state", "active");
        x.distance = headFrom(b.at("distance_px"));
        x.entropy = headFrom(b.at("entropy_nats"));
        x.specialShare = headFrom(b.at("special_share"));
        x.meanDistance = numberFrom(b.at("mean_distance_px"));
        x.distanceSpread = numberFrom(b.at("distance_spread"));
        x.meanEntropy = numberFrom(b.at("mean_entropy_nats"));
        x.entropySpread = numberFrom(b.at("entropy_spread"));
        s.blocks.push_back(std::move(x));
    }
}

std::string attentionStatisticsCsv(const std::vector<AttentionStatistics>& models)
{
    std::ostringstream csv;
    csv << "model,block,head,distance_px,distance_spread,entropy_nats,entropy_spread,special_share\n";
    auto cell = [](double v) {
        std::ostringstream c;
        if (std::isfinite(v))
            c << std::setprecision(10) << v;
        return c.str();
    };
    for (const auto& s : models) {
        for (const auto& b : s.blocks)
            for (size_t h = 0; h < b.distance.mean.size(); ++h)
                csv << s.model << "," << b.block << "," << h << "," << cell(b.distance.mean[h]) << ","
                    << cell(b.distance.spread[h]) << "," << cell(b.entropy.mean[h]) << "," << cell(b.entropy.spread[h])
                    << "," << cell(b.specialShare.mean[h]) << "\n";
        for (const auto& b : s.blocks) {
            double share = 0.0;
            for (auto v : b.specialShare.mean)
                share += v / static_cast<double>(b.specialShare.mean.size());
            csv << s.model << "," << b.block << ",mean," << cell(b.meanDistance) << "," << cell(b.distanceSpread) << ","
                << cell(b.meanEntropy) << "," << cell(b.entropySpread) << "," << cell(share) << "\n";
        }
    }
    return csv.str();
}

} // namespace mlpify::core
