#include "core/analysis/entropy_profile.h"

#include "core/analysis/batches.h"
#include "core/device.h"
#include "core/error.h"
#include "core/json_file.h"

#include <cmath>

namespace mlpify::core {

namespace {
// Fold of each sample is its position in the calibration set modulo the fold count; the set
// itself is a seeded random draw, so the folds are seeded disjoint subsets.
struct Accumulators {
    std::vector<ChannelMoments> folds;
    ChannelMoments total() const
    {
        ChannelMoments t;
        for (const auto& f : folds)
            t.merge(f);
        return t;
    }
};

double foldSpread(const Accumulators& a, const EntropyOptions& o)
{
    std::vector<double> v;
    for (const auto& f : a.folds)
        if (f.count() > o.ddof)
            v.push_back(f.entropy(o));
    if (v.size() < 2)
        return 0.0;
    double mean = 0;
    for (double x : v)
        mean += x;
    mean /= static_cast<double>(v.size());
    double ss = 0;
    for (double x : v)
        ss += (x - mean) * (x - mean);
    return std::sqrt(ss / static_cast<double>(v.size() - 1));
}
} // namespace

EntropyProfile profileEntropy(ModelBundle& model, const Dataset& calibration, const ProfileOptions& o,
                              Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("the entropy analysis");
    if (o.folds < 1)
        throw Error("entropy profile", "folds must be at least 1");
    const auto depth = static_cast<size_t>(model.meta.config.depth);
    const auto prefix = model.meta.config.numPrefixTokens();
    // One set of accumulators per slot (batches run side by side on a CPU), merged below.
    struct Slot {
        std::vector<Accumulators> attn, mlp, out;
    };
    const auto device = resolveDevice(o.device);
    std::vector<Slot> slots(parallelSlots(device));
    for (auto& s : slots)
        for (auto* acc : {&s.attn, &s.mlp, &s.out}) {
            acc->resize(depth);
            for (auto& a : *acc)
                a.folds.resize(static_cast<size_t>(o.folds));
        }

    forEachBatchParallel(
        model, calibration, o.batchSize, device, progress, "entropy profile", cancel,
        [&](const torch::Tensor& images, int64_t offset, size_t slot) {
            auto& s = slots[slot];
            ForwardTrace trace;
            model.net->forwardTokens(images, &trace);
            const auto n = images.size(0);
            for (int f = 0; f < o.folds; ++f) {
                // samples offset+i with (offset+i) % folds == f
                const int64_t first = ((f - offset) % o.folds + o.folds) % o.folds;
                if (first >= n)
                    continue;
                auto idx = torch::arange(first, n, o.folds, torch::kLong).to(images.device());
                for (size_t b = 0; b < depth; ++b) {
                    const auto& t = trace.blocks[b];
                    if (t.attn.defined())
                        s.attn[b].folds[f].add(selectTokens(t.attn.index_select(0, idx), o.tokens, prefix));
                    if (t.mlp.defined()) // an attention-only or gone block has none
                        s.mlp[b].folds[f].add(selectTokens(t.mlp.index_select(0, idx), o.tokens, prefix));
                    s.out[b].folds[f].add(selectTokens(t.out.index_select(0, idx), o.tokens, prefix));
                }
            }
        });
    std::vector<Accumulators> attn(depth), mlp(depth), out(depth);
    for (size_t b = 0; b < depth; ++b)
        for (auto [all, part] : {std::pair{&attn, &Slot::attn}, {&mlp, &Slot::mlp}, {&out, &Slot::out}}) {
            (*all)[b].folds.resize(static_cast<size_t>(o.folds));
            for (auto& s : slots)
                for (size_t f = 0; f < static_cast<size_t>(o.folds); ++f)
                    (*all)[b].folds[f].merge((s.*part)[b].folds[f]);
        }

    EntropyProfile p;
    const auto modes = model.net->blockModes();
    for (size_t b = 0; b < depth; ++b) {
        BlockEntropy e;
        e.block = static_cast<int64_t>(b);
        e.mode = modes[b];
        if (attn[b].total().count() > 0) {
            e.attn = attn[b].total().entropy(o.entropy);
            e.attnSpread = foldSpread(attn[b], o.entropy);
        }
        if (mlp[b].total().count() > 0) {
            e.mlp = mlp[b].total().entropy(o.entropy);
            e.mlpSpread = foldSpread(mlp[b], o.entropy);
        } else { // no MLP ran: no value, written as null
            e.mlp = std::nan("");
            e.mlpSpread = 0;
        }
        e.out = out[b].total().entropy(o.entropy);
        e.outSpread = foldSpread(out[b], o.entropy);
        p.blocks.push_back(e);
    }
    p.units = o.entropy.units();
    p.settings = {
        {"tokens", toString(o.tokens)},
        {"log_base", o.entropy.logBase},
        {"ddof", o.entropy.ddof},
        {"folds", o.folds},
        {"estimator", "sum over channels of log(std), Gaussian with independent channels, constants dropped"}};
    p.provenance = {{"model", model.meta.source}, {"model_name", model.meta.config.name}};
    return p;
}

namespace {
nlohmann::json optionalJson(const std::optional<double>& v)
{
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
std::optional<double> optionalFrom(const nlohmann::json& j)
{
    return j.is_null() ? std::nullopt : std::optional<double>(j.get<double>());
}
// JSON has no infinities: -inf (a constant channel) is written as the string "-inf".
nlohmann::json number(double v)
{
    if (std::isnan(v))
        return nullptr;
    return std::isinf(v) ? nlohmann::json(v < 0 ? "-inf" : "inf") : nlohmann::json(v);
}
double numberFrom(const nlohmann::json& j)
{
    if (j.is_null())
        return std::nan("");
    if (j.is_string())
        return j.get<std::string>() == "-inf" ? -INFINITY : INFINITY;
    return j.get<double>();
}
} // namespace

void to_json(nlohmann::json& j, const EntropyProfile& p)
{
    auto blocks = nlohmann::json::array();
    for (const auto& b : p.blocks)
        blocks.push_back({{"block", b.block},
                          {"state", b.mode},
                          {"attn", b.attn ? number(*b.attn) : nlohmann::json(nullptr)},
                          {"mlp", number(b.mlp)},
                          {"out", number(b.out)},
                          {"attn_spread", optionalJson(b.attnSpread)},
                          {"mlp_spread", b.mlpSpread},
                          {"out_spread", b.outSpread}});
    j = {{"kind", "entropy_profile"},
         {"units", p.units},
         {"settings", p.settings},
         {"provenance", p.provenance},
         {"blocks", blocks}};
}

void from_json(const nlohmann::json& j, EntropyProfile& p)
{
    p.units = j.at("units").get<std::string>();
    p.settings = j.at("settings");
    p.provenance = j.at("provenance");
    p.blocks.clear();
    for (const auto& b : j.at("blocks")) {
        BlockEntropy e;
        e.block = jsonInteger(b.at("block"));
        e.mode = b.at("state").get<BlockMode>();
        e.attn = b.at("attn").is_null() ? std::nullopt : std::optional<double>(numberFrom(b.at("attn")));
        e.mlp = numberFrom(b.at("mlp"));
        e.out = numberFrom(b.at("out"));
        e.attnSpread = optionalFrom(b.at("attn_spread"));
        e.mlpSpread = b.at("mlp_spread").get<double>();
        e.outSpread = b.at("out_spread").get<double>();
        p.blocks.push_back(e);
    }
}

} // namespace mlpify::core
