#include "core/analysis/attention_map_result.h"

#include "core/json_file.h"

#include <iomanip>
#include <numeric>
#include <sstream>

namespace mlpify::core {

std::string TokenLayout::tokenName(int64_t token) const
{
    if (token >= 0 && token < prefix())
        return special[static_cast<size_t>(token)];
    const auto p = token - prefix();
    return "patch (" + std::to_string(p / grid) + ", " + std::to_string(p % grid) + ")";
}

double AttentionMap::patchShare() const
{
    return std::accumulate(patches.begin(), patches.end(), 0.0);
}

void to_json(nlohmann::json& j, const TokenLayout& l)
{
    j = {{"special", l.special}, {"grid", l.grid}, {"patch_size", l.patchSize}};
}

void from_json(const nlohmann::json& j, TokenLayout& l)
{
    l.special = j.at("special").get<std::vector<std::string>>();
    l.grid = jsonInteger(j.at("grid"));
    l.patchSize = jsonInteger(j.at("patch_size"));
}

void to_json(nlohmann::json& j, const AttentionMap& m)
{
    j = {{"kind", "attention_map"}, {"model", m.model},     {"block", m.block},    {"head", m.head},
         {"rollout", m.rollout},    {"fusion", m.fusion},   {"query", m.query},    {"query_name", m.queryName},
         {"layout", m.layout},      {"special", m.special}, {"patches", m.patches}};
}

void from_json(const nlohmann::json& j, AttentionMap& m)
{
    m.model = j.value("model", "");
    m.block = jsonInteger(j.at("block"));
    m.head = jsonInteger(j.at("head"));
    m.rollout = j.at("rollout").get<bool>();
    m.fusion = j.value("fusion", "mean");
    m.query = jsonInteger(j.at("query"));
    m.queryName = j.value("query_name", "");
    m.layout = j.at("layout").get<TokenLayout>();
    m.special = j.at("special").get<std::vector<double>>();
    m.patches = j.at("patches").get<std::vector<double>>();
}

std::string attentionMapTitle(const AttentionMap& m)
{
    const std::string of = ": attention of the " + m.queryName;
    if (m.rollout)
        return "rollout to block " + std::to_string(m.block) + " (heads fused by " + m.fusion + ")" + of;
    return "block " + std::to_string(m.block) + ", " +
           (m.head < 0 ? std::string("mean over heads") : "head " + std::to_string(m.head)) + of;
}

std::string attentionMapCsv(const AttentionMap& m)
{
    std::ostringstream csv;
    csv << "row,col,token,attention\n" << std::setprecision(10);
    const auto g = m.layout.grid;
    for (size_t i = 0; i < m.patches.size(); ++i) {
        const auto p = static_cast<int64_t>(i);
        csv << p / g << "," << p % g << "," << m.layout.prefix() + p << "," << m.patches[i] << "\n";
    }
    for (size_t i = 0; i < m.special.size(); ++i)
        csv << ",," << i << "," << m.special[i] << "\n";
    return csv.str();
}

} // namespace mlpify::core
