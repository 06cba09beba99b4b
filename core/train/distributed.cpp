#define USE_C10D_GLOO 1 // Debian's LibTorch has Gloo; its header is guarded by this macro
#include "core/train/distributed.h"

#include "core/error.h"
#include "core/torch_compat.h"

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef MLPIFY_WITH_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>

namespace mlpify::core {

namespace {
const char* env(const char* name)
{
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
}

int envInt(const char* name)
{
    const char* v = env(name);
    try {
        size_t used = 0;
        const int n = std::stoi(v, &used);
        if (used != std::string(v).size())
            throw std::invalid_argument(v);
        return n;
    } catch (const std::exception&) {
        throw Error(std::string("environment variable ") + name, std::string("'") + v + "' is not a whole number");
    }
}

std::string firstLine(const std::string& s)
{
    return s.substr(0, s.find('\n'));
}

c10::intrusive_ptr<c10d::Store> connectStore(const DistributedEnv& e)
{
    c10::intrusive_ptr<c10d::Store> store;
    if (!e.storeFile.empty()) {
        store = c10::make_intrusive<c10d::FileStore>(e.storeFile, e.worldSize);
    } else {
        c10d::TCPStoreOptions o;
        o.port = static_cast<std::uint16_t>(e.masterPort);
        o.isServer = e.rank == 0;
        o.numWorkers = static_cast<size_t>(e.worldSize);
        o.waitWorkers = true;
        o.timeout = e.timeout;
        compat::useClassicTcpStore(o);
        store = c10::make_intrusive<c10d::TCPStore>(e.masterAddr, o);
    }
    store->setTimeout(e.timeout);
    return store;
}

c10::intrusive_ptr<c10d::ProcessGroupGloo> makeGloo(const c10::intrusive_ptr<c10d::Store>& store,
                                                    const DistributedEnv& e)
{
    auto options = c10d::ProcessGroupGloo::Options::create(e.timeout);
    const bool local = e.masterAddr == "127.0.0.1" || e.masterAddr == "localhost";
    options->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                     : c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 2;
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, e.rank, e.worldSize, options);
}

#ifdef MLPIFY_WITH_NCCL
c10::intrusive_ptr<c10d::ProcessGroupNCCL> makeNccl(const c10::intrusive_ptr<c10d::Store>& store,
                                                    const DistributedEnv& e)
{
    // Blocking waits honour the timeout and raise on a dead or silent rank instead of hanging
    // (the variable's old and new names); a user's own setting wins.
    setenv("NCCL_BLOCKING_WAIT", "1", 0);
    setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
    // One GPU per local rank, as torchrun scripts do: "cuda" then means this rank's GPU.
    const auto gpus = static_cast<int>(c10::cuda::device_count());
    if (gpus == 0)
        throw Error("NCCL", "no GPU is visible");
    c10::cuda::set_device(static_cast<c10::DeviceIndex>(e.localRank % gpus));
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = e.timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, e.rank, e.worldSize, options);
}
#endif

// Collectives through one c10d process group (Gloo or NCCL; a template, so it holds the
// concrete group whatever LibTorch's class hierarchy is). Buffers are packed on the group's
// device, so callers may pass CPU tensors to an NCCL group.
template <class Group> class C10dCommunicator : public Communicator {
public:
    C10dCommunicator(const DistributedEnv& e, std::string backend, torch::Device device,
                     c10::intrusive_ptr<Group> (*make)(const c10::intrusive_ptr<c10d::Store>&, const DistributedEnv&))
        : m_env(e), m_backend(std::move(backend)), m_device(device)
    {
        const std::string who = "rank " + std::to_string(e.rank) + " of " + std::to_string(e.worldSize);
        try {
            m_store = connectStore(e);
            m_pg = make(m_store, e);
        } catch (const std::exception& ex) {
            throw Error(who + " (" + e.source + ", " + m_backend + ")",
                        std::string("could not join the group at ") +
                            (e.storeFile.empty() ? e.masterAddr + ":" + std::to_string(e.masterPort) : e.storeFile) +
                            " within " + std::to_string(e.timeout.count() / 1000) + " s: " + firstLine(ex.what()));
        }
    }

    int rank() const override { return m_env.rank; }
    int size() const override { return m_env.worldSize; }
    std::string backend() const override { return m_backend; }

    void allreduceSum(std::vector<torch::Tensor>& tensors, int64_t bucketBytes) override
    {
        // Bucketed: tensors are packed into flat buffers of about bucketBytes, one all-reduce each.
        size_t i = 0;
        while (i < tensors.size()) {
            std::vector<torch::Tensor> bucket;
            int64_t bytes = 0;
            while (i < tensors.size() &&
                   (bucket.empty() || bytes + static_cast<int64_t>(tensors[i].nbytes()) <= bucketBytes)) {
                bytes += static_cast<int64_t>(tensors[i].nbytes());
                bucket.push_back(tensors[i++]);
            }
            std::vector<torch::Tensor> flat;
            for (const auto& t : bucket)
                flat.push_back(t.reshape({-1}).to(m_device));
            std::vector<torch::Tensor> buffer{torch::cat(flat)};
            run("all-reduce", [&] { m_pg->allreduce(buffer)->wait(); });
            int64_t offset = 0;
            for (auto& t : bucket) {
                t.copy_(buffer[0].narrow(0, offset, t.numel()).view_as(t));
                offset += t.numel();
            }
        }
    }

    void broadcastFromRank0(std::vector<torch::Tensor>& tensors) override
    {
        for (auto& t : tensors) {
            std::vector<torch::Tensor> one{t.contiguous().to(m_device)};
            run("broadcast", [&] { m_pg->broadcast(one)->wait(); });
            if (!one[0].is_same(t))
                t.copy_(one[0]);
        }
    }

    void barrier() override
    {
        run("barrier", [&] { m_pg->barrier()->wait(); });
    }

    double takeCommSeconds() override
    {
        const double s = m_commSeconds;
        m_commSeconds = 0;
        return s;
    }

private:
    template <class F> void run(const char* what, F&& f)
    {
        const auto t0 = std::chrono::steady_clock::now();
        try {
            f();
        } catch (const std::exception& ex) {
            throw Error("rank " + std::to_string(m_env.rank) + " of " + std::to_string(m_env.worldSize),
                        std::string(what) + " failed: another rank died or was silent for more than " +
                            std::to_string(m_env.timeout.count() / 1000.0).substr(0, 5) +
                            " s; the last checkpoint is kept (" + firstLine(ex.what()) + ")");
        }
        m_commSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

    DistributedEnv m_env;
    std::string m_backend;
    torch::Device m_device;
    c10::intrusive_ptr<c10d::Store> m_store;
    c10::intrusive_ptr<Group> m_pg;
    double m_commSeconds = 0;
};
} // namespace

DistributedEnv distributedEnvFromEnvironment()
{
    DistributedEnv e;
    if (env("RANK") && env("WORLD_SIZE")) {
        e.rank = envInt("RANK");
        e.worldSize = envInt("WORLD_SIZE");
        e.localRank = env("LOCAL_RANK") ? envInt("LOCAL_RANK") : 0;
        e.source = "torchrun variables";
    } else if (env("SLURM_PROCID") && env("SLURM_NTASKS")) {
        e.rank = envInt("SLURM_PROCID");
        e.worldSize = envInt("SLURM_NTASKS");
        e.localRank = env("SLURM_LOCALID") ? envInt("SLURM_LOCALID") : 0;
        e.source = "Slurm variables";
    } else if (env("OMPI_COMM_WORLD_RANK") && env("OMPI_COMM_WORLD_SIZE")) {
        e.rank = envInt("OMPI_COMM_WORLD_RANK");
        e.worldSize = envInt("OMPI_COMM_WORLD_SIZE");
        e.localRank = env("OMPI_COMM_WORLD_LOCAL_RANK") ? envInt("OMPI_COMM_WORLD_LOCAL_RANK") : 0;
        e.source = "Open MPI variables";
    } else {
        throw Error("distributed run", "no launcher variables found: set RANK and WORLD_SIZE (and MASTER_ADDR, "
                                       "MASTER_PORT), run under Slurm or mpirun, or use `mlpify launch`");
    }
    if (e.worldSize < 1 || e.rank < 0 || e.rank >= e.worldSize)
        throw Error("distributed run (" + e.source + ")",
                    "rank " + std::to_string(e.rank) + " is outside a world of " + std::to_string(e.worldSize));
    if (env("MASTER_ADDR"))
        e.masterAddr = env("MASTER_ADDR");
    if (env("MASTER_PORT"))
        e.masterPort = envInt("MASTER_PORT");
    if (env("MLPIFY_STORE_FILE"))
        e.storeFile = env("MLPIFY_STORE_FILE");
    if (env("MLPIFY_DIST_BACKEND"))
        e.backend = env("MLPIFY_DIST_BACKEND");
    if (env("MLPIFY_DIST_TIMEOUT"))
        e.timeout = std::chrono::milliseconds(1000LL * envInt("MLPIFY_DIST_TIMEOUT"));
    return e;
}

bool ncclAvailable()
{
#ifdef MLPIFY_WITH_NCCL
    return true;
#else
    return false;
#endif
}

std::unique_ptr<Communicator> Communicator::connect(const DistributedEnv& env, const torch::Device& device)
{
    auto backend = env.backend;
    if (backend == "auto")
        backend = device.is_cuda() && ncclAvailable() ? "nccl" : "gloo";
    if (backend == "gloo")
        return std::make_unique<C10dCommunicator<c10d::ProcessGroupGloo>>(env, "Gloo", torch::kCPU, &makeGloo);
    if (backend != "nccl")
        throw Error("MLPIFY_DIST_BACKEND", "'" + backend + "' is not a backend (use auto, gloo or nccl)");
#ifdef MLPIFY_WITH_NCCL
    if (!device.is_cuda())
        throw Error("MLPIFY_DIST_BACKEND=nccl", "NCCL needs a CUDA device");
    return std::make_unique<C10dCommunicator<c10d::ProcessGroupNCCL>>(env, "NCCL", torch::Device(torch::kCUDA),
                                                                      &makeNccl);
#else
    throw Error("MLPIFY_DIST_BACKEND=nccl", "this build has no NCCL: build against a CUDA LibTorch (Torch_DIR)");
#endif
}

void averageGradients(Communicator& comm, const std::vector<torch::Tensor>& parameters, torch::Tensor& extra)
{
    std::vector<torch::Tensor> grads;
    for (const auto& p : parameters)
        if (p.grad().defined())
            grads.push_back(p.mutable_grad());
    grads.push_back(extra);
    comm.allreduceSum(grads);
    const double inv = 1.0 / comm.size();
    for (size_t i = 0; i + 1 < grads.size(); ++i)
        grads[i].mul_(inv);
}

} // namespace mlpify::core
