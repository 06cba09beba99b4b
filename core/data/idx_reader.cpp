// MNIST-family IDX files, gzip-compressed or raw (zlib reads both).
#include "core/data/dataset.h"
#include "core/error.h"

#include <zlib.h>

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

std::vector<uint8_t> readAll(const std::string& path)
{
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f)
        throw Error(path, "cannot open");
    std::vector<uint8_t> out;
    uint8_t buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0)
        out.insert(out.end(), buf, buf + n);
    int err = 0;
    const char* msg = gzerror(f, &err);
    const std::string why = (n < 0 || err < 0) ? std::string(msg) : std::string();
    gzclose(f);
    if (!why.empty())
        throw Error(path, "corrupt gzip data: " + why);
    return out;
}

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
    const auto img = readAll(imgPath);
    const auto lbl = readAll(lblPath);
    if (img.size() < 16 || be32(img, 0) != 0x00000803)
        throw Error(imgPath, "not an IDX image file (magic 0x00000803 expected)");
    if (lbl.size() < 8 || be32(lbl, 0) != 0x00000801)
        throw Error(lblPath, "not an IDX label file (magic 0x00000801 expected)");
    const int64_t n = be32(img, 4), h = be32(img, 8), w = be32(img, 12);
    if (static_cast<int64_t>(img.size()) != 16 + n * h * w)
        throw Error(imgPath, "holds " + std::to_string(img.size() - 16) + " pixel bytes, header promises " +
                                 std::to_string(n * h * w) + " (truncated?)");
    if (be32(lbl, 4) != n || static_cast<int64_t>(lbl.size()) != 8 + n)
        throw Error(lblPath, "label count does not match the " + std::to_string(n) + " images");
    Dataset d;
    d.images = torch::from_blob(const_cast<uint8_t*>(img.data() + 16), {n, 1, h, w}, torch::kUInt8).clone();
    d.labels = torch::from_blob(const_cast<uint8_t*>(lbl.data() + 8), {n}, torch::kUInt8).to(torch::kLong);
    return d;
}

} // namespace mlpify::core
