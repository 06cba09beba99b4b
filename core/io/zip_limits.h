// Checks on what a zip's central directory claims, made before LibTorch's PyTorchStreamReader
// reads a record: it allocates every record at its claimed size, trusting the directory.
#pragma once

#include <string>

namespace mlpify::core {

// Error(path, ...) when a record claims more bytes than the file can hold: a stored record
// (all torch.save writes) at most the file's size, a deflated one at most deflate's 1032:1
// over its compressed size. A directory it cannot find is left to the zip reader to reject.
void checkZipRecordSizes(const std::string& path);

} // namespace mlpify::core
