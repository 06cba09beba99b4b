#include "core/plot/ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <tuple>

namespace mlpify::core {

namespace {

struct Step {
    int mantissa = 1; // 1, 2 or 5
    int exponent = 0; // step = mantissa * 10^exponent
    double value() const { return mantissa * std::pow(10.0, exponent); }
};

// The multiples i of step with lo <= i * step <= hi, allowing for rounding in the division.
std::pair<long long, long long> multiples(double lo, double hi, double step)
{
    const double eps = 1e-9;
    return {static_cast<long long>(std::ceil(lo / step - eps)), static_cast<long long>(std::floor(hi / step + eps))};
}

// i * step computed so that whole decimal steps come out as the nearest double (0.1 * 3 = 0.3).
double multiple(long long i, const Step& s)
{
    const double v = s.exponent >= 0 ? static_cast<double>(i * s.mantissa) * std::pow(10.0, s.exponent)
                                     : static_cast<double>(i * s.mantissa) / std::pow(10.0, -s.exponent);
    return v == 0.0 ? 0.0 : v; // no -0
}

Step chooseStep(double lo, double hi, int target, bool integer)
{
    const double range = hi - lo;
    const int base = static_cast<int>(std::floor(std::log10(range / std::max(target, 1))));
    Step best{1, integer ? std::max(base, 0) : base};
    double bestScore = 1e300;
    for (int k = base - 1; k <= base + 1; ++k)
        for (int m : {1, 2, 5}) {
            const Step s{m, k};
            if (integer && s.value() < 1.0)
                continue;
            const auto [first, last] = multiples(lo, hi, s.value());
            const double count = static_cast<double>(last - first + 1);
            const double score = std::abs(count - target) + (count < 2 ? 100.0 : 0.0);
            if (score <= bestScore) { // ties go to the larger step: fewer labels
                bestScore = score;
                best = s;
            }
        }
    return best;
}

std::pair<double, double> usable(double lo, double hi, bool integer)
{
    if (!std::isfinite(lo) || !std::isfinite(hi))
        return {0.0, 1.0};
    if (hi < lo)
        std::swap(lo, hi);
    if (hi == lo) {
        const double pad = integer ? 1.0 : (lo == 0.0 ? 0.5 : std::abs(lo) * 0.05);
        return {lo - pad, hi + pad};
    }
    return {lo, hi};
}

} // namespace

Ticks niceTicks(double lo, double hi, int target, bool integer)
{
    std::tie(lo, hi) = usable(lo, hi, integer);
    const Step s = chooseStep(lo, hi, target, integer);
    const int decimals = std::max(0, -s.exponent);
    Ticks t;
    t.step = s.value();
    const auto [first, last] = multiples(lo, hi, t.step);
    for (long long i = first; i <= last; ++i) {
        const double v = multiple(i, s);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
        std::string label = buf;
        if (label.find_first_not_of("-0.") == std::string::npos && label.front() == '-')
            label.erase(0, 1); // "-0.0" is 0
        t.values.push_back(v);
        t.labels.push_back(label);
    }
    return t;
}

std::pair<double, double> niceRange(double lo, double hi, int target)
{
    std::tie(lo, hi) = usable(lo, hi, false);
    const Step s = chooseStep(lo, hi, target, false);
    const auto [first, last] = multiples(lo, hi, s.value());
    const double from = multiple(first, s), to = multiple(last, s);
    const double slack = 1e-9 * s.value();
    return {from > lo + slack ? multiple(first - 1, s) : from, to < hi - slack ? multiple(last + 1, s) : to};
}

} // namespace mlpify::core
