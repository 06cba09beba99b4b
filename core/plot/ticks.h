// Axis ticks on round numbers, labelled with the fewest digits that tell them apart; one choice for
// every form of a figure (the drawn one, the pgfplots TeX and the matplotlib script).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mlpify::core {

struct Ticks {
    std::vector<double> values;
    std::vector<std::string> labels;
    double step = 1.0;
};

// Ticks at multiples of 1, 2 or 5 x 10^k inside [lo, hi], about `target` of them (never fewer
// than two where the range allows); integer axes step by whole numbers. Labels share one number
// of decimals, the step's, so 2000 reads "2000" and 0.25 steps "0.25"; minus signs are ASCII.
Ticks niceTicks(double lo, double hi, int target = 5, bool integer = false);

// The range [lo, hi] widened out to whole multiples of the step niceTicks would choose.
std::pair<double, double> niceRange(double lo, double hi, int target = 5);

} // namespace mlpify::core
