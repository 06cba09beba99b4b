// The pixel size an image file declares in its header, read before any decoder allocates for it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace mlpify::core {

struct ImageSize {
    int64_t width = 0;
    int64_t height = 0;
};

// The most pixels an image in a dataset folder may declare: Pillow's decompression-bomb limit
// (MAX_IMAGE_PIXELS), so a folder that timm or torchvision read without complaint reads here too.
// A 20-byte header can otherwise ask a decoder for gigabytes.
constexpr int64_t kMaxImagePixels = 89'478'485;

// The formats a dataset folder lists, told by their signature (first bytes), not by the file name.
enum class ImageFormat { Jpeg, Png, Bmp, WebP, Tiff, Pnm };
std::optional<ImageFormat> imageFormat(const std::vector<uint8_t>& bytes);

// Width and height from the header of a JPEG (first frame header), PNG (IHDR), BMP, WebP
// (VP8, VP8L or VP8X), TIFF (first directory) or PBM/PGM/PPM file; nullopt for another format
// or a header cut short or without a size.
std::optional<ImageSize> declaredImageSize(const std::vector<uint8_t>& bytes);

} // namespace mlpify::core
