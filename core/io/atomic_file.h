// Writes that never leave a half-written file where the user's file was: temp file, then rename.
#pragma once

#include <functional>
#include <string>

namespace mlpify::core {

// Calls write(tempPath), then renames tempPath over path; on any failure the temp file is
// removed and the original file at path is untouched.
void writeAtomically(const std::string& path, const std::function<void(const std::string& tempPath)>& write);

void writeBytesAtomically(const std::string& path, const std::string& bytes);

} // namespace mlpify::core
