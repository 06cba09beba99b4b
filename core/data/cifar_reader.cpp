// CIFAR-10/100 "binary version" batches: each record is label byte(s) then 3x32x32 pixels.
#include "core/data/dataset.h"
#include "core/error.h"

#include <filesystem>
#include <fstream>

namespace mlpify::core {

namespace fs = std::filesystem;

namespace {
std::vector<std::string> readLines(const fs::path& p)
{
    std::vector<std::string> out;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            out.push_back(line);
    return out;
}
} // namespace

Dataset readCifar(const std::string& dirIn, Split split, bool cifar100)
{
    fs::path dir(dirIn);
    for (const char* sub : {"cifar-10-batches-bin", "cifar-100-binary"})
        if (fs::is_directory(dir / sub))
            dir /= sub;
    if (!fs::is_directory(dir))
        throw Error(dirIn, "dataset folder does not exist");
    std::vector<std::string> files;
    if (cifar100)
        files = {split == Split::Train ? "train.bin" : "test.bin"};
    else if (split == Split::Train)
        files = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"};
    else
        files = {"test_batch.bin"};
    const size_t labelBytes = cifar100 ? 2 : 1;
    const size_t record = labelBytes + 3 * 32 * 32;
    std::vector<uint8_t> pixels;
    std::vector<int64_t> labels;
    for (const auto& name : files) {
        const auto path = dir / name;
        if (!fs::exists(path))
            throw Error(path.string(),
                        std::string("missing (expected the CIFAR-") + (cifar100 ? "100" : "10") + " binary layout)");
        const auto size = fs::file_size(path);
        if (size == 0 || size % record != 0)
            throw Error(path.string(), std::to_string(size) + " bytes is not a whole number of " +
                                           std::to_string(record) + "-byte CIFAR records");
        std::ifstream in(path, std::ios::binary);
        std::vector<uint8_t> buf(size);
        in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(size));
        for (size_t at = 0; at < size; at += record) {
            const int64_t label = buf[at + labelBytes - 1]; // CIFAR-100: fine label is the second byte
            if (label >= (cifar100 ? 100 : 10))
                throw Error(path.string(), "label " + std::to_string(label) + " out of range at record " +
                                               std::to_string(at / record));
            labels.push_back(label);
            pixels.insert(pixels.end(), buf.begin() + static_cast<std::ptrdiff_t>(at + labelBytes),
                          buf.begin() + static_cast<std::ptrdiff_t>(at + record));
        }
    }
    const auto n = static_cast<int64_t>(labels.size());
    Dataset d;
    d.images = torch::from_blob(pixels.data(), {n, 3, 32, 32}, torch::kUInt8).clone();
    d.labels = torch::tensor(labels, torch::kLong);
    for (const char* meta : {"batches.meta.txt", "fine_label_names.txt"})
        if (fs::exists(dir / meta) && (std::string(meta) == "fine_label_names.txt") == cifar100)
            d.classNames = readLines(dir / meta);
    if (d.classNames.empty()) // without the names file: the format's classes, by number
        for (int c = 0; c < (cifar100 ? 100 : 10); ++c)
            d.classNames.push_back("class " + std::to_string(c));
    return d;
}

} // namespace mlpify::core
