#include "core/model/attention_kernel.h"

#include "core/error.h"
#include "core/torch_compat.h"

#include <atomic>

namespace mlpify::core {

namespace {
std::atomic<AttentionKernel> g_kernel{AttentionKernel::Auto};
}

AttentionKernel parseAttentionKernel(const std::string& name)
{
    if (name == "auto")
        return AttentionKernel::Auto;
    if (name == "explicit")
        return AttentionKernel::Explicit;
    if (name == "fused") {
        if (!fusedAttentionAvailable())
            throw Error("attention kernel fused", "needs LibTorch 2.0 or later; this build has " +
                                                      compat::torchVersion() + " (use explicit or auto)");
        return AttentionKernel::Fused;
    }
    throw Error("attention kernel '" + name + "'", "unknown (use auto, explicit or fused)");
}

std::string attentionKernelName(AttentionKernel kernel)
{
    switch (kernel) {
    case AttentionKernel::Explicit:
        return "explicit";
    case AttentionKernel::Fused:
        return "fused";
    case AttentionKernel::Auto:
        break;
    }
    return "auto";
}

void setAttentionKernel(AttentionKernel kernel)
{
    g_kernel = kernel;
}

AttentionKernel attentionKernel()
{
    return g_kernel;
}

bool fusedAttentionAvailable()
{
    return MLPIFY_HAS_SDPA;
}

bool useFusedAttention(const torch::Device& device)
{
    switch (g_kernel.load()) {
    case AttentionKernel::Explicit:
        return false;
    case AttentionKernel::Fused:
        return fusedAttentionAvailable();
    case AttentionKernel::Auto:
        break;
    }
    // On a CPU the fused kernel measured no faster than the explicit path (performance.md).
    return fusedAttentionAvailable() && device.is_cuda();
}

} // namespace mlpify::core
