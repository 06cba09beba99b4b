#include "app/cli/cli_support.h"

#include "app/cli/commands.h"
#include "core/io/atomic_file.h"
#include "core/model/block_mode.h"

#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace mlpify::app {

void DataArgs::add(CLI::App* cmd)
{
    cmd->add_option("--data", data, "calibration data spec")->capture_default_str();
    cmd->add_option("--images", images, "calibration images (seeded subset)")
        ->capture_default_str()
        ->check(inRange(1, 1e12));
    cmd->add_option("--seed", seed, "calibration subset seed")->capture_default_str();
    cmd->add_option("--split", split, "train (default, as the paper) or test")
        ->capture_default_str()
        ->check(CLI::IsMember({"train", "test"}));
    cmd->add_option("--batch", batch, "batch size")->capture_default_str()->check(inRange(1, 65536));
}

std::string csvNumber(double v)
{
    if (std::isnan(v))
        return "";
    std::ostringstream s;
    s << std::setprecision(10) << v;
    return s.str();
}

void writeText(const std::string& path, const std::string& text)
{
    core::writeBytesAtomically(path, text);
    std::cerr << "wrote " << path << "\n";
}

std::string joinLayers(const std::vector<int64_t>& v)
{
    return "{" + core::blockList(v) + "}";
}

std::string joined(const std::vector<std::string>& words, const std::string& separator)
{
    std::string s;
    for (const auto& w : words)
        s += (s.empty() ? "" : separator) + w;
    return s;
}

} // namespace mlpify::app
