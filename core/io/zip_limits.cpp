#include "core/io/zip_limits.h"

#include "core/error.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

namespace mlpify::core {

namespace {

constexpr uint64_t kMaxDeflateRatio = 1032; // deflate's ceiling: 258 bytes out of 2 bits in

uint64_t le(const std::vector<char>& b, size_t at, int bytes)
{
    uint64_t v = 0;
    for (int k = bytes - 1; k >= 0; --k)
        v = (v << 8) | static_cast<uint8_t>(b[at + k]);
    return v;
}

std::vector<char> readAt(std::ifstream& in, uint64_t offset, uint64_t size)
{
    std::vector<char> b(size);
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(b.data(), static_cast<std::streamsize>(size));
    if (!in)
        b.clear();
    return b;
}

struct Directory {
    uint64_t offset = 0, size = 0;
};

// The end-of-central-directory record (zip64 when its fields overflow), searched for from the
// end the way miniz does; nothing when there is none.
bool findDirectory(std::ifstream& in, uint64_t fileSize, Directory& dir)
{
    const uint64_t tailSize = std::min<uint64_t>(fileSize, 22 + 65535);
    const auto tail = readAt(in, fileSize - tailSize, tailSize);
    if (tail.size() < 22)
        return false;
    for (size_t at = tail.size() - 22 + 1; at-- > 0;) {
        if (le(tail, at, 4) != 0x06054b50)
            continue;
        dir = {le(tail, at + 16, 4), le(tail, at + 12, 4)};
        if (dir.offset != 0xFFFFFFFF && dir.size != 0xFFFFFFFF)
            return true;
        const uint64_t eocd = fileSize - tailSize + at;
        if (eocd < 20)
            return false;
        const auto locator = readAt(in, eocd - 20, 20);
        if (locator.size() < 20 || le(locator, 0, 4) != 0x07064b50)
            return false;
        const uint64_t at64 = le(locator, 8, 8);
        if (at64 > fileSize || fileSize - at64 < 56)
            return false;
        const auto eocd64 = readAt(in, at64, 56);
        if (eocd64.size() < 56 || le(eocd64, 0, 4) != 0x06064b50)
            return false;
        dir = {le(eocd64, 48, 8), le(eocd64, 40, 8)};
        return true;
    }
    return false;
}

} // namespace

void checkZipRecordSizes(const std::string& path)
{
    std::error_code ec;
    const uint64_t fileSize = std::filesystem::file_size(path, ec);
    std::ifstream in(path, std::ios::binary);
    Directory dir;
    if (ec || !in || !findDirectory(in, fileSize, dir) || dir.offset > fileSize || dir.size > fileSize - dir.offset)
        return;
    const auto cd = readAt(in, dir.offset, dir.size);
    for (size_t at = 0; at + 46 <= cd.size() && le(cd, at, 4) == 0x02014b50;) {
        const uint64_t method = le(cd, at + 10, 2), nameLen = le(cd, at + 28, 2), extraLen = le(cd, at + 30, 2);
        uint64_t compressed = le(cd, at + 20, 4), size = le(cd, at + 24, 4);
        const size_t next = at + 46 + nameLen + extraLen + le(cd, at + 32, 2);
        if (next > cd.size())
            return;
        const std::string name(cd.data() + at + 46, nameLen);
        // Zip64: the real sizes sit in extra field 0x0001, uncompressed first, for those marked.
        for (size_t e = at + 46 + nameLen; e + 4 <= at + 46 + nameLen + extraLen;) {
            const uint64_t id = le(cd, e, 2), len = le(cd, e + 2, 2);
            if (e + 4 + len > at + 46 + nameLen + extraLen)
                break;
            size_t field = e + 4;
            if (id == 1) {
                for (uint64_t* v : {&size, &compressed})
                    if (*v == 0xFFFFFFFF && field + 8 <= e + 4 + len) {
                        *v = le(cd, field, 8);
                        field += 8;
                    }
            }
            e += 4 + len;
        }
        const uint64_t limit = method == 0 ? fileSize : std::min(compressed, fileSize) * kMaxDeflateRatio;
        if (size > limit || compressed > fileSize)
            throw Error(path, "zip record '" + name + "' claims " + std::to_string(size) + " bytes, more than the " +
                                  std::to_string(fileSize) + "-byte file can hold (corrupt or forged checkpoint)");
        at = next;
    }
}

} // namespace mlpify::core
