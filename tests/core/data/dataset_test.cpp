#include "core/data/batch_loader.h"
#include "core/data/dataset.h"
#include "core/error.h"

#include "test_config.h"
#include <gtest/gtest.h>

#if MLPIFY_TESTS_WITH_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

#include <filesystem>
#include <fstream>

using namespace mlpify::core;
namespace fs = std::filesystem;

namespace {
fs::path freshDir(const std::string& name)
{
    auto d = fs::temp_directory_path() / ("mlpify_data_" + std::to_string(::getpid())) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// n CIFAR records; record i has label(s) derived from i and every pixel equal to (i * 7) % 256.
void writeCifar(const fs::path& p, int n, bool cifar100, int labelOffset)
{
    std::ofstream out(p, std::ios::binary);
    for (int i = 0; i < n; ++i) {
        if (cifar100)
            out.put(static_cast<char>(i % 20)); // coarse label, ignored
        out.put(static_cast<char>((i + labelOffset) % (cifar100 ? 100 : 10)));
        const std::string pixels(3072, static_cast<char>((i * 7) % 256));
        out.write(pixels.data(), 3072);
    }
}
} // namespace

TEST(FashionMnist, RealFilesHaveTheDocumentedCountsAndBalancedLabels)
{
    for (auto [split, n] : {std::pair{Split::Train, 60000}, std::pair{Split::Test, 10000}}) {
        auto d = loadDataset("fashion-mnist", split);
        ASSERT_EQ(d.size(), n);
        EXPECT_EQ(d.images.sizes(), (std::vector<int64_t>{n, 1, 28, 28}));
        EXPECT_EQ(d.images.scalar_type(), torch::kUInt8);
        auto hist = torch::bincount(d.labels, {}, 10);
        for (int c = 0; c < 10; ++c)
            EXPECT_EQ(hist[c].item<int64_t>(), n / 10) << "class " << c;
        EXPECT_EQ(d.classNames.at(9), "Ankle boot");
    }
}

TEST(IdxReader, WrongLayoutsAreClearErrors)
{
    auto empty = freshDir("idx_empty");
    try {
        loadDataset("idx:" + empty.string(), Split::Test);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(e.reason().find("t10k-images-idx3-ubyte"), std::string::npos) << e.what();
    }
    auto bad = freshDir("idx_bad");
    std::ofstream(bad / "t10k-images-idx3-ubyte") << "not idx";
    std::ofstream(bad / "t10k-labels-idx1-ubyte") << "not idx";
    EXPECT_THROW(loadDataset("idx:" + bad.string(), Split::Test), Error);
    EXPECT_THROW(loadDataset("idx:/does/not/exist", Split::Test), Error);
    EXPECT_THROW(loadDataset("imagenet", Split::Test), Error);
}

TEST(IdxReader, TruncatedImageFileIsDetected)
{
    auto dir = freshDir("idx_trunc");
    std::ofstream img(dir / "t10k-images-idx3-ubyte", std::ios::binary);
    const unsigned char header[] = {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 2};
    img.write(reinterpret_cast<const char*>(header), 16);
    img.write("abcdefgh", 8); // 2 images of 4 pixels instead of 5
    img.close();
    std::ofstream lbl(dir / "t10k-labels-idx1-ubyte", std::ios::binary);
    const unsigned char lh[] = {0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3, 4, 5};
    lbl.write(reinterpret_cast<const char*>(lh), sizeof lh);
    lbl.close();
    try {
        loadDataset("idx:" + dir.string(), Split::Test);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(e.file().find("t10k-images"), std::string::npos);
        EXPECT_NE(e.reason().find("truncated"), std::string::npos) << e.what();
    }
}

TEST(CifarReader, ReadsGeneratedBatches)
{
    auto dir = freshDir("cifar10");
    for (int b = 1; b <= 5; ++b)
        writeCifar(dir / ("data_batch_" + std::to_string(b) + ".bin"), 3, false, b);
    writeCifar(dir / "test_batch.bin", 4, false, 0);
    std::ofstream(dir / "batches.meta.txt") << "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
    auto train = loadDataset("cifar10:" + dir.string(), Split::Train);
    EXPECT_EQ(train.size(), 15);
    EXPECT_EQ(train.labels[3].item<int64_t>(), 2); // batch 2, record 0
    auto test = loadDataset("cifar10:" + dir.string(), Split::Test);
    ASSERT_EQ(test.size(), 4);
    EXPECT_EQ(test.images.sizes(), (std::vector<int64_t>{4, 3, 32, 32}));
    EXPECT_EQ(test.images[3].max().item<int>(), 21);
    EXPECT_EQ(test.images[3].min().item<int>(), 21);
    EXPECT_EQ(test.classNames.at(9), "truck");
}

TEST(CifarReader, Cifar100UsesTheFineLabel)
{
    auto dir = freshDir("cifar100");
    writeCifar(dir / "train.bin", 3, true, 50);
    writeCifar(dir / "test.bin", 2, true, 97);
    auto test = loadDataset("cifar100:" + dir.string(), Split::Test);
    EXPECT_EQ(test.labels[0].item<int64_t>(), 97);
    EXPECT_EQ(test.labels[1].item<int64_t>(), 98);
}

TEST(CifarReader, WrongLayoutsAreClearErrors)
{
    auto dir = freshDir("cifar_bad");
    writeCifar(dir / "test_batch.bin", 2, false, 0);
    std::ofstream(dir / "test_batch.bin", std::ios::app) << "x"; // one stray byte
    try {
        loadDataset("cifar10:" + dir.string(), Split::Test);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(e.reason().find("CIFAR records"), std::string::npos) << e.what();
    }
    EXPECT_THROW(loadDataset("cifar10:" + dir.string(), Split::Train), Error); // batches missing
}

#if MLPIFY_TESTS_WITH_OPENCV
TEST(FolderReader, ReadsClassFoldersResizedAndCropped)
{
    auto dir = freshDir("folder");
    for (const char* cls : {"cat", "dog"}) {
        fs::create_directories(dir / "val" / cls);
        for (int i = 0; i < 2; ++i) {
            // solid colour, BGR on disk; 40x30 so resize + centre crop both happen
            cv::Mat img(30, 40, CV_8UC3, cv::Scalar(10, 100, std::string(cls) == "cat" ? 200 : 50));
            cv::imwrite((dir / "val" / cls / ("img" + std::to_string(i) + ".png")).string(), img);
        }
    }
    std::ofstream(dir / "val" / "cat" / "notes.txt") << "ignored";
    auto d = loadDataset("folder:" + dir.string(), Split::Test, DataOptions().size(16));
    ASSERT_EQ(d.size(), 4);
    EXPECT_EQ(d.images.sizes(), (std::vector<int64_t>{4, 3, 16, 16}));
    EXPECT_EQ(d.classNames, (std::vector<std::string>{"cat", "dog"}));
    EXPECT_EQ(d.labels[2].item<int64_t>(), 1);
    EXPECT_EQ(d.images[0][0][5][5].item<int>(), 200); // RGB order: red channel first
    EXPECT_EQ(d.images[0][2][5][5].item<int>(), 10);
    EXPECT_THROW(loadDataset("folder:" + (dir / "val" / "cat").string(), Split::Test), Error); // no class dirs
}
#endif

TEST(Subsets, AreSeededDistinctAndBounded)
{
    auto a = seededSubset(1000, 100, 42), b = seededSubset(1000, 100, 42), c = seededSubset(1000, 100, 43);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    std::set<int64_t> unique(a.begin(), a.end());
    EXPECT_EQ(unique.size(), 100u);
    EXPECT_THROW(seededSubset(10, 11, 0), Error);
    EXPECT_THROW(seededSubset(10, 0, 0), Error);
}

TEST(BatchLoader, CoversEveryImageOnceAndNormalisesExactly)
{
    Dataset d;
    d.images = torch::arange(0, 20, torch::kUInt8).view({20, 1, 1, 1}).expand({20, 1, 2, 2}).contiguous();
    d.labels = torch::arange(20, torch::kLong);
    d.spec = "synthetic";
    Normalization norm{{0.5}, {0.25}};
    BatchLoader loader(d, norm, LoaderOptions{6, true, false, 3, 1});
    EXPECT_EQ(loader.numBatches(), 4);
    std::vector<int64_t> seen;
    while (auto b = loader.next()) {
        for (int64_t i = 0; i < b->labels.size(0); ++i) {
            const auto label = b->labels[i].item<int64_t>();
            seen.push_back(label);
            EXPECT_FLOAT_EQ(b->images[i][0][1][1].item<float>(), (label / 255.0f - 0.5f) / 0.25f);
        }
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
}

TEST(DataSpec, AFolderIsReadByWhatItHolds)
{
    const auto idx = freshDir("spec_idx"), c10 = freshDir("spec_c10"), c100 = freshDir("spec_c100"),
               classes = freshDir("spec_classes");
    std::ofstream(idx / "train-images-idx3-ubyte.gz").put('x');
    std::ofstream(c10 / "data_batch_1.bin").put('x');
    std::ofstream(c100 / "train.bin").put('x');
    fs::create_directories(classes / "train" / "cat");
    EXPECT_EQ(dataSpecForFolder(idx.string()), "idx:" + idx.string());
    EXPECT_EQ(dataSpecForFolder(c10.string()), "cifar10:" + c10.string());
    EXPECT_EQ(dataSpecForFolder(c100.string()), "cifar100:" + c100.string());
    EXPECT_EQ(dataSpecForFolder(classes.string()), "folder:" + classes.string());
    // A file named like a batch is not a folder's marker when it is a folder itself.
    fs::create_directories(classes / "train.bin");
    EXPECT_EQ(dataSpecForFolder(classes.string()), "folder:" + classes.string());
}

TEST(DataSpec, ABareFolderLoadsAsItsDetectedSpec)
{
    const auto bare = loadDataset(fashionMnistDir(), Split::Test);
    const auto spelled = loadDataset("idx:" + fashionMnistDir(), Split::Test);
    EXPECT_EQ(bare.spec, fashionMnistDir());
    ASSERT_EQ(bare.size(), spelled.size());
    EXPECT_TRUE(torch::equal(bare.images, spelled.images));
    EXPECT_TRUE(torch::equal(bare.labels, spelled.labels));
    EXPECT_THROW(loadDataset("no-such-folder-or-spec", Split::Test), Error);
}

TEST(BatchLoader, PhotosTrainOnSeededRandomResizedCropsAndSmallImagesAreResizedToTheModel)
{
    Dataset d;
    d.spec = "folder:test";
    d.photos = true;
    // a ramp, so every crop of it differs from the whole image
    auto ramp = torch::arange(32, torch::kFloat).mul(8).view({1, 1, 1, 32}).expand({6, 3, 32, 32});
    d.images = ramp.to(torch::kUInt8).contiguous();
    d.labels = torch::arange(6);
    Normalization norm{{0.5, 0.5, 0.5}, {0.25, 0.25, 0.25}};
    auto first = [&](LoaderOptions o) { return BatchLoader(d, norm, o).next()->images; };
    LoaderOptions o;
    o.batchSize = 6;
    o.augment = true;
    o.seed = 1;
    const auto a = first(o), again = first(o);
    EXPECT_TRUE(torch::equal(a, again)); // seeded per (seed, epoch, batch): a resumed run sees the same
    EXPECT_EQ(a.sizes(), (std::vector<int64_t>{6, 3, 32, 32}));
    o.augment = false;
    const auto plain = first(o);
    EXPECT_FALSE(torch::allclose(a, plain));
    o.augment = true;
    o.seed = 2;
    EXPECT_FALSE(torch::equal(first(o), a));
    // a model of another input size gets batches of its size, bicubically resized
    o.augment = false;
    o.imageSize = 64;
    const auto up = first(o);
    EXPECT_EQ(up.sizes(), (std::vector<int64_t>{6, 3, 64, 64}));
    const auto reference = torch::nn::functional::interpolate(plain, torch::nn::functional::InterpolateFuncOptions()
                                                                         .size(std::vector<int64_t>{64, 64})
                                                                         .mode(torch::kBicubic)
                                                                         .align_corners(false));
    EXPECT_TRUE(torch::equal(up, reference));
}
