#include "core/data/image_header.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace mlpify::core {

namespace {

using Bytes = std::vector<uint8_t>;

uint32_t be(const Bytes& b, size_t at, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; ++i)
        v = v << 8 | b[at + i];
    return v;
}

uint32_t le(const Bytes& b, size_t at, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i)
        v = v << 8 | b[at + i];
    return v;
}

bool startsWith(const Bytes& b, std::initializer_list<uint8_t> sig, size_t at = 0)
{
    return b.size() >= at + sig.size() && std::equal(sig.begin(), sig.end(), b.begin() + static_cast<long>(at));
}

std::optional<ImageSize> png(const Bytes& b)
{
    if (b.size() < 24 || !startsWith(b, {'I', 'H', 'D', 'R'}, 12))
        return std::nullopt;
    return ImageSize{be(b, 16, 4), be(b, 20, 4)};
}

// Walks the marker segments to the first frame header (SOF0-SOF15 but DHT, JPG and DAC). Bytes
// other than a marker between segments are skipped, as libjpeg does (with a warning).
std::optional<ImageSize> jpeg(const Bytes& b)
{
    size_t i = 2;
    while (i + 4 <= b.size()) {
        const uint8_t m = b[i + 1];
        if (b[i] != 0xff || m == 0xff) {
            ++i;
            continue;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) { // TEM, RSTn, SOI: no length
            i += 2;
            continue;
        }
        if (m == 0xd9 || m == 0xda) // end of image, or a scan before any frame header
            return std::nullopt;
        const bool frame = m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
        if (frame)
            return i + 9 <= b.size() ? std::optional(ImageSize{be(b, i + 7, 2), be(b, i + 5, 2)}) : std::nullopt;
        i += 2 + be(b, i + 2, 2);
    }
    return std::nullopt;
}

std::optional<ImageSize> bmp(const Bytes& b)
{
    if (b.size() < 26)
        return std::nullopt;
    if (le(b, 14, 4) == 12) // OS/2 BITMAPCOREHEADER: 16-bit sizes
        return ImageSize{le(b, 18, 2), le(b, 20, 2)};
    // BITMAPINFOHEADER and later: signed 32-bit sizes, a negative height for top-down rows.
    return ImageSize{std::llabs(static_cast<int32_t>(le(b, 18, 4))), std::llabs(static_cast<int32_t>(le(b, 22, 4)))};
}

std::optional<ImageSize> webp(const Bytes& b)
{
    if (startsWith(b, {'V', 'P', '8', ' '}, 12) && b.size() >= 30 && startsWith(b, {0x9d, 0x01, 0x2a}, 23))
        return ImageSize{le(b, 26, 2) & 0x3fff, le(b, 28, 2) & 0x3fff};
    if (startsWith(b, {'V', 'P', '8', 'L'}, 12) && b.size() >= 25 && b[20] == 0x2f) {
        const uint32_t bits = le(b, 21, 4);
        return ImageSize{(bits & 0x3fff) + 1, (bits >> 14 & 0x3fff) + 1};
    }
    if (startsWith(b, {'V', 'P', '8', 'X'}, 12) && b.size() >= 30)
        return ImageSize{le(b, 24, 3) + 1, le(b, 27, 3) + 1};
    return std::nullopt;
}

// ImageWidth (256) and ImageLength (257) of the first image file directory.
std::optional<ImageSize> tiff(const Bytes& b)
{
    const bool little = b[0] == 'I';
    auto u = [&](size_t at, int n) { return little ? le(b, at, n) : be(b, at, n); };
    if (b.size() < 8)
        return std::nullopt;
    const size_t dir = u(4, 4);
    if (dir > b.size() || b.size() - dir < 2)
        return std::nullopt;
    int64_t width = -1, height = -1;
    const size_t entries = u(dir, 2);
    for (size_t k = 0; k < entries && dir + 2 + 12 * (k + 1) <= b.size(); ++k) {
        const size_t e = dir + 2 + 12 * k;
        const uint32_t tag = u(e, 2), type = u(e + 2, 2);
        if ((tag != 256 && tag != 257) || (type != 3 && type != 4)) // SHORT or LONG
            continue;
        (tag == 256 ? width : height) = type == 3 ? u(e + 8, 2) : u(e + 8, 4);
    }
    if (width < 0 || height < 0)
        return std::nullopt;
    return ImageSize{width, height};
}

// P1-P6: the magic number, then width and height in decimal, with whitespace and # comments between.
std::optional<ImageSize> pnm(const Bytes& b)
{
    size_t i = 2;
    auto number = [&]() -> std::optional<int64_t> {
        while (i < b.size() && (std::isspace(b[i]) || b[i] == '#'))
            if (b[i] == '#')
                while (i < b.size() && b[i] != '\n' && b[i] != '\r')
                    ++i;
            else
                ++i;
        if (i >= b.size() || !std::isdigit(b[i]))
            return std::nullopt;
        int64_t v = 0;
        for (; i < b.size() && std::isdigit(b[i]); ++i)
            v = std::min<int64_t>(v * 10 + (b[i] - '0'), int64_t{1} << 32); // saturates: only "too big" matters
        if (i >= b.size()) // a number is ended by whitespace: "37 2" may be cut from "37 23"
            return std::nullopt;
        // The character that ends a number is consumed with it, as OpenCV's reader does: a '#'
        // right after the width starts no comment, so "30000#0030000" is 30000 by 30000 to it.
        ++i;
        return v;
    };
    const auto width = number();
    const auto height = width ? number() : std::nullopt;
    if (!height)
        return std::nullopt;
    return ImageSize{*width, *height};
}

} // namespace

std::optional<ImageFormat> imageFormat(const Bytes& b)
{
    if (startsWith(b, {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}))
        return ImageFormat::Png;
    if (startsWith(b, {0xff, 0xd8, 0xff}))
        return ImageFormat::Jpeg;
    if (startsWith(b, {'B', 'M'}))
        return ImageFormat::Bmp;
    if (startsWith(b, {'R', 'I', 'F', 'F'}) && startsWith(b, {'W', 'E', 'B', 'P'}, 8))
        return ImageFormat::WebP;
    if (startsWith(b, {'I', 'I', '*', 0}) || startsWith(b, {'M', 'M', 0, '*'}))
        return ImageFormat::Tiff;
    if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6')
        return ImageFormat::Pnm;
    return std::nullopt;
}

std::optional<ImageSize> declaredImageSize(const Bytes& b)
{
    const auto format = imageFormat(b);
    if (!format)
        return std::nullopt;
    switch (*format) {
    case ImageFormat::Jpeg:
        return jpeg(b);
    case ImageFormat::Png:
        return png(b);
    case ImageFormat::Bmp:
        return bmp(b);
    case ImageFormat::WebP:
        return webp(b);
    case ImageFormat::Tiff:
        return tiff(b);
    case ImageFormat::Pnm:
        return pnm(b);
    }
    return std::nullopt;
}

} // namespace mlpify::core
