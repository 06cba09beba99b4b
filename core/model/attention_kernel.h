// Which kernel computes softmax(q k^T / sqrt(d) + mask) v in the forward: the explicit product
// (always there; the path for anything that needs the probabilities) or LibTorch 2.x's fused
// at::scaled_dot_product_attention (flash / memory-efficient kernels on a GPU). Process-wide.
#pragma once

#include <torch/torch.h>

#include <string>

namespace mlpify::core {

enum class AttentionKernel {
    Auto,     // fused where it measures faster (CUDA), explicit elsewhere (resources/docs/performance.md)
    Explicit, // matmul, softmax, matmul
    Fused,    // at::scaled_dot_product_attention; an Error with LibTorch 1.x
};

// "auto", "explicit" or "fused"; Error naming the value otherwise, or "fused" without LibTorch 2.x.
AttentionKernel parseAttentionKernel(const std::string& name);
std::string attentionKernelName(AttentionKernel kernel);
void setAttentionKernel(AttentionKernel kernel);
AttentionKernel attentionKernel();
// Whether this LibTorch has the fused kernel (2.0 and later).
bool fusedAttentionAvailable();
// The setting resolved for tensors on this device.
bool useFusedAttention(const torch::Device& device);

// Sets the kernel for a scope and restores the previous one (tests, the benchmark's comparison).
class ScopedAttentionKernel {
public:
    explicit ScopedAttentionKernel(AttentionKernel kernel) : m_previous(attentionKernel())
    {
        setAttentionKernel(kernel);
    }
    ~ScopedAttentionKernel() { setAttentionKernel(m_previous); }
    ScopedAttentionKernel(const ScopedAttentionKernel&) = delete;
    ScopedAttentionKernel& operator=(const ScopedAttentionKernel&) = delete;

private:
    AttentionKernel m_previous;
};

} // namespace mlpify::core
