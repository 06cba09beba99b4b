// Process-wide compute settings: thread counts for LibTorch and the BLAS underneath it.
#pragma once

namespace mlpify::core {

// n <= 0 picks the measured default for this machine class (see README, "Threads").
// Also pins OpenBLAS's own pool to one thread: LibTorch already parallelises around it, and
// two pools on two cores oversubscribe (measured: 2x slower training).
void configureThreads(int n);
int defaultThreads();

} // namespace mlpify::core
