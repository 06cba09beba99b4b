#include "app/cli/commands.h"

#include "core/plot/plot.h"

#include <cmath>
#include <regex>
#include <sstream>

namespace mlpify::app {

namespace {
std::string number(double v)
{
    std::ostringstream s;
    s << v;
    return s.str();
}
} // namespace

CLI::Validator inRange(double lo, double hi)
{
    const std::string bounds = number(lo) + " to " + number(hi);
    return CLI::Validator(
        [lo, hi, bounds](std::string& text) -> std::string {
            double v = 0;
            try {
                size_t used = 0;
                v = std::stod(text, &used);
                if (used != text.size())
                    return "'" + text + "' is not a number";
            } catch (const std::exception&) {
                return "'" + text + "' is not a number";
            }
            if (!std::isfinite(v) || v < lo || v > hi)
                return text + " is outside " + bounds;
            return {};
        },
        "in " + bounds);
}

CLI::Validator figureSize()
{
    return CLI::Validator(
        [](std::string& text) -> std::string {
            static const std::regex form("([1-9][0-9]{0,4})x([1-9][0-9]{0,4})");
            std::smatch m;
            if (!std::regex_match(text, m, form) || std::stoi(m[1]) > 16384 || std::stoi(m[2]) > 16384)
                return "'" + text + "' is not WxH with sides of 1 to 16384 pixels";
            return {};
        },
        "WxH");
}

CLI::Validator printSizeSpec()
{
    return CLI::Validator(
        [](std::string& text) -> std::string {
            try {
                core::printSize(text);
            } catch (const std::exception& e) {
                return e.what();
            }
            return {};
        },
        "column|double|slide|WxHin|WxHcm");
}

void TomeOptions::add(CLI::App* cmd, bool many)
{
    auto* opt = cmd->add_option("--tome", r,
                                many ? "token merging (ToMe): r tokens merged per block, or r0,r1,... per block; "
                                       "repeat to measure several"
                                     : "token merging (ToMe): r tokens merged per block, or r0,r1,... per block");
    if (!many)
        opt->expected(1);
    cmd->add_option("--tome-schedule", shape,
                    "with a single r: constant, or decreasing (2r to 0, ToMe's inflection -1)")
        ->capture_default_str()
        ->check(CLI::IsMember({"constant", "decreasing"}));
    cmd->add_option("--tome-start", start, "with a single r: the first block that merges")
        ->capture_default_str()
        ->check(inRange(0, 1e6));
}

core::MergeSchedule TomeOptions::schedule(const std::string& value, int64_t depth) const
{
    return core::parseMergeSchedule(value, shape, start, depth, "--tome");
}

std::string flagFor(core::Setting setting)
{
    switch (setting) {
    case core::Setting::InputSize:
        return "--input-size";
    case core::Setting::NewHead:
        return "--new-head";
    case core::Setting::Distill:
        return "--distill";
    case core::Setting::Remove:
        return "--remove";
    case core::Setting::RemoveMlp:
        return "--remove-mlp";
    case core::Setting::Ratio:
        return "--ratio";
    case core::Setting::Tome:
        return "--tome";
    }
    return core::settingWords(setting);
}

} // namespace mlpify::app
