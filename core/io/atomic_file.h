// Writes that never leave a half-written file where the user's file was: temp file, then rename.
#pragma once

#include <string>
#include <vector>

namespace mlpify::core {

// Error naming path unless a file can be written there: its folder exists and is writable and
// path is not a folder. Commands check their outputs with it before any long work starts.
// inputs: files the same command reads (specs that are not files are ignored); writing over one
// of them is refused, so a failed or unwanted run cannot cost the user the original.
void checkOutputPath(const std::string& path, const std::vector<std::string>& inputs = {});
// checkOutputPath for every non-empty output, and no two outputs the same file.
void checkOutputPaths(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs);

// Writes bytes to a file that has no name yet (or a temp name where the file system cannot do
// that), makes it durable, then renames it over path; on any failure, and after a SIGKILL, the
// original file at path is untouched and no partial file is left.
void writeBytesAtomically(const std::string& path, const std::string& bytes);

} // namespace mlpify::core
