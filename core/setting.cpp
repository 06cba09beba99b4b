#include "core/setting.h"

namespace mlpify::core {

namespace {
std::function<std::string(Setting)>& spelling()
{
    static std::function<std::string(Setting)> installed;
    return installed;
}
} // namespace

std::string settingWords(Setting s)
{
    switch (s) {
    case Setting::InputSize:
        return "the input size";
    case Setting::NewHead:
        return "a new head";
    case Setting::Distill:
        return "distillation";
    case Setting::Remove:
        return "the blocks to remove";
    case Setting::RemoveMlp:
        return "the MLPs to remove";
    case Setting::Ratio:
        return "the ratio";
    case Setting::Tome:
        return "token merging";
    }
    return "a setting";
}

void setSettingSpelling(std::function<std::string(Setting)> s)
{
    spelling() = std::move(s);
}

std::string settingName(Setting s)
{
    return spelling() ? spelling()(s) : settingWords(s);
}

} // namespace mlpify::core
