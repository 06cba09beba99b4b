// MNIST-family IDX files, gzip-compressed or raw (zlib reads both).
#include "core/data/dataset.h"
#include "core/error.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>

namespace mlpify::core {

namespace {

std::string findFile(const std::string& dir, const std::string& stem)
{
    for (const auto& name : {stem, stem + ".gz"}) {
        const auto p = std::filesystem::path(dir) / name;
        if (std::filesystem::exists(p))
            return p.string();
    }
    throw Error(dir, "IDX file '" + stem + "[.gz]' not found (expected the MNIST file names)");
}

// An IDX file (gzip or raw) read in steps: the header first, then only what it promises plus
// one byte (which tells "longer than promised"), so neither a forged count nor a gzip bomb
// grows the buffer past the claim.
class IdxFile {
public:
    explicit IdxFile(std::string path) : m_path(std::move(path)), m_file(gzopen(m_path.c_str(), "rb"))
    {
        if (!m_file)
            throw Error(m_path, "cannot open");
    }
    ~IdxFile() { gzclose(m_file); }
    IdxFile(const IdxFile&) = delete;
    IdxFile& operator=(const IdxFile&) = delete;

    // Appends up to n more bytes; fewer only at the end of the file.
    void read(uint64_t n)
    {
        uint8_t buf[1 << 16];
        while (n > 0) {
            const int got = gzread(m_file, buf, static_cast<unsigned>(std::min<uint64_t>(n, sizeof buf)));
            int err = 0;
            const char* why = gzerror(m_file, &err);
            if (got < 0 || err < 0)
                throw Error(m_path, std::string("corrupt gzip data: ") + why);
            if (got == 0)
                return;
            bytes.insert(bytes.end(), buf, buf + got);
            n -= static_cast<uint64_t>(got);
        }
    }
    std::vector<uint8_t> bytes;

private:
    std::string m_path;
    gzFile m_file;
};

uint32_t be32(const std::vector<uint8_t>& b, size_t at)
{
    return (uint32_t(b[at]) << 24) | (uint32_t(b[at + 1]) << 16) | (uint32_t(b[at + 2]) << 8) | b[at + 3];
}

} // namespace

Dataset readIdx(const std::string& dir, Split split)
{
    if (!std::filesystem::is_directory(dir))
        throw Error(dir, "dataset folder does not exist");
    const std::string prefix = split == Split::Train ? "train" : "t10k";
    const auto imgPath = findFile(dir, prefix + "-images-idx3-ubyte");
    const auto lblPath = findFile(dir, prefix + "-labels-idx1-ubyte");
    IdxFile img(imgPath), lbl(lblPath);
    img.read(16);
    lbl.read(8);
    if (img.bytes.size() < 16 || be32(img.bytes, 0) != 0x00000803)
        throw Error(imgPath, "not an IDX image file (magic 0x00000803 expected)");
    if (lbl.bytes.size() < 8 || be32(lbl.bytes, 0) != 0x00000801)
        throw Error(lblPath, "not an IDX label file (magic 0x00000801 expected)");
    const uint64_t n = be32(img.bytes, 4), h = be32(img.bytes, 8), w = be32(img.bytes, 12);
    uint64_t pixels = 0;
    if (n == 0 || h == 0 || w == 0 || __builtin_mul_overflow(h, w, &pixels) ||
        __builtin_mul_overflow(n, pixels, &pixels))
        throw Error(imgPath, "header claims " + std::to_string(n) + " images of " + std::to_string(h) + "x" +
                                 std::to_string(w) + " pixels");
    img.read(pixels + 1);
    if (img.bytes.size() != 16 + pixels) {
        const bool longer = img.bytes.size() > 16 + pixels;
        throw Error(imgPath, "header claims " + std::to_string(n) + " images of " + std::to_string(h) + "x" +
                                 std::to_string(w) + " (" + std::to_string(pixels) + " pixel bytes), the file holds " +
                                 (longer ? "more" : std::to_string(img.bytes.size() - 16)) +
                                 " (truncated or not IDX?)");
    }
    lbl.read(n + 1);
    if (be32(lbl.bytes, 4) != n || lbl.bytes.size() != 8 + n)
        throw Error(lblPath, "label count does not match the " + std::to_string(n) + " images");
    Dataset d;
    const auto dims = [](uint64_t v) { return static_cast<int64_t>(v); };
    d.images = torch::from_blob(img.bytes.data() + 16, {dims(n), 1, dims(h), dims(w)}, torch::kUInt8).clone();
    d.labels = torch::from_blob(lbl.bytes.data() + 8, {dims(n)}, torch::kUInt8).to(torch::kLong);
    return d;
}

} // namespace mlpify::core
