// Where LibTorch's API differs between the releases MLPify builds against (Debian 12's 1.13,
// Debian 13's 2.6, PyTorch's own 2.x): every version check lives here, nowhere else.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <string>
#include <type_traits>

#define MLPIFY_TORCH_AT_LEAST(major, minor)                                                                            \
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
template <typename TcpStoreOptions> void useClassicTcpStore(TcpStoreOptions& options)
{
#if MLPIFY_TORCH_AT_LEAST(2, 2)
    options.useLibUV = false;
#else
    (void)options;
#endif
}

// bfloat16 autocast on a device for a scope (matrix products and convolutions in bf16, reductions
// and the loss in float32), as torch.autocast(device, torch.bfloat16); the previous state comes
// back at the end, and the cast weights are dropped when the outermost scope ends. The per-device
// functions replaced the CUDA- and CPU-named ones in 2.4.
class ScopedBf16Autocast {
public:
    ScopedBf16Autocast(const torch::Device& device, bool on) : m_type(device.type()), m_on(on)
    {
        if (!m_on)
            return;
        m_wasEnabled = enabled();
        m_wasType = dtype();
        set(true, at::kBFloat16);
        at::autocast::increment_nesting();
    }
    ~ScopedBf16Autocast()
    {
        if (!m_on)
            return;
        if (at::autocast::decrement_nesting() == 0)
            at::autocast::clear_cache();
        set(m_wasEnabled, m_wasType);
    }
    ScopedBf16Autocast(const ScopedBf16Autocast&) = delete;
    ScopedBf16Autocast& operator=(const ScopedBf16Autocast&) = delete;

private:
#if MLPIFY_TORCH_AT_LEAST(2, 4)
    bool enabled() const
    {
        return at::autocast::is_autocast_enabled(m_type);
    }
    at::ScalarType dtype() const
    {
        return at::autocast::get_autocast_dtype(m_type);
    }
    void set(bool on, at::ScalarType type) const
    {
        at::autocast::set_autocast_dtype(m_type, type);
        at::autocast::set_autocast_enabled(m_type, on);
    }
#else
    bool cuda() const
    {
        return m_type == c10::DeviceType::CUDA;
    }
    bool enabled() const
    {
        return cuda() ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
    }
    at::ScalarType dtype() const
    {
        return cuda() ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
    }
    void set(bool on, at::ScalarType type) const
    {
        cuda() ? at::autocast::set_autocast_gpu_dtype(type) : at::autocast::set_autocast_cpu_dtype(type);
        cuda() ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on);
    }
#endif
    c10::DeviceType m_type;
    bool m_on;
    bool m_wasEnabled = false;
    at::ScalarType m_wasType = at::kFloat;
};

// "major.minor.patch" of the LibTorch compiled against.
inline std::string torchVersion()
{
    return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
           std::to_string(TORCH_VERSION_PATCH);
}

} // namespace mlpify::core::compat
