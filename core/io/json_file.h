// Reading the JSON files users hand to commands (analysis, selection, projects): one Error naming
// the file for every way it can be wrong, and a size limit checked before reading.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace mlpify::core {

// Largest JSON file read: a project with every result is a few MiB.
constexpr std::uintmax_t kMaxJsonBytes = 256ull << 20;

// Error(path, ...) when the file is missing, a folder, unreadable, too large or not JSON.
nlohmann::json readJsonFile(const std::string& path);

} // namespace mlpify::core

