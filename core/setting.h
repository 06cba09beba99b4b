// The settings a person gives (input size, new head, ...), as core's errors and summaries name
// them. Each face spells them its own way: the CLI by its flags, the window by its controls.
#pragma once

#include <functional>
#include <string>

namespace mlpify::core {

enum class Setting { InputSize, NewHead, Distill, Remove, RemoveMlp, Ratio, Tome };

// Plain words, the spelling when no face installed its own: "the input size".
std::string settingWords(Setting s);

// The spelling of every later settingName(); a face installs it once at start, before any
// worker thread runs. An empty function restores the plain words.
void setSettingSpelling(std::function<std::string(Setting)> spelling);
std::string settingName(Setting s);

} // namespace mlpify::core
