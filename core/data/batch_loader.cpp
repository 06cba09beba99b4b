#include "core/data/batch_loader.h"

#include "core/setting.h"

#include "core/error.h"

#include <cmath>
#include <numeric>
#include <random>

namespace mlpify::core {

void checkCompatible(const Dataset& data, const ViTConfig& config)
{
    if (data.size() == 0)
        throw Error(data.spec, "the dataset is empty");
    if (data.channels() != config.inChans)
        throw Error(data.spec, "images are " + std::to_string(data.channels()) + "x" + std::to_string(data.height()) +
                                   "x" + std::to_string(data.width()) + " but model '" + config.name + "' takes " +
                                   std::to_string(config.inChans) + "x" + std::to_string(config.imageSize) + "x" +
                                   std::to_string(config.imageSize));
}

std::string inputResize(const Dataset& data, const ViTConfig& config)
{
    if (data.size() == 0 || (data.height() == config.imageSize && data.width() == config.imageSize))
        return {};
    return std::to_string(data.height()) + "x" + std::to_string(data.width()) + " images resized to " +
           std::to_string(config.imageSize) + "x" + std::to_string(config.imageSize) + " (bicubic)";
}

torch::Tensor normalise(const torch::Tensor& uint8Images, const Normalization& norm)
{
    const auto c = uint8Images.size(1);
    auto mean = torch::tensor(norm.mean, torch::kFloat).view({1, c, 1, 1});
    auto std = torch::tensor(norm.std, torch::kFloat).view({1, c, 1, 1});
    return (uint8Images.to(torch::kFloat).div_(255.0f) - mean) / std;
}

torch::Tensor modelInput(const torch::Tensor& uint8Images, const Normalization& norm, int64_t size)
{
    auto x = normalise(uint8Images, norm);
    if (size > 0 && (x.size(2) != size || x.size(3) != size))
        x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>{size, size})
                                                      .mode(torch::kBicubic)
                                                      .align_corners(false));
    return x;
}

BatchLoader::BatchLoader(const Dataset& data, Normalization norm, LoaderOptions options)
    : m_data(data), m_norm(std::move(norm)), m_opt(options)
{
    if (m_opt.batchSize <= 0)
        throw Error("batch size must be positive");
    m_order.resize(static_cast<size_t>(data.size()));
    std::iota(m_order.begin(), m_order.end(), 0);
    if (m_opt.shuffle) {
        std::mt19937_64 rng(m_opt.seed * 1000003ULL + static_cast<uint64_t>(m_opt.epoch));
        std::shuffle(m_order.begin(), m_order.end(), rng);
    }
    if (m_opt.shardCount < 1 || m_opt.shardRank < 0 || m_opt.shardRank >= m_opt.shardCount)
        throw Error("batch loader", "shard " + std::to_string(m_opt.shardRank) + " of " +
                                        std::to_string(m_opt.shardCount) + " does not exist");
    m_numBatches = m_opt.shardCount == 1 ? (data.size() + m_opt.batchSize - 1) / m_opt.batchSize
                                         : data.size() / (m_opt.batchSize * m_opt.shardCount);
    m_thread = std::thread([this] { run(); });
}

BatchLoader::~BatchLoader()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
}

Batch BatchLoader::make(int64_t b)
{
    const int64_t begin = (b * m_opt.shardCount + m_opt.shardRank) * m_opt.batchSize;
    const int64_t end = std::min<int64_t>(begin + m_opt.batchSize, m_data.size());
    std::vector<int64_t> idx(m_order.begin() + begin, m_order.begin() + end);
    auto index = torch::tensor(idx, torch::kLong);
    auto images = m_data.images.index_select(0, index);
    if (m_opt.augment && m_data.photos) {
        std::mt19937_64 rng(m_opt.seed * 7919ULL + static_cast<uint64_t>(m_opt.epoch) * 100003ULL +
                            static_cast<uint64_t>(b * m_opt.shardCount + m_opt.shardRank));
        std::uniform_real_distribution<double> area(0.08, 1.0), logRatio(std::log(3.0 / 4.0), std::log(4.0 / 3.0));
        std::uniform_int_distribution<int> coin(0, 1);
        const auto h = images.size(2), w = images.size(3);
        std::vector<torch::Tensor> out;
        for (int64_t i = 0; i < images.size(0); ++i) {
            int64_t ch = h, cw = w, top = 0, left = 0; // torchvision's fallback: the whole image
            for (int attempt = 0; attempt < 10; ++attempt) {
                const double target = area(rng) * static_cast<double>(h * w), ratio = std::exp(logRatio(rng));
                const auto tw = static_cast<int64_t>(std::lround(std::sqrt(target * ratio)));
                const auto th = static_cast<int64_t>(std::lround(std::sqrt(target / ratio)));
                if (tw > 0 && th > 0 && tw <= w && th <= h) {
                    ch = th, cw = tw;
                    top = std::uniform_int_distribution<int64_t>(0, h - th)(rng);
                    left = std::uniform_int_distribution<int64_t>(0, w - tw)(rng);
                    break;
                }
            }
            auto crop = images[i].narrow(1, top, ch).narrow(2, left, cw).unsqueeze(0).to(torch::kFloat);
            crop = torch::nn::functional::interpolate(crop, torch::nn::functional::InterpolateFuncOptions()
                                                                .size(std::vector<int64_t>{h, w})
                                                                .mode(torch::kBicubic)
                                                                .align_corners(false))
                       .clamp_(0, 255)
                       .round_()
                       .to(torch::kUInt8)
                       .squeeze(0);
            out.push_back(coin(rng) ? crop.flip({2}) : crop);
        }
        images = torch::stack(out);
    } else if (m_opt.augment) {
        // Seeded per (seed, epoch, batch) so a resumed run sees the same augmentations.
        std::mt19937_64 rng(m_opt.seed * 7919ULL + static_cast<uint64_t>(m_opt.epoch) * 100003ULL +
                            static_cast<uint64_t>(b * m_opt.shardCount + m_opt.shardRank));
        std::uniform_int_distribution<int> shift(0, 4), coin(0, 1);
        const auto h = images.size(2), w = images.size(3);
        auto padded = torch::constant_pad_nd(images, {2, 2, 2, 2}, 0);
        std::vector<torch::Tensor> out;
        for (int64_t i = 0; i < images.size(0); ++i) {
            auto img = padded[i].narrow(1, shift(rng), h).narrow(2, shift(rng), w);
            out.push_back(coin(rng) ? img.flip({2}) : img);
        }
        images = torch::stack(out);
    }
    return {modelInput(images, m_norm, m_opt.imageSize), m_data.labels.index_select(0, index), b};
}

void BatchLoader::run()
{
    try {
        for (int64_t b = m_opt.skipBatches; b < m_numBatches; ++b) {
            Batch batch = make(b);
            std::unique_lock<std::mutex> lock(m_mutex);
            m_cv.wait(lock, [&] { return m_stop || static_cast<int64_t>(m_queue.size()) < m_opt.prefetch; });
            if (m_stop)
                return;
            m_queue.push_back(std::move(batch));
            m_cv.notify_all();
        }
    } catch (...) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    m_done = true;
    m_cv.notify_all();
}

std::optional<Batch> BatchLoader::next()
{
    std::unique_lock<std::mutex> lock(m_mutex);
    m_cv.wait(lock, [&] { return !m_queue.empty() || m_done; });
    if (m_queue.empty()) {
        if (m_error)
            std::rethrow_exception(m_error);
        return std::nullopt;
    }
    Batch b = std::move(m_queue.front());
    m_queue.pop_front();
    m_cv.notify_all();
    return b;
}

void checkClasses(const Dataset& data, const ViTConfig& config)
{
    const auto classes = classCount(data);
    if (classes != config.numClasses)
        throw Error(data.spec, "has " + std::to_string(classes) + " classes but the head of model '" + config.name +
                                   "' has " + std::to_string(config.numClasses) + " outputs; " +
                                   settingName(Setting::NewHead) + " trains a new " + std::to_string(classes) +
                                   "-class head");
}

} // namespace mlpify::core
