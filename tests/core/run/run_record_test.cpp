#include "core/error.h"
#include "core/run/run_record.h"
#include "core/run/sha256.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace mlpify;

TEST(Sha256, KnownVectors)
{
    // FIPS 180-4 examples.
    EXPECT_EQ(core::sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(core::sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(core::sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(core::sha256Hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(RunRecord, FileHashChangesWithOneByteAndTheRecordRoundTrips)
{
    const auto dir = std::filesystem::temp_directory_path() / ("mlpify-record-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = (dir / "data.bin").string();
    std::string bytes(200000, '\0');
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>(i * 7919 % 251);
    std::ofstream(file, std::ios::binary) << bytes;
    auto r = core::currentRecord();
    core::recordFile(r, "data", file);
    ASSERT_EQ(r.files.size(), 1u);
    EXPECT_EQ(r.files[0].bytes, 200000);
    EXPECT_EQ(r.files[0].sha256, core::sha256Hex(bytes));
    bytes[123456] ^= 1;
    std::ofstream(file, std::ios::binary) << bytes;
    EXPECT_NE(core::sha256File(file), r.files[0].sha256);

    EXPECT_FALSE(r.mlpify.empty());
    EXPECT_FALSE(r.commit.empty());
    EXPECT_FALSE(r.libtorch.empty());
    EXPECT_FALSE(r.cpu.empty());
    EXPECT_GT(r.threads, 0);
    EXPECT_EQ(r.date.size(), 20u) << r.date; // 2026-12-03T21:04:00Z
    r.qt = "6.4.2";
    r.seeds = core::seedsIn({{"training", {{"seed", 7}}}, {"runs", {{{"seed", 3}}, {{"x", 1}}}}});
    EXPECT_EQ(r.seeds, (nlohmann::json{{"/training/seed", 7}, {"/runs/0/seed", 3}}));
    r.commands = {{"analyze", "mlpify analyze default --out a.json"}};
    const nlohmann::json j = r;
    for (const char* key : {"mlpify", "commit", "libtorch", "qt", "opencv", "blas", "cpu", "threads", "ranks", "device",
                            "date", "seeds", "files", "commands"})
        EXPECT_TRUE(j.contains(key)) << key;
    const auto back = j.get<core::RunRecord>();
    EXPECT_EQ(nlohmann::json(back), j);
    const auto md = core::recordMarkdown(r);
    EXPECT_NE(md.find(r.files[0].sha256), std::string::npos);
    EXPECT_NE(md.find("mlpify analyze default"), std::string::npos);
    EXPECT_THROW(core::recordFile(r, "data", (dir / "missing").string()), core::Error);
    EXPECT_THROW((nlohmann::json{{"kind", "other"}}.get<core::RunRecord>()), core::Error);
    std::filesystem::remove_all(dir);
}

TEST(RunRecord, FashionMnistFilesAreHashed)
{
    core::RunRecord r;
    core::recordDataFiles(r, "fashion-mnist");
    EXPECT_GE(r.files.size(), 4u); // train and test images and labels
    for (const auto& f : r.files) {
        EXPECT_EQ(f.role, "data");
        EXPECT_EQ(f.sha256.size(), 64u);
        EXPECT_GT(f.bytes, 0);
    }
    core::RunRecord m;
    core::recordModelFiles(m, "model", "default");
    ASSERT_EQ(m.files.size(), 1u);
    core::RunRecord none;
    core::recordModelFiles(none, "model", "preset:vit-tiny");
    EXPECT_TRUE(none.files.empty());
}
