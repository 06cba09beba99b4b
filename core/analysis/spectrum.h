// Frequency analysis of token maps (method.md section 5): relative log amplitude of the 2-D
// Fourier transform against normalised radial frequency, per block.
#pragma once

#include "core/analysis/calibration.h"
#include "core/analysis/spectrum_result.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"

#include <nlohmann/json.hpp>

namespace mlpify::core {

enum class SpectrumSource { BlockOutput, Mlp, Attention };
std::string toString(SpectrumSource s);
SpectrumSource spectrumSourceFromString(const std::string& s); // "block", "mlp", "attn"

struct SpectrumOptions {
    SpectrumSource source = SpectrumSource::BlockOutput;
    bool officialRings = false; // the official code's 11 rings (14 x 14 grids only)
    bool logMean = false;       // Park & Kim: average ln(|F| + 1e-6) instead of ln of the mean |F|
    int64_t batchSize = 128;
    std::string device = "auto";
};

// Ring amplitudes of maps [B, C, H, W], accumulated over calls (streaming).
class RingSpectrum {
public:
    RingSpectrum(int64_t h, int64_t w, const SpectrumOptions& options);
    void add(const torch::Tensor& maps);
    std::vector<double> radii() const;        // normalised radius of each ring (1 = pi)
    std::vector<double> logAmplitude() const; // ln A(r) per ring
    std::vector<double> relative() const;     // ln A(r) - ln A(0)

private:
    std::vector<int64_t> m_d2;    // exact integer squared distance of each ring from the centre
    torch::Tensor m_ringOf;       // [H*W] ring index or -1 (outside r <= 1)
    std::vector<double> m_sum;    // sum of |F| (or of ln(|F| + 1e-6)) per ring
    std::vector<int64_t> m_count; // pixels x channels x images per ring
    double m_half;
    bool m_logMean;
};

SpectrumResult computeSpectrum(ModelBundle& model, const Dataset& calibration, const SpectrumOptions& options,
                               Progress& progress, const CancelToken* cancel = nullptr);

} // namespace mlpify::core
