#include "core/model/merge_schedule.h"

#include "core/error.h"

#include <algorithm>
#include <sstream>

namespace mlpify::core {

bool MergeSchedule::active() const
{
    return std::any_of(r.begin(), r.end(), [](int64_t v) { return v > 0; });
}

bool MergeSchedule::operator==(const MergeSchedule& o) const
{
    const auto n = std::max(r.size(), o.r.size());
    for (size_t i = 0; i < n; ++i)
        if (at(static_cast<int64_t>(i)) != o.at(static_cast<int64_t>(i)))
            return false;
    return true;
}

std::string MergeSchedule::describe() const
{
    if (!active())
        return "off";
    // Constant from some block on: "8 from block 1"; otherwise every block's value.
    const auto first = std::find_if(r.begin(), r.end(), [](int64_t v) { return v > 0; });
    if (std::all_of(first, r.end(), [&](int64_t v) { return v == *first; }) &&
        std::all_of(r.begin(), first, [](int64_t v) { return v == 0; }))
        return std::to_string(*first) + " from block " + std::to_string(first - r.begin());
    std::ostringstream s;
    for (size_t i = 0; i < r.size(); ++i)
        s << (i ? "," : "") << r[i];
    return s.str();
}

namespace {
void checkStart(int64_t start, int64_t depth, const std::string& what)
{
    if (start < 0 || start >= depth)
        throw Error(what, "the first merging block " + std::to_string(start) + " is outside the model's blocks 0.." +
                              std::to_string(depth - 1));
}
void checkR(int64_t r, const std::string& what)
{
    if (r < 0)
        throw Error(what, "r must be 0 or more (got " + std::to_string(r) + ")");
}
} // namespace

MergeSchedule constantSchedule(int64_t r, int64_t depth, int64_t start)
{
    checkR(r, "token merging");
    checkStart(start, depth, "token merging");
    MergeSchedule s;
    s.r.assign(static_cast<size_t>(depth), 0);
    for (int64_t b = start; b < depth; ++b)
        s.r[static_cast<size_t>(b)] = r;
    return s;
}

MergeSchedule decreasingSchedule(int64_t r, int64_t depth, int64_t start)
{
    checkR(r, "token merging");
    checkStart(start, depth, "token merging");
    MergeSchedule s;
    s.r.assign(static_cast<size_t>(depth), 0);
    const int64_t n = depth - start;
    for (int64_t i = 0; i < n; ++i) {
        // ToMe's arithmetic: from 2r in steps of -2r / (n - 1), truncated
        const double step = n == 1 ? 0.0 : -2.0 * static_cast<double>(r) / static_cast<double>(n - 1);
        const double v = n == 1 ? static_cast<double>(r) : 2.0 * static_cast<double>(r) + step * static_cast<double>(i);
        s.r[static_cast<size_t>(start + i)] = static_cast<int64_t>(v);
    }
    return s;
}

MergeSchedule parseMergeSchedule(const std::string& text, const std::string& shape, int64_t start, int64_t depth,
                                 const std::string& what)
{
    std::vector<int64_t> values;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (item.empty() || used != item.size())
            throw Error(what + " " + text, "'" + item + "' is not a whole number");
        checkR(v, what + " " + text);
        values.push_back(v);
    }
    if (values.empty())
        throw Error(what, "give r (e.g. 8) or one r per block (e.g. 8,8,4)");
    if (shape != "constant" && shape != "decreasing")
        throw Error(what + "-schedule " + shape, "unknown (use constant or decreasing)");
    if (values.size() == 1) {
        try {
            return shape == "constant" ? constantSchedule(values[0], depth, start)
                                       : decreasingSchedule(values[0], depth, start);
        } catch (const Error& e) {
            throw Error(what + "-start " + std::to_string(start), e.reason());
        }
    }
    if (static_cast<int64_t>(values.size()) > depth)
        throw Error(what + " " + text,
                    "lists " + std::to_string(values.size()) + " blocks; the model has " + std::to_string(depth));
    if (start != 0)
        throw Error(what + "-start", "applies to a single r; a list gives every block's r itself");
    return MergeSchedule{values};
}

int64_t mergeCount(int64_t r, int64_t tokens, bool distilled)
{
    const int64_t protectedTokens = distilled ? 2 : 1;
    return std::max<int64_t>(0, std::min(r, (tokens - protectedTokens) / 2));
}

std::vector<int64_t> tokensPerBlock(const ViTConfig& c, const MergeSchedule& s)
{
    std::vector<int64_t> t{c.numTokens()};
    for (int64_t b = 0; b < c.depth; ++b)
        t.push_back(t.back() - mergeCount(s.at(b), t.back(), c.distilled));
    return t;
}

void to_json(nlohmann::json& j, const MergeSchedule& s)
{
    j = s.r;
}

void from_json(const nlohmann::json& j, MergeSchedule& s)
{
    s.r = j.get<std::vector<int64_t>>();
}

} // namespace mlpify::core
