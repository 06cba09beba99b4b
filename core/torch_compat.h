// Where LibTorch's API differs between the releases MLPify builds against (Debian 12's 1.13,
// Debian 13's 2.6, PyTorch's own 2.x): every version check lives here, nowhere else.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <string>
#include <type_traits>

#define MLPIFY_TORCH_AT_LEAST(major, minor)                                                                          \
    (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// at::scaled_dot_product_attention (the fused / flash / memory-efficient kernels) exists from 2.0.
#define MLPIFY_HAS_SDPA MLPIFY_TORCH_AT_LEAST(2, 0)

namespace mlpify::core::compat {

// The key of a parameter's state in Optimizer::state(): the TensorImpl's address printed as a
// string up to 2.0, the address itself from 2.1 on.
#if MLPIFY_TORCH_AT_LEAST(2, 1)
inline void* optimizerStateKey(const torch::Tensor& p)
{
    return p.unsafeGetTensorImpl();
}
#else
inline std::string optimizerStateKey(const torch::Tensor& p)
{
    return c10::guts::to_string(p.unsafeGetTensorImpl());
}
#endif

// TCPStore's libuv server is the default from 2.4 (the option exists from 2.2); Debian's LibTorch
// is built without libuv, and the classic server serves the few ranks MLPify starts as well.
template <typename TcpStoreOptions>
void useClassicTcpStore(TcpStoreOptions& options)
{
#if MLPIFY_TORCH_AT_LEAST(2, 2)
    options.useLibUV = false;
#else
    (void)options;
#endif
}

// "major.minor.patch" of the LibTorch compiled against.
inline std::string torchVersion()
{
    return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
           std::to_string(TORCH_VERSION_PATCH);
}

} // namespace mlpify::core::compat
