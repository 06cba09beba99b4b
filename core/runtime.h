// Process-wide compute settings: thread counts for LibTorch and the BLAS underneath it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mlpify::core {

// LibTorch's compute threads: n, or every core for n <= 0. With OpenBLAS's OpenMP build (the
// one MLPify links where installed) matrix products use the same n threads, and run on one
// thread inside a parallel region; OpenBLAS's pthread build is held to one thread, as its own
// pool beside OpenMP's oversubscribes the cores (measured: 2x slower training on 2 cores).
void configureThreads(int n);
// The BLAS in this process: "openblas-openmp", "openblas-pthread", "openblas-sequential" or "other".
std::string blasThreading();
int defaultThreads();
// Keeps freed activation memory in the process for the next batch (no page faults per batch);
// the process keeps its peak memory. Called once at start by the programs, not by the library.
void configureAllocator();

// Runs task(k) for every k, spread over LibTorch's compute threads: each thread takes a
// share balanced by cost (longest first, to the least-loaded thread) and runs its tasks one
// after another with single-threaded ops and the caller's autograd mode. For many small independent
// forwards on a CPU this uses the cores better than parallelising inside each small op.
// Tasks must not touch shared state; the first exception is rethrown here.
void runBalanced(const std::vector<double>& costs, const std::function<void(size_t)>& task);

} // namespace mlpify::core
