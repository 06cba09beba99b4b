#include "core/model/block_mode.h"

#include "core/error.h"

namespace mlpify::core {

std::string blockList(const std::vector<int64_t>& blocks, const std::string& separator)
{
    std::string list;
    for (auto b : blocks)
        list += (list.empty() ? "" : separator) + std::to_string(b);
    return list;
}

std::string toString(AttnMode mode)
{
    switch (mode) {
    case AttnMode::Active:
        return "active";
    case AttnMode::Diluting:
        return "diluting";
    case AttnMode::Removed:
        return "removed";
    case AttnMode::Skipped:
        return "skipped";
    }
    return "active";
}

AttnMode attnModeFromString(const std::string& s)
{
    for (AttnMode m : {AttnMode::Active, AttnMode::Diluting, AttnMode::Removed, AttnMode::Skipped})
        if (toString(m) == s)
            return m;
    throw Error("unknown block state '" + s + "' (expected active, diluting, removed or skipped)");
}

void to_json(nlohmann::json& j, const BlockMode& m)
{
    j = {{"attention", toString(m.mode)}};
    if (m.mode == AttnMode::Diluting)
        j["lambda"] = m.lambda;
}

void from_json(const nlohmann::json& j, BlockMode& m)
{
    try {
        m.mode = attnModeFromString(j.at("attention").get<std::string>());
    } catch (const Error& e) { // a JSON problem, which every reader reports with its file's name
        throw nlohmann::json::other_error::create(501, e.reason(), &j);
    }
    m.lambda = j.value("lambda", m.mode == AttnMode::Diluting ? 1.0 : (m.mode == AttnMode::Removed ? 0.0 : 1.0));
}

} // namespace mlpify::core
