#include "core/analysis/entropy.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>

namespace mlpify::core {

std::string EntropyOptions::units() const
{
    if (logBase == 2.0)
        return "bits";
    if (std::abs(logBase - std::exp(1.0)) < 1e-12)
        return "nats";
    std::ostringstream s;
    s << "log" << logBase << " units";
    return s.str();
}

void ChannelMoments::add(const torch::Tensor& samplesIn)
{
    if (samplesIn.dim() != 2)
        throw Error("entropy estimator", "samples must be [n, channels]");
    auto x = samplesIn.detach().to(torch::kCPU, torch::kDouble);
    const int64_t nb = x.size(0);
    if (nb == 0)
        return;
    auto meanB = x.mean(0);
    auto m2B = (x - meanB).pow(2).sum(0);
    ChannelMoments b;
    b.m_n = nb;
    b.m_mean = meanB;
    b.m_m2 = m2B;
    merge(b);
}

void ChannelMoments::merge(const ChannelMoments& o)
{
    if (o.m_n == 0)
        return;
    if (m_n == 0) {
        m_n = o.m_n;
        m_mean = o.m_mean.clone();
        m_m2 = o.m_m2.clone();
        return;
    }
    if (o.channels() != channels())
        throw Error("entropy estimator", "channel count changed between batches");
    const double na = static_cast<double>(m_n), nb = static_cast<double>(o.m_n), n = na + nb;
    auto delta = o.m_mean - m_mean;
    // Chan et al.: exact pairwise combination of mean and M2, stable in float64.
    m_m2 = m_m2 + o.m_m2 + delta.pow(2) * (na * nb / n);
    m_mean = m_mean + delta * (nb / n);
    m_n += o.m_n;
}

torch::Tensor ChannelMoments::stddev(int ddof) const
{
    if (m_n <= ddof)
        throw Error("entropy estimator",
                    "needs more than " + std::to_string(ddof) + " samples, got " + std::to_string(m_n));
    return (m_m2 / static_cast<double>(m_n - ddof)).clamp_min(0).sqrt();
}

double ChannelMoments::entropy(const EntropyOptions& options) const
{
    auto sigma = stddev(options.ddof);
    if ((sigma == 0).any().item<bool>())
        return -std::numeric_limits<double>::infinity();
    return sigma.log().sum().item<double>() / std::log(options.logBase);
}

void ResampledMoments::add(const torch::Tensor& samplesIn, const torch::Tensor& weightsIn)
{
    if (samplesIn.dim() != 2 || weightsIn.dim() != 2 || weightsIn.size(1) != samplesIn.size(0))
        throw Error("entropy estimator", "resample weights must be [resamples, n] for samples [n, channels]");
    if (samplesIn.size(0) == 0)
        return;
    auto x = samplesIn.detach().to(torch::kCPU, torch::kDouble);
    auto w = weightsIn.to(torch::kCPU, torch::kDouble);
    // Centred on the batch's plain mean first, so the weighted sums of squares cancel little.
    auto xs = x - x.mean(0);
    auto n = w.sum(1);                         // [B]
    auto safe = n.clamp_min(1.0).unsqueeze(1); // resamples that drew none of these
    auto meanS = torch::mm(w, xs) / safe;      // [B, C]
    auto m2 = (torch::mm(w, xs * xs) - meanS.pow(2) * n.unsqueeze(1)).clamp_min(0);
    ResampledMoments b;
    b.m_n = n;
    b.m_mean = meanS + x.mean(0);
    b.m_m2 = m2;
    merge(b);
}

void ResampledMoments::merge(const ResampledMoments& o)
{
    if (!o.m_n.defined())
        return;
    if (!m_n.defined()) {
        m_n = o.m_n.clone();
        m_mean = o.m_mean.clone();
        m_m2 = o.m_m2.clone();
        return;
    }
    if (o.m_mean.sizes() != m_mean.sizes())
        throw Error("entropy estimator", "resamples or channels changed between batches");
    // Chan et al. per resample; a side with no weight leaves the other unchanged.
    auto na = m_n.unsqueeze(1), nb = o.m_n.unsqueeze(1), n = (na + nb).clamp_min(1e-300);
    auto delta = o.m_mean - m_mean;
    m_m2 = m_m2 + o.m_m2 + delta.pow(2) * (na * nb / n);
    m_mean = m_mean + delta * (nb / n);
    m_n = m_n + o.m_n;
}

std::vector<double> ResampledMoments::entropies(const EntropyOptions& options) const
{
    std::vector<double> out;
    if (!m_n.defined())
        return out;
    auto n = m_n.contiguous();
    auto logBase = std::log(options.logBase);
    for (int64_t b = 0; b < n.size(0); ++b) {
        const double count = n[b].item<double>();
        if (count <= options.ddof)
            throw Error("entropy estimator", "a resample needs more than " + std::to_string(options.ddof) + " samples");
        auto sigma = (m_m2[b] / (count - options.ddof)).clamp_min(0).sqrt();
        out.push_back((sigma == 0).any().item<bool>() ? -std::numeric_limits<double>::infinity()
                                                      : sigma.log().sum().item<double>() / logBase);
    }
    return out;
}

std::vector<std::vector<int64_t>> bootstrapResamples(int64_t n, int count, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int64_t> pick(0, n - 1);
    std::vector<std::vector<int64_t>> out(static_cast<size_t>(count));
    for (auto& r : out) {
        r.resize(static_cast<size_t>(n));
        for (auto& i : r)
            i = pick(rng);
    }
    return out;
}

torch::Tensor resampleCounts(const std::vector<std::vector<int64_t>>& resamples, int64_t n)
{
    auto counts = torch::zeros({static_cast<int64_t>(resamples.size()), n}, torch::kDouble);
    auto a = counts.accessor<double, 2>();
    for (size_t b = 0; b < resamples.size(); ++b)
        for (auto i : resamples[b]) {
            if (i < 0 || i >= n)
                throw Error("bootstrap",
                            "resample index " + std::to_string(i) + " outside the " + std::to_string(n) + " images");
            a[static_cast<int64_t>(b)][i] += 1.0;
        }
    return counts;
}

double quantile(std::vector<double> v, double q)
{
    if (v.empty())
        return std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    const double at = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(at));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double gaussianEntropy(const torch::Tensor& samples, const EntropyOptions& options)
{
    auto x = samples.to(torch::kDouble);
    auto sigma = x.std(0, /*unbiased=*/options.ddof == 1);
    if (options.ddof != 0 && options.ddof != 1)
        sigma = ((x - x.mean(0)).pow(2).sum(0) / static_cast<double>(x.size(0) - options.ddof)).sqrt();
    if ((sigma == 0).any().item<bool>())
        return -std::numeric_limits<double>::infinity();
    return sigma.log().sum().item<double>() / std::log(options.logBase);
}

} // namespace mlpify::core
