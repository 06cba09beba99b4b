#include "core/data/dataset.h"

#include "core/error.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>

namespace mlpify::core {

Dataset Dataset::subset(const std::vector<int64_t>& indices) const
{
    for (auto i : indices)
        if (i < 0 || i >= size())
            throw Error(spec, "index " + std::to_string(i) + " is outside the " + std::to_string(size()) + " images");
    auto idx = torch::tensor(indices, torch::kLong);
    Dataset out = *this;
    out.images = images.index_select(0, idx);
    out.labels = labels.index_select(0, idx);
    return out;
}

std::string fashionMnistDir()
{
    // Debian's dataset-fashion-mnist; MLPIFY_FASHION_MNIST_DIR where the same four files lie
    // elsewhere (a GPU server without Debian's package).
    const char* dir = std::getenv("MLPIFY_FASHION_MNIST_DIR");
    return dir && *dir ? dir : "/usr/share/datasets/fashion-mnist";
}

std::string dataSpecForFolder(const std::string& dir)
{
    namespace fs = std::filesystem;
    const fs::path d(dir);
    std::error_code ec;
    const auto has = [&](const char* name) { return fs::is_regular_file(d / name, ec); };
    if (has("train-images-idx3-ubyte") || has("train-images-idx3-ubyte.gz"))
        return "idx:" + dir;
    if (has("data_batch_1.bin"))
        return "cifar10:" + dir;
    if (has("train.bin"))
        return "cifar100:" + dir;
    return "folder:" + dir;
}

Dataset loadDataset(const std::string& spec, Split split, const DataOptions& options)
{
    std::error_code ec;
    if (spec.find(':') == std::string::npos && spec != "fashion-mnist" && std::filesystem::is_directory(spec, ec)) {
        auto d = loadDataset(dataSpecForFolder(spec), split, options);
        d.spec = spec;
        return d;
    }
    auto after = [&](const std::string& prefix) { return spec.substr(prefix.size()); };
    Dataset d;
    if (spec == "fashion-mnist") {
        d = readIdx(fashionMnistDir(), split);
        d.classNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    } else if (spec.rfind("idx:", 0) == 0) {
        d = readIdx(after("idx:"), split);
    } else if (spec.rfind("cifar10:", 0) == 0) {
        d = readCifar(after("cifar10:"), split, false);
    } else if (spec.rfind("cifar100:", 0) == 0) {
        d = readCifar(after("cifar100:"), split, true);
    } else if (spec.rfind("folder:", 0) == 0) {
        d = readImageFolder(after("folder:"), split, options);
    } else {
        throw Error("dataset spec '" + spec + "'",
                    "unknown (use fashion-mnist, idx:DIR, cifar10:DIR, cifar100:DIR, folder:DIR or a folder)");
    }
    if (d.classNames.empty())
        for (int64_t c = 0; c <= d.labels.max().item<int64_t>(); ++c)
            d.classNames.push_back(std::to_string(c));
    d.spec = spec;
    d.split = split == Split::Train ? "train" : "test";
    return d;
}

std::vector<int64_t> seededSubset(int64_t n, int64_t count, uint64_t seed)
{
    if (count <= 0)
        throw Error("calibration set",
                    "the requested number of images must be positive (got " + std::to_string(count) + ")");
    if (count > n)
        throw Error("calibration set",
                    std::to_string(count) + " images requested but the dataset has only " + std::to_string(n));
    std::vector<int64_t> all(static_cast<size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    std::mt19937_64 rng(seed);
    // Partial Fisher-Yates: the first `count` entries are a uniform sample, stable for a seed.
    for (int64_t i = 0; i < count; ++i) {
        std::uniform_int_distribution<int64_t> pick(i, n - 1);
        std::swap(all[static_cast<size_t>(i)], all[static_cast<size_t>(pick(rng))]);
    }
    all.resize(static_cast<size_t>(count));
    return all;
}

int64_t classCount(const Dataset& data)
{
    if (!data.classNames.empty())
        return static_cast<int64_t>(data.classNames.size());
    return data.size() ? data.labels.max().item<int64_t>() + 1 : 0;
}

} // namespace mlpify::core
