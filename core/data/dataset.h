// Labelled image sets held in memory as uint8 [N, C, H, W], read from the formats users have:
// MNIST/Fashion-MNIST IDX, CIFAR binary batches and ImageNet-style class folders.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

enum class Split { Train, Test };

struct Dataset {
    torch::Tensor images; // uint8 [N, C, H, W]
    torch::Tensor labels; // int64 [N]
    std::vector<std::string> classNames;
    std::string spec;    // what the user asked for, e.g. "fashion-mnist"
    std::string split;   // "train" or "test"
    bool photos = false; // decoded image files (folder:): training takes random resized crops

    int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
    int64_t channels() const { return images.size(1); }
    int64_t height() const { return images.size(2); }
    int64_t width() const { return images.size(3); }
    Dataset subset(const std::vector<int64_t>& indices) const;
};

struct DataOptions {
    int64_t imageSize = 224; // folder datasets: resize the short side to imageSize/0.875, centre crop
    int64_t limit = 0;       // folder datasets: read at most this many images per split (0 = all)
    DataOptions& size(int64_t s)
    {
        imageSize = s;
        return *this;
    }
};

// The spec of a dataset folder by what it holds: idx:DIR (train-images-idx3-ubyte[.gz]),
// cifar10:DIR (data_batch_1.bin), cifar100:DIR (train.bin), otherwise folder:DIR (class folders).
std::string dataSpecForFolder(const std::string& dir);

// spec: fashion-mnist | idx:DIR | cifar10:DIR | cifar100:DIR | folder:DIR, or a bare folder
// (read as dataSpecForFolder says)
Dataset loadDataset(const std::string& spec, Split split, const DataOptions& options = {});

Dataset readIdx(const std::string& dir, Split split);
Dataset readCifar(const std::string& dir, Split split, bool cifar100);
Dataset readImageFolder(const std::string& dir, Split split, const DataOptions& options);
// One image file (JPEG, PNG, ...) as a dataset of one image, label 0: resized and centre-cropped to
// options.imageSize as readImageFolder does, grey when channels is 1. Error naming the file.
Dataset readImageFile(const std::string& path, int64_t channels, const DataOptions& options);
// False in a build without OpenCV, where readImageFolder refuses every folder by name.
bool imageFoldersAvailable();

std::string fashionMnistDir();

// A reproducible subset (calibration set): `count` distinct indices of [0, n) drawn with `seed`.
std::vector<int64_t> seededSubset(int64_t n, int64_t count, uint64_t seed);

// Classes of a dataset: its class names, else its largest label + 1.
int64_t classCount(const Dataset& data);

} // namespace mlpify::core
