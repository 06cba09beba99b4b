// A project's figures as print-ready plots (core/plot): the same results the window's views show,
// in the order and under the names `mlpify figures` writes them.
#pragma once

#include "app/figures/project.h"
#include "core/plot/plot.h"

#include <vector>

namespace mlpify::app {

// entropy, nose-path, training-loss, training-lambda, training-accuracy, spectrum,
// spectrum-slimmed, compare, front, criteria, criteria-te, attention-distance, attention-entropy,
// attention-map: each one the project has results for.
std::vector<core::Plot> projectPlots(const Project& project);

} // namespace mlpify::app
