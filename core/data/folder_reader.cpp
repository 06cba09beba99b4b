// ImageNet-style class folders: DIR/{train,val}/CLASS/*.jpg, or DIR/CLASS/*.jpg for both splits.
#include "core/data/dataset.h"
#include "core/data/image_header.h"
#include "core/error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace mlpify::core {

namespace fs = std::filesystem;

namespace {
bool isImage(const fs::path& p)
{
    auto ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    for (const char* e : {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})
        if (ext == e)
            return true;
    return false;
}

// timm's eval transform: resize the short side to size / 0.875, then centre crop size x size.
cv::Mat resizeAndCrop(const cv::Mat& full, int size)
{
    // A 1 x 1,000,000 image would be resized to 36 x 36,000,000 pixels only to keep 32 x 32 of
    // them: past 4:1, the long side is first cut to 4x the short one (the crop lies well inside).
    const int shortIn = std::min(full.cols, full.rows), longCap = 4 * shortIn;
    const cv::Mat img = full.cols > longCap   ? full(cv::Rect((full.cols - longCap) / 2, 0, longCap, full.rows))
                        : full.rows > longCap ? full(cv::Rect(0, (full.rows - longCap) / 2, full.cols, longCap))
                                              : full;
    const int shortSide = static_cast<int>(std::floor(size / 0.875));
    const double scale = static_cast<double>(shortSide) / std::min(img.cols, img.rows);
    cv::Mat resized;
    cv::resize(img, resized,
               cv::Size(std::max(size, static_cast<int>(std::lround(img.cols * scale))),
                        std::max(size, static_cast<int>(std::lround(img.rows * scale)))),
               0, 0, cv::INTER_AREA);
    const int x = (resized.cols - size) / 2, y = (resized.rows - size) / 2;
    return resized(cv::Rect(x, y, size, size)).clone();
}
// A file OpenCV refuses (with an exception or an empty image) becomes an Error naming it.
cv::Mat decodeImage(const std::string& path, int size)
{
    std::ifstream in(path, std::ios::binary);
    std::vector<uchar> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw Error(path, "cannot read image");
    // OpenCV picks its decoder by the file's content, among many more formats than a dataset
    // folder lists (DICOM, OpenEXR, JPEG 2000, ...), some of which abort the process on a hostile
    // file (an assertion in GDCM's reader): only the listed formats reach OpenCV.
    if (!imageFormat(bytes))
        throw Error(path, "not a JPEG, PNG, BMP, WebP, TIFF or PPM/PGM image (by its content)");
    // OpenCV allocates what the header declares, up to 2^30 pixels, before reading any pixel.
    const auto declared = declaredImageSize(bytes);
    if (!declared)
        throw Error(path, "image header cut short or without the image's size");
    if (declared->width > 0 && declared->height > kMaxImagePixels / declared->width)
        throw Error(path, "image header declares " + std::to_string(declared->width) + " x " +
                              std::to_string(declared->height) + " pixels, more than the " +
                              std::to_string(kMaxImagePixels) +
                              " an image may have (a corrupt file or a decompression bomb)");
    try {
        cv::Mat img = cv::imdecode(bytes, cv::IMREAD_COLOR);
        if (img.empty())
            throw Error(path, "cannot decode image");
        cv::cvtColor(resizeAndCrop(img, size), img, cv::COLOR_BGR2RGB);
        return img;
    } catch (const cv::Exception& e) {
        throw Error(path, "cannot decode image: " + e.err);
    }
}
} // namespace

bool imageFoldersAvailable()
{
    return true;
}

Dataset readImageFolder(const std::string& dirIn, Split split, const DataOptions& options)
{
    fs::path dir(dirIn);
    if (!fs::is_directory(dir))
        throw Error(dirIn, "dataset folder does not exist");
    const char* sub = split == Split::Train ? "train" : "val";
    if (fs::is_directory(dir / sub))
        dir /= sub;
    else if (split == Split::Test && fs::is_directory(dir / "test"))
        dir /= "test";
    std::vector<fs::path> classDirs;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory())
            classDirs.push_back(e.path());
    std::sort(classDirs.begin(), classDirs.end());
    if (classDirs.empty())
        throw Error(dir.string(), "no class subfolders (expected DIR/CLASS/image.jpg)");
    Dataset d;
    std::vector<torch::Tensor> images;
    std::vector<int64_t> labels;
    const int size = static_cast<int>(options.imageSize);
    for (size_t c = 0; c < classDirs.size(); ++c) {
        d.classNames.push_back(classDirs[c].filename().string());
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(classDirs[c]))
            if (e.is_regular_file() && isImage(e.path()))
                files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            if (options.limit > 0 && static_cast<int64_t>(labels.size()) >= options.limit)
                break;
            const cv::Mat img = decodeImage(f.string(), size);
            images.push_back(torch::from_blob(img.data, {size, size, 3}, torch::kUInt8).permute({2, 0, 1}).clone());
            labels.push_back(static_cast<int64_t>(c));
        }
    }
    if (images.empty())
        throw Error(dir.string(), "class folders hold no images (.jpg, .png, ...)");
    d.images = torch::stack(images);
    d.labels = torch::tensor(labels, torch::kLong);
    d.photos = true;
    return d;
}

Dataset readImageFile(const std::string& path, int64_t channels, const DataOptions& options)
{
    if (channels != 1 && channels != 3)
        throw Error(path, "an image file can feed a model of 1 or 3 channels, not " + std::to_string(channels));
    const int size = static_cast<int>(options.imageSize);
    cv::Mat img = decodeImage(path, size);
    if (channels == 1)
        cv::cvtColor(img, img, cv::COLOR_RGB2GRAY);
    Dataset d;
    d.images = torch::from_blob(img.data, {1, size, size, channels}, torch::kUInt8).permute({0, 3, 1, 2}).clone();
    d.labels = torch::zeros({1}, torch::kLong);
    d.spec = path;
    d.split = "file";
    d.photos = true;
    return d;
}

} // namespace mlpify::core
