// Turns a Dataset into normalised float batches, prepared one or two ahead on a worker thread.
#pragma once

#include "core/data/dataset.h"
#include "core/model/model_meta.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace mlpify::core {

struct Batch {
    torch::Tensor images; // float [B, C, H, W], normalised
    torch::Tensor labels; // int64 [B]
    int64_t index = 0;    // batch number within the epoch
};

struct LoaderOptions {
    int64_t batchSize = 128;
    bool shuffle = false;
    // Random 2-pixel shifts (zero padding) and horizontal flips; for photos (Dataset::photos)
    // torchvision's RandomResizedCrop (area 8% to 100%, aspect 3/4 to 4/3, bicubic back to the
    // stored size) and flips instead, as timm's training transform.
    bool augment = false;
    uint64_t seed = 0;
    int64_t epoch = 0;       // shuffling order depends on (seed, epoch) only, so runs resume exactly
    int64_t skipBatches = 0; // resume mid-epoch
    int64_t prefetch = 2;
    // > 0: batches of another size are resized to imageSize x imageSize after augmentation,
    // bicubically (align_corners false) on the normalised floats, as timm's transfer recipes
    // upsample small images (CIFAR's 32 x 32 to 224 x 224).
    int64_t imageSize = 0;
    // Distributed sampling: the same shuffled order on every rank; batch b of rank r is the
    // r-th part of global batch b (batchSize x shardCount images). Incomplete global batches
    // at the end of an epoch are dropped so every rank takes the same number of steps.
    int64_t shardRank = 0;
    int64_t shardCount = 1;
};

// Throws Error when the images cannot feed the model (their channels differ); another size is
// resized (LoaderOptions::imageSize).
void checkCompatible(const Dataset& data, const ViTConfig& config);
// Error naming the data and both counts when the model's head does not have the data's classes
// (a new head gives it them: model/adapt.h).
void checkClasses(const Dataset& data, const ViTConfig& config);
// "" when the images have the model's size, else e.g. "32x32 images resized to 224x224 (bicubic)".
std::string inputResize(const Dataset& data, const ViTConfig& config);

torch::Tensor normalise(const torch::Tensor& uint8Images, const Normalization& norm);
// uint8 images -> a model's input: normalised, then resized bicubically (align_corners false) to
// size x size when size > 0 and they differ, as timm's transfer recipes upsample small images.
torch::Tensor modelInput(const torch::Tensor& uint8Images, const Normalization& norm, int64_t size);

class BatchLoader {
public:
    BatchLoader(const Dataset& data, Normalization norm, LoaderOptions options);
    ~BatchLoader();
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    std::optional<Batch> next(); // empty at the end of the epoch
    int64_t numBatches() const { return m_numBatches; }

private:
    void run();
    Batch make(int64_t b);

    const Dataset& m_data;
    Normalization m_norm;
    LoaderOptions m_opt;
    std::vector<int64_t> m_order;
    int64_t m_numBatches = 0;

    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<Batch> m_queue;
    bool m_done = false;
    bool m_stop = false;
    std::exception_ptr m_error;
    std::thread m_thread;
};

} // namespace mlpify::core
