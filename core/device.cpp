#include "core/device.h"

#include "core/error.h"

namespace mlpify::core {

torch::Device resolveDevice(const std::string& name)
{
    if (name == "cpu")
        return torch::kCPU;
    if (name == "cuda") {
        if (!torch::cuda::is_available())
            throw Error("device cuda", "this LibTorch build has no CUDA or no GPU is visible");
        return torch::kCUDA;
    }
    if (name == "auto" || name.empty())
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    throw Error("device '" + name + "'", "unknown (use cpu, cuda or auto)");
}

} // namespace mlpify::core
