// SHA-256 (FIPS 180-4) of bytes or of a file, as 64 lowercase hex digits: the data hashes of a
// figure bundle's record.
#pragma once

#include <string>
#include <string_view>

namespace mlpify::core {

std::string sha256Hex(std::string_view bytes);
// Streams the file; throws core::Error naming it when it cannot be read.
std::string sha256File(const std::string& path);

} // namespace mlpify::core
