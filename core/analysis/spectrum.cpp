#include "core/analysis/spectrum.h"

#include "core/analysis/batches.h"
#include "core/device.h"
#include "core/error.h"
#include "core/json_file.h"

#include <cmath>
#include <map>

namespace mlpify::core {

std::string toString(SpectrumSource s)
{
    switch (s) {
    case SpectrumSource::BlockOutput:
        return "block";
    case SpectrumSource::Mlp:
        return "mlp";
    case SpectrumSource::Attention:
        return "attn";
    }
    return "block";
}

SpectrumSource spectrumSourceFromString(const std::string& s)
{
    for (auto v : {SpectrumSource::BlockOutput, SpectrumSource::Mlp, SpectrumSource::Attention})
        if (toString(v) == s)
            return v;
    throw Error("spectrum source '" + s + "'", "unknown (use block, mlp or attn)");
}

RingSpectrum::RingSpectrum(int64_t h, int64_t w, const SpectrumOptions& o)
    : m_half(static_cast<double>(h) / 2.0), m_logMean(o.logMean)
{
    if (h != w || h < 2)
        throw Error("spectrum", "token grid must be square, got " + std::to_string(h) + "x" + std::to_string(w));
    // fftshift puts frequency 0 at index floor(n/2); rings are sets of equal integer squared
    // distance from it (no float equality), kept up to normalised radius 1.
    const int64_t c = h / 2;
    const double maxD2 = m_half * m_half;
    std::map<int64_t, int64_t> ringIndex;
    std::vector<int64_t> allowed;
    if (o.officialRings) {
        if (h != 14)
            throw Error("spectrum", "the official 11 rings are defined for 14x14 token grids only");
        allowed = {0, 1, 2, 5, 8, 13, 18, 25, 32, 40, 49};
    }
    std::vector<int64_t> d2s;
    for (int64_t u = 0; u < h; ++u)
        for (int64_t v = 0; v < w; ++v) {
            const int64_t d2 = (u - c) * (u - c) + (v - c) * (v - c);
            if (static_cast<double>(d2) <= maxD2 + 1e-9 &&
                (allowed.empty() || std::find(allowed.begin(), allowed.end(), d2) != allowed.end()))
                ringIndex[d2] = 0;
        }
    for (auto& [d2, idx] : ringIndex) {
        idx = static_cast<int64_t>(m_d2.size());
        m_d2.push_back(d2);
    }
    std::vector<int64_t> ringOf(static_cast<size_t>(h * w), -1);
    for (int64_t u = 0; u < h; ++u)
        for (int64_t v = 0; v < w; ++v) {
            const int64_t d2 = (u - c) * (u - c) + (v - c) * (v - c);
            auto it = ringIndex.find(d2);
            if (it != ringIndex.end())
                ringOf[static_cast<size_t>(u * w + v)] = it->second;
        }
    m_ringOf = torch::tensor(ringOf, torch::kLong);
    m_sum.assign(m_d2.size(), 0.0);
    m_count.assign(m_d2.size(), 0);
}

void RingSpectrum::add(const torch::Tensor& maps)
{
    auto x = maps.detach().to(torch::kCPU, torch::kDouble);
    auto f = torch::fft::fftshift(torch::fft::fft2(x), {-2, -1}).abs(); // unnormalised, zero at the centre
    if (m_logMean)
        f = (f + 1e-6).log();
    auto flat = f.reshape({-1, f.size(-2) * f.size(-1)}); // [B*C, H*W]
    auto perPixel = flat.sum(0);                          // [H*W]
    const auto rows = flat.size(0);
    auto mask = m_ringOf >= 0;
    auto ring = m_ringOf.masked_select(mask);
    auto vals = perPixel.masked_select(mask);
    auto sums = torch::zeros({static_cast<int64_t>(m_d2.size())}, torch::kDouble).index_add_(0, ring, vals);
    auto counts = torch::bincount(ring, {}, static_cast<int64_t>(m_d2.size()));
    for (size_t r = 0; r < m_d2.size(); ++r) {
        m_sum[r] += sums[static_cast<int64_t>(r)].item<double>();
        m_count[r] += counts[static_cast<int64_t>(r)].item<int64_t>() * rows;
    }
}

std::vector<double> RingSpectrum::radii() const
{
    std::vector<double> r;
    for (auto d2 : m_d2)
        r.push_back(std::sqrt(static_cast<double>(d2)) / m_half);
    return r;
}

std::vector<double> RingSpectrum::logAmplitude() const
{
    std::vector<double> out;
    for (size_t r = 0; r < m_d2.size(); ++r) {
        const double mean = m_count[r] ? m_sum[r] / static_cast<double>(m_count[r]) : 0.0;
        out.push_back(m_logMean ? mean : std::log(mean));
    }
    return out;
}

std::vector<double> RingSpectrum::relative() const
{
    auto la = logAmplitude();
    const double zero = la.empty() ? 0.0 : la.front();
    for (auto& v : la)
        v -= zero;
    return la;
}

SpectrumResult computeSpectrum(ModelBundle& model, const Dataset& calibration, const SpectrumOptions& o,
                               Progress& progress, const CancelToken* cancel)
{
    model.net->requireEveryToken("the spectrum analysis");
    const auto& cfg = model.meta.config;
    const auto depth = static_cast<size_t>(cfg.depth);
    const auto grid = cfg.gridSize();
    const auto prefix = cfg.numPrefixTokens();
    std::vector<RingSpectrum> rings;
    for (size_t b = 0; b < depth; ++b)
        rings.emplace_back(grid, grid, o);
    std::vector<bool> seen(depth, false);
    forEachBatch(model, calibration, o.batchSize, resolveDevice(o.device), progress, "spectrum", cancel,
                 [&](const torch::Tensor& images, int64_t) {
                     ForwardTrace trace;
                     model.net->forwardTokens(images, &trace);
                     for (size_t b = 0; b < depth; ++b) {
                         const auto& t = trace.blocks[b];
                         const auto& tokens = o.source == SpectrumSource::BlockOutput ? t.out
                                              : o.source == SpectrumSource::Mlp       ? t.mlp
                                                                                      : t.attn;
                         if (!tokens.defined())
                             continue;                                         // no attention ran in this block
                         auto patches = tokens.narrow(1, prefix, grid * grid); // drop CLS (and DIST)
                         auto maps = patches.transpose(1, 2).reshape({tokens.size(0), tokens.size(2), grid, grid});
                         rings[b].add(maps);
                         seen[b] = true;
                     }
                 });
    SpectrumResult r;
    r.model = model.meta.source;
    r.grid = grid;
    for (size_t b = 0; b < depth; ++b)
        if (seen[b])
            r.blocks.push_back({static_cast<int64_t>(b), rings[b].radii(), rings[b].relative()});
    r.settings = {{"source", toString(o.source)},
                  {"rings", o.officialRings ? "official 11" : "every distinct radius up to 1"},
                  {"average", o.logMean ? "mean of ln(|F| + 1e-6) (Park & Kim)" : "ln of mean |F|"},
                  {"units", "natural log of amplitude relative to frequency 0"}};
    return r;
}

void to_json(nlohmann::json& j, const SpectrumResult& r)
{
    auto blocks = nlohmann::json::array();
    for (const auto& b : r.blocks)
        blocks.push_back({{"block", b.block}, {"radius", b.radius}, {"dlogA", b.dlogA}});
    j = {{"kind", "spectrum"}, {"model", r.model}, {"grid", r.grid}, {"settings", r.settings}, {"blocks", blocks}};
}

void from_json(const nlohmann::json& j, SpectrumResult& r)
{
    r.model = j.value("model", "");
    r.grid = jsonInteger(j, "grid", int64_t{0});
    r.settings = j.value("settings", nlohmann::json::object());
    r.blocks.clear();
    for (const auto& b : j.at("blocks"))
        r.blocks.push_back({jsonInteger(b.at("block")), b.at("radius").get<std::vector<double>>(),
                            b.at("dlogA").get<std::vector<double>>()});
}

} // namespace mlpify::core
