#include "core/model/model_meta.h"

#include "core/error.h"
#include "core/json_file.h"

#include <algorithm>

namespace mlpify::core {

void to_json(nlohmann::json& j, const Normalization& n)
{
    j = {{"mean", n.mean}, {"std", n.std}};
}

void from_json(const nlohmann::json& j, Normalization& n)
{
    n.mean = j.at("mean").get<std::vector<double>>();
    n.std = j.at("std").get<std::vector<double>>();
}

nlohmann::json metaToJson(const ModelMeta& m)
{
    nlohmann::json j = {{"format", "mlpify"},
                        {"version", kMetaVersion},
                        {"config", m.config},
                        {"blocks", m.blocks},
                        {"normalization", m.normalization},
                        {"class_names", m.classNames},
                        {"training", m.training},
                        {"metrics", m.metrics}};
    if (m.tome.active())
        j["tome"] = m.tome;
    return j;
}

ModelMeta metaFromJson(const nlohmann::json& j, const std::string& file)
{
    try {
        if (j.value("format", "") != "mlpify")
            throw Error(file, "metadata is not MLPify's");
        const int version = jsonInteger<int>(j.at("version"));
        if (version > kMetaVersion)
            throw Error(file, "written by a newer MLPify (metadata version " + std::to_string(version) +
                                  ", this build reads up to " + std::to_string(kMetaVersion) + ")");
        ModelMeta m;
        m.config = j.at("config").get<ViTConfig>();
        m.blocks = j.at("blocks").get<std::vector<BlockMode>>();
        m.normalization = j.at("normalization").get<Normalization>();
        m.classNames = j.value("class_names", std::vector<std::string>{});
        m.training = j.value("training", nlohmann::json::object());
        m.metrics = j.value("metrics", nlohmann::json::object());
        if (j.contains("tome"))
            m.tome = j.at("tome").get<MergeSchedule>();
        if (static_cast<int64_t>(m.tome.r.size()) > m.config.depth ||
            std::any_of(m.tome.r.begin(), m.tome.r.end(), [](int64_t r) { return r < 0; }))
            throw Error(file, "token merging schedule " + nlohmann::json(m.tome.r).dump() + " does not fit " +
                                  std::to_string(m.config.depth) + " blocks");
        m.source = file;
        if (static_cast<int64_t>(m.blocks.size()) != m.config.depth)
            throw Error(file, "metadata lists " + std::to_string(m.blocks.size()) + " block states for depth " +
                                  std::to_string(m.config.depth));
        if (m.normalization.mean.size() != static_cast<size_t>(m.config.inChans) ||
            m.normalization.std.size() != static_cast<size_t>(m.config.inChans))
            throw Error(file, "normalisation does not have one mean and std per input channel");
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw Error(file, std::string("malformed metadata: ") + e.what());
    }
}

} // namespace mlpify::core
