// The storage classes torch.save names a tensor's data by (torch.FloatStorage, ...), one table for
// the reader and the writer of PyTorch zip files.
#pragma once

#include <c10/core/ScalarType.h>

#include <utility>

namespace mlpify::core {

inline constexpr std::pair<const char*, c10::ScalarType> kTorchStorageTypes[] = {
    {"FloatStorage", c10::kFloat},       {"DoubleStorage", c10::kDouble}, {"HalfStorage", c10::kHalf},
    {"BFloat16Storage", c10::kBFloat16}, {"LongStorage", c10::kLong},     {"IntStorage", c10::kInt},
    {"ShortStorage", c10::kShort},       {"CharStorage", c10::kChar},     {"ByteStorage", c10::kByte},
    {"BoolStorage", c10::kBool}};

} // namespace mlpify::core
