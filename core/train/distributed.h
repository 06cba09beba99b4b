// Data-parallel training on PyTorch's own distributed engine (c10d): rendezvous through a
// TCPStore (or a FileStore on a shared path), Gloo process groups on CPU. Ranks read the
// launcher conventions users already have (torchrun, Slurm, Open MPI).
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace mlpify::core {

struct DistributedEnv {
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    std::string storeFile;                    // FileStore path (shared filesystem) instead of TCP
    std::string backend = "auto";             // auto (NCCL for CUDA when built with it, else Gloo), gloo, nccl
    std::chrono::milliseconds timeout{60000}; // a rank silent this long ends the run with an error
    std::string source;                       // which convention it came from, for messages
};

// torchrun (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), then Slurm (SLURM_PROCID,
// SLURM_NTASKS, SLURM_LOCALID), then Open MPI (OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK);
// MLPIFY_STORE_FILE selects a FileStore, MLPIFY_DIST_TIMEOUT (seconds) the timeout,
// MLPIFY_DIST_BACKEND (auto, gloo, nccl) the backend. Throws Error
// when no convention is complete or a value is not a number.
DistributedEnv distributedEnvFromEnvironment();

// One process's view of the group. Collective calls throw Error naming this rank when another
// rank died or stayed silent past the timeout.
class Communicator {
public:
    // Gloo, or NCCL when env.backend says so or is "auto" and device is a GPU in a build with
    // NCCL (a CUDA LibTorch). NCCL ranks each take the GPU numbered by their local rank.
    static std::unique_ptr<Communicator> connect(const DistributedEnv& env, const torch::Device& device = torch::kCPU);
    virtual ~Communicator() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    virtual std::string backend() const = 0; // "Gloo" or "NCCL"
    // Sums the tensors across ranks in place, in buckets of about bucketBytes.
    virtual void allreduceSum(std::vector<torch::Tensor>& tensors, int64_t bucketBytes = 25 << 20) = 0;
    // Copies rank 0's values into every rank's tensors.
    virtual void broadcastFromRank0(std::vector<torch::Tensor>& tensors) = 0;
    virtual void barrier() = 0;
    // Seconds spent in collectives since the last call (communication time per step).
    virtual double takeCommSeconds() = 0;
};

// Whether this build can use NCCL (built against a CUDA LibTorch with NCCL).
bool ncclAvailable();

// Averages every parameter's gradient across ranks (one bucketed all-reduce); extra holds
// per-step numbers to sum across ranks in the same call (loss, counts).
void averageGradients(Communicator& comm, const std::vector<torch::Tensor>& parameters, torch::Tensor& extra);

} // namespace mlpify::core
