// Process-wide compute settings: thread counts for LibTorch and the BLAS underneath it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace mlpify::core {

// n <= 0 picks the measured default for this machine class (see README, "Threads").
// Also pins OpenBLAS's own pool to one thread: LibTorch already parallelises around it, and
// two pools on two cores oversubscribe (measured: 2x slower training).
void configureThreads(int n);
int defaultThreads();

// Runs task(k) for every k, spread over LibTorch's compute threads: each thread takes a
// share balanced by cost (longest first, to the least-loaded thread) and runs its tasks one
// after another with single-threaded ops and the caller's autograd mode. For many small independent
// forwards on a CPU this uses the cores better than parallelising inside each small op.
// Tasks must not touch shared state; the first exception is rethrown here.
void runBalanced(const std::vector<double>& costs, const std::function<void(size_t)>& task);

} // namespace mlpify::core
