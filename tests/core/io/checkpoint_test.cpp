#include "core/error.h"
#include "core/io/model_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace mlpify::core;
namespace fs = std::filesystem;

namespace {
fs::path tempDir()
{
    auto d = fs::temp_directory_path() / ("mlpify_ckpt_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

std::string readBytes(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void writeBytes(const fs::path& p, const std::string& s)
{
    std::ofstream(p, std::ios::binary).write(s.data(), static_cast<std::streamsize>(s.size()));
}

ModelBundle sampleModel()
{
    auto c = presetConfig("micro");
    c.depth = 4;
    torch::manual_seed(7);
    auto m = makeModel(c);
    m.net->setBlockMode(0, {AttnMode::Removed, 0.0});
    m.net->setBlockMode(2, {AttnMode::Diluting, 0.375});
    m.meta.blocks = m.net->blockModes();
    m.meta.classNames = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    m.meta.metrics = {{"test_top1", 0.5}, {"data", "fashion-mnist"}};
    m.meta.training = {{"command", "mlpify train ..."}};
    return m;
}
} // namespace

TEST(Checkpoint, OwnFormatRoundTripIsBitExact)
{
    auto m = sampleModel();
    const auto path = (tempDir() / "rt.mlpify").string();
    saveModel(m, path);
    auto back = loadModel(path);
    const auto a = m.net->stateDict(), b = back.net->stateDict();
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [k, t] : a) {
        ASSERT_TRUE(b.count(k)) << k;
        EXPECT_TRUE(torch::equal(t, b.at(k))) << k;
    }
    EXPECT_EQ(back.net->blockModes(), m.net->blockModes());
    EXPECT_EQ(back.meta.classNames, m.meta.classNames);
    EXPECT_EQ(back.meta.metrics, m.meta.metrics);
    EXPECT_EQ(back.meta.training, m.meta.training);
    auto x = torch::randn({2, 1, 28, 28});
    EXPECT_TRUE(torch::equal(m.net->forward(x), back.net->forward(x)));
}

TEST(Checkpoint, AModelKeepsItsDeploymentMergingButLoadsUnmerged)
{
    auto m = sampleModel();
    m.meta.tome = constantSchedule(3, 4, 1);
    const auto path = (tempDir() / "tome.mlpify").string();
    saveModel(m, path);
    auto back = loadModel(path);
    EXPECT_TRUE(back.meta.tome == m.meta.tome);
    EXPECT_FALSE(back.net->mergeSchedule().active()); // analyses and training see every token
    auto x = torch::randn({2, 1, 28, 28});
    EXPECT_TRUE(torch::equal(m.net->forward(x), back.net->forward(x)));
    // A file whose schedule does not fit its blocks is refused, naming it.
    auto wrong = sampleModel();
    wrong.meta.tome = MergeSchedule{{1, 1, 1, 1, 1}};
    const auto bad = (tempDir() / "tome-bad.mlpify").string();
    saveModel(wrong, bad);
    try {
        loadModel(bad);
        FAIL() << "a 5-block schedule on 4 blocks was read";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tome-bad.mlpify"), std::string::npos) << e.what();
    }
}

TEST(Checkpoint, TruncatedFileGivesAnErrorNamingIt)
{
    auto m = sampleModel();
    const auto dir = tempDir();
    const auto good = dir / "good.mlpify";
    saveModel(m, good.string());
    const auto bytes = readBytes(good);
    for (size_t keep : {size_t(0), size_t(10), bytes.size() / 3, bytes.size() / 2, bytes.size() - 30}) {
        const auto cut = dir / ("cut" + std::to_string(keep) + ".mlpify");
        writeBytes(cut, bytes.substr(0, keep));
        try {
            loadModel(cut.string());
            ADD_FAILURE() << "no error for a file cut to " << keep << " bytes";
        } catch (const Error& e) {
            EXPECT_EQ(e.file(), cut.string());
        }
    }
}

TEST(Checkpoint, CorruptedBytesGiveAnErrorNotACrash)
{
    auto m = sampleModel();
    const auto dir = tempDir();
    const auto good = dir / "good2.mlpify";
    saveModel(m, good.string());
    const auto bytes = readBytes(good);
    const auto x = torch::randn({2, 1, 28, 28});
    const auto reference = m.net->forward(x);
    int detected = 0, harmless = 0;
    for (size_t at = 0; at < bytes.size(); at += 97) {
        auto bad = bytes;
        bad[at] = static_cast<char>(bad[at] ^ 0x5a);
        const auto p = dir / "flipped.mlpify";
        writeBytes(p, bad);
        try {
            auto loaded = loadModel(p.string());
            // Undetected flips must be harmless (zip padding, timestamps): same model, same output.
            EXPECT_TRUE(torch::equal(loaded.net->forward(x), reference)) << "silent corruption at byte " << at;
            EXPECT_EQ(loaded.net->blockModes(), m.net->blockModes());
            ++harmless;
        } catch (const Error& e) {
            ++detected;
            EXPECT_EQ(e.file(), p.string());
        }
    }
    EXPECT_GT(detected, harmless); // tensor data dominates the file, and all of it is checked
}

TEST(Checkpoint, MissingFileAndFolderAreClearErrors)
{
    EXPECT_THROW(loadModel("/nonexistent/model.mlpify"), Error);
    EXPECT_THROW(loadModel(tempDir().string()), Error);
    auto m = sampleModel();
    EXPECT_THROW(saveModel(m, "/nonexistent-dir/x.mlpify"), Error);
}

TEST(Checkpoint, FailedSaveLeavesTheExistingFileUntouched)
{
    auto m = sampleModel();
    const auto path = tempDir() / "keep.mlpify";
    saveModel(m, path.string());
    const auto before = readBytes(path);
    EXPECT_THROW(saveByExtension(m, path.string() + ".unknown"), Error);
    fs::create_directories(path.string() + ".pth"); // a folder where the export would go
    EXPECT_THROW(exportTimm(m, path.string() + ".pth"), Error);
    EXPECT_EQ(readBytes(path), before);
    for (const auto& e : fs::directory_iterator(path.parent_path()))
        EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << "temp file left: " << e.path();
}
