#include "core/analysis/entropy.h"

#include "core/error.h"

#include <cmath>
#include <limits>
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
