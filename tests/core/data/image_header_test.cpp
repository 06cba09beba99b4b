// The sizes read from image headers against the sizes of images OpenCV itself encoded.
#include "core/data/image_header.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

using namespace mlpify::core;

namespace {

std::vector<uint8_t> encode(const std::string& ext, const cv::Mat& img, const std::vector<int>& params = {})
{
    std::vector<uint8_t> out;
    EXPECT_TRUE(cv::imencode(ext, img, out, params)) << ext;
    return out;
}

cv::Mat pattern(int channels)
{
    cv::Mat img(23, 37, CV_8UC(channels)); // 37 wide, 23 high: a swapped width and height shows
    cv::randu(img, 0, 255);
    return img;
}

void expectSize(const std::vector<uint8_t>& bytes, int64_t width, int64_t height, const std::string& what)
{
    const auto size = declaredImageSize(bytes);
    ASSERT_TRUE(size.has_value()) << what;
    EXPECT_EQ(size->width, width) << what;
    EXPECT_EQ(size->height, height) << what;
}

std::vector<uint8_t> bytesOf(const std::string& s)
{
    return {s.begin(), s.end()};
}

} // namespace

TEST(ImageHeader, SizesOfImagesOpenCvEncodedInEveryListedFormat)
{
    const auto rgb = pattern(3), rgba = pattern(4);
    const std::vector<std::pair<std::string, std::vector<uint8_t>>> files = {
        {"jpeg", encode(".jpg", rgb)},
        {"progressive jpeg", encode(".jpg", rgb, {cv::IMWRITE_JPEG_PROGRESSIVE, 1})},
        {"png", encode(".png", rgb)},
        {"bmp", encode(".bmp", rgb)},
        {"webp lossy (VP8)", encode(".webp", rgb, {cv::IMWRITE_WEBP_QUALITY, 80})},
        {"webp lossless (VP8L)", encode(".webp", rgb, {cv::IMWRITE_WEBP_QUALITY, 101})},
        {"webp lossy with alpha (VP8X)", encode(".webp", rgba, {cv::IMWRITE_WEBP_QUALITY, 80})},
        {"tiff", encode(".tiff", rgb)},
        {"ppm (P6)", encode(".ppm", rgb)},
        {"ppm (P3)", encode(".ppm", rgb, {cv::IMWRITE_PXM_BINARY, 0})},
        {"pgm (P5)", encode(".pgm", pattern(1))},
    };
    for (const auto& [what, bytes] : files) {
        expectSize(bytes, 37, 23, what);
        // A decoder that agrees: OpenCV reads back the same size.
        const auto back = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
        EXPECT_EQ(back.cols, 37) << what;
        EXPECT_EQ(back.rows, 23) << what;
    }
}

TEST(ImageHeader, EveryCutOfAHeaderGivesNothingOrTheTrueSize)
{
    const auto rgb = pattern(3);
    for (const auto& ext : {".jpg", ".png", ".bmp", ".webp", ".tiff", ".ppm"}) {
        const auto whole = encode(ext, rgb);
        bool found = false;
        for (size_t n = 0; n <= whole.size(); ++n) { // TIFF's directory follows the pixels
            const auto size = declaredImageSize(std::vector<uint8_t>(whole.begin(), whole.begin() + n));
            if (!size)
                continue;
            found = true;
            EXPECT_EQ(size->width, 37) << ext << " cut at " << n;
            EXPECT_EQ(size->height, 23) << ext << " cut at " << n;
        }
        EXPECT_TRUE(found) << ext;
    }
}

TEST(ImageHeader, HandWrittenHeaders)
{
    // PNM: comments and any whitespace between the numbers; a size past 2^32 saturates, not wraps.
    expectSize(bytesOf("P6\n# made by hand\n  640\t# width\n480\n255\n"), 640, 480, "ppm with comments");
    expectSize(bytesOf("P5 30000 30000 255 "), 30000, 30000, "pgm on one line");
    expectSize(bytesOf("P6\n99999999999999999999 1\n"), int64_t{1} << 32, 1, "ppm with a huge width");
    // OpenCV consumes the character that ends a number: a "#" right after the width starts no comment,
    // so this declares 30000 x 30000 to OpenCV (found by fuzz_image: it allocated 2.7 GB).
    expectSize(bytesOf("P6\n30000#0030000\n255\nabc"), 30000, 30000, "ppm with # ending the width");
    EXPECT_FALSE(declaredImageSize(bytesOf("P6\n640 48")).has_value()) << "a height that may go on";
    EXPECT_FALSE(declaredImageSize(bytesOf("P6\n640")).has_value());
    EXPECT_FALSE(declaredImageSize(bytesOf("P6\n# only a comment")).has_value());
    // BMP: a negative height means rows stored top-down, the same size.
    std::string bmp = "BM" + std::string(12, '\0') + std::string("\x28\0\0\0", 4) + std::string("\x25\0\0\0", 4) +
                      std::string("\xe9\xff\xff\xff", 4); // header size 40, width 37, height -23
    expectSize(bytesOf(bmp), 37, 23, "top-down bmp");
    // JPEG: bytes that are not a marker between segments are skipped, as libjpeg does.
    const std::string sof = std::string("\xff\xc0\x00\x11\x08\x00\x17\x00\x25", 9);
    expectSize(bytesOf(std::string("\xff\xd8\xff\xe0\x00\x04xy", 8) + "junk" + sof), 37, 23, "jpeg with junk");
    EXPECT_FALSE(declaredImageSize(bytesOf(std::string("\xff\xd8\xff\xda\x00\x04xy", 8) + sof)).has_value())
        << "a scan before any frame header";
    // Formats outside the list have no size here, whatever their header says.
    EXPECT_FALSE(imageFormat(bytesOf("Pf\n2 2\n-1.0\n")).has_value());
    EXPECT_FALSE(declaredImageSize(bytesOf("GIF89a\x25\0\x17\0")).has_value());
}
