// The Gaussian entropy estimator of method.md section 2: H(F) = sum_c log(sigma_c), computed
// from streaming float64 statistics (Chan's parallel update) so memory does not grow with n.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

namespace mlpify::core {

struct EntropyOptions {
    double logBase = 2.0; // 2: bits (the official logits variant); e: nats (the CLS-feature variant)
    int ddof = 1;         // 1: sample std (logits variant); 0: population std (feature variant)

    EntropyOptions& base(double b)
    {
        logBase = b;
        return *this;
    }
    EntropyOptions& dof(int d)
    {
        ddof = d;
        return *this;
    }
    std::string units() const; // "bits", "nats" or "log<base> units"

    // The two estimators of method.md section 2: bits with the sample std (the official logits
    // variant, transfer entropy's default) and nats with the population std (the CLS-feature
    // variant, the entropy curves' default).
    static EntropyOptions bits() { return EntropyOptions().base(2.0).dof(1); }
    static EntropyOptions nats() { return EntropyOptions().base(std::exp(1.0)).dof(0); }
};

// Per-channel running mean and sum of squared deviations, in float64.
class ChannelMoments {
public:
    // samples: [n, C] (any float dtype, any device); rows are samples.
    void add(const torch::Tensor& samples);
    void merge(const ChannelMoments& other);

    int64_t count() const { return m_n; }
    int64_t channels() const { return m_mean.defined() ? m_mean.size(0) : 0; }
    torch::Tensor mean() const { return m_mean; }
    torch::Tensor stddev(int ddof) const; // float64 [C]; throws when count <= ddof

    // sum_c log(sigma_c) in the options' base; -inf when any sigma is exactly 0, never NaN.
    double entropy(const EntropyOptions& options) const;

private:
    int64_t m_n = 0;
    torch::Tensor m_mean; // float64 [C]
    torch::Tensor m_m2;   // float64 [C]
};

// ChannelMoments for B bootstrap resamples at once: resample b weights sample i by how often it
// was drawn (counts[b][i]), which gives exactly the moments of the resampled data, without
// materialising it. Float64 throughout.
class ResampledMoments {
public:
    // samples: [n, C]; weights: [B, n] (the resamples' counts of these n samples).
    void add(const torch::Tensor& samples, const torch::Tensor& weights);
    void merge(const ResampledMoments& other);
    int64_t resamples() const { return m_n.defined() ? m_n.size(0) : 0; }
    // Per resample, as ChannelMoments::entropy.
    std::vector<double> entropies(const EntropyOptions& options) const;

private:
    torch::Tensor m_n;    // float64 [B]: weight seen
    torch::Tensor m_mean; // float64 [B, C]
    torch::Tensor m_m2;   // float64 [B, C]
};

// `count` bootstrap resamples of n samples: n indices drawn with replacement each, seeded.
std::vector<std::vector<int64_t>> bootstrapResamples(int64_t n, int count, uint64_t seed);
// The resamples' counts as a [B, n] float64 matrix (row b: how often resample b drew each of n
// samples); resamples[b] lists the drawn indices, repeats allowed.
torch::Tensor resampleCounts(const std::vector<std::vector<int64_t>>& resamples, int64_t n);

// The q-quantile (0..1) of values by linear interpolation between order statistics (NumPy's
// default); NaN for no values.
double quantile(std::vector<double> values, double q);

// One-shot reference used by tests: the same estimator on all samples at once.
double gaussianEntropy(const torch::Tensor& samples, const EntropyOptions& options);

} // namespace mlpify::core
