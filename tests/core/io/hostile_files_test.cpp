// Files built to hurt the readers (forged sizes, deep nesting, wrong lengths): each must end in
// one Error naming the file and the problem, without a huge allocation or a stack overflow.
// The byte layouts are written out here; fuzz/ finds the ones nobody thought of.
#include "core/analysis/spectrum_result.h"
#include "core/data/dataset.h"
#include "core/error.h"
#include "core/io/model_io.h"
#include "core/io/pickle.h"
#include "core/io/safetensors.h"
#include "core/json_file.h"
#include "core/train/train_state.h"
#include "core/train/trainer.h"
#include "tests/core/test_support.h"

#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

using namespace mlpify::core;
using namespace std::string_literals; // pickles hold NUL bytes
namespace fs = std::filesystem;

namespace {

std::string tempPath(const std::string& name)
{
    return mlpify::testing::tempPath("hostile", name);
}

void writeBytes(const std::string& path, const std::string& bytes)
{
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs read and returns the Error's reason, after checking that it names path.
template <class Read> std::string errorFrom(Read&& read, const std::string& path)
{
    try {
        read();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        return e.reason();
    }
    ADD_FAILURE() << "no Error for " << path;
    return {};
}

// ---- PyTorch zip checkpoints: a real zip (LibTorch's writer) around a hand-written pickle ----

std::string le32(uint32_t v)
{
    std::string s(4, '\0');
    std::memcpy(s.data(), &v, 4);
    return s;
}

std::string str(const std::string& s)
{
    return "X" + le32(static_cast<uint32_t>(s.size())) + s;
}

// {"w": _rebuild_tensor_v2(storage(FloatStorage, "0", numel), 0, sizes, strides, False, {})}
// with numel, sizes and strides as raw pickle opcodes.
std::string tensorDictPickle(const std::string& numel, const std::string& sizes, const std::string& strides)
{
    return "\x80\x02}(" + str("w") + "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") +
           "ctorch\nFloatStorage\n" + str("0") + str("cpu") + numel + "tQK\x00("s + sizes + "t(" + strides +
           "t\x89}tRu."s;
}

std::string writeCheckpoint(const std::string& name, const std::string& pickle, const std::string& storage)
{
    const auto path = tempPath(name);
    caffe2::serialize::PyTorchStreamWriter writer(path);
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    writer.writeRecord("data/0", storage.data(), storage.size());
    writer.writeEndOfFile();
    return path;
}

std::string readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

const std::string kLong1TwoTo40 = "\x8a\x06\0\0\0\0\0\x01"s; // LONG1 2^40
const std::string kFourFloats(16, '\0');

TEST(HostileFiles, PickleStorageClaiming2To40ElementsIsRefused)
{
    const auto path = writeCheckpoint("numel.pth", tensorDictPickle(kLong1TwoTo40, "K\x04", "K\x01"), kFourFloats);
    EXPECT_NE(errorFrom([&] { loadModel(path); }, path).find("claims 1099511627776 elements"), std::string::npos);
}

TEST(HostileFiles, PickleStorageWhoseByteCountWrapsAroundIsRefused)
{
    // 2^62 floats are 2^64 bytes, i.e. 0 after wrapping: must not match an empty record.
    const auto path =
        writeCheckpoint("wrap.pth", tensorDictPickle("\x8a\x08\0\0\0\0\0\0\0\x40"s, "K\x04", "K\x01"), "");
    EXPECT_NE(errorFrom([&] { loadModel(path); }, path).find("claims"), std::string::npos);
}

TEST(HostileFiles, TensorViewLargerThanItsStorageIsRefused)
{
    // Stride 0 over 2^40 elements stays inside a 4-element storage; clone() would allocate 4 TiB.
    const auto path = writeCheckpoint("view.pth", tensorDictPickle("K\x04", kLong1TwoTo40, "K\x00"s), kFourFloats);
    EXPECT_NE(errorFrom([&] { loadModel(path); }, path).find("outside its storage"), std::string::npos);
}

TEST(HostileFiles, ZipRecordClaimingMoreThanTheFileIsRefused)
{
    const auto path = writeCheckpoint("zipsize.pth", tensorDictPickle("K\x04", "K\x04", "K\x01"), kFourFloats);
    auto bytes = readBytes(path);
    // The central directory entry of data/0: its uncompressed size (offset 24) becomes ~4 GiB.
    const auto at = bytes.rfind("PK\x01\x02", bytes.find("/data/0", bytes.find("PK\x01\x02")));
    ASSERT_NE(at, std::string::npos);
    std::memcpy(&bytes[at + 24], "\xf0\xff\xff\xff", 4);
    writeBytes(path, bytes);
    EXPECT_NE(errorFrom([&] { loadModel(path); }, path).find("more than the"), std::string::npos);
}

std::string nestedPickle(const std::string& open, const std::string& close, int depth)
{
    std::string p = "\x80\x02";
    for (int k = 0; k < depth; ++k)
        p += open;
    for (int k = 1; k < depth; ++k)
        p += close;
    return p + ".";
}

TEST(HostileFiles, PickleNested100000ListsDeepIsRefused)
{
    // EMPTY_LIST x 100,000 then APPEND x 99,999: one list inside the next.
    const auto path = writeCheckpoint("lists.pth", nestedPickle("]", "a", 100000), "");
    EXPECT_NE(errorFrom([&] { loadModel(path); }, path).find("deep"), std::string::npos);
}

TEST(HostileFiles, PickleNested100000TuplesDeepIsRefused)
{
    // MARK x 100,000, EMPTY_TUPLE, then TUPLE x 99,999.
    const auto path = writeCheckpoint("tuples.pth", nestedPickle("(", "t", 100000).insert(100002, ")"), "");
    EXPECT_NE(errorFrom([&] { loadModel(path); }, path).find("deep"), std::string::npos);
}

TEST(HostileFiles, PickleReferenceCycleIsRefused)
{
    // A list appended to itself through the memo.
    const auto path = writeCheckpoint("cycle.pth", "\x80\x02]q\x00h\x00"s + "a.", "");
    EXPECT_NE(errorFrom([&] { loadModel(path); }, path).find("cycle"), std::string::npos);
}

// ---- safetensors ---------------------------------------------------------------------------

std::string safetensors(const std::string& header, const std::string& data, uint64_t headerLen)
{
    std::string out(8, '\0');
    std::memcpy(out.data(), &headerLen, 8);
    return out + header + data;
}

std::string safetensors(const std::string& header, const std::string& data)
{
    return safetensors(header, data, header.size());
}

std::string safetensorsError(const std::string& name, const std::string& bytes)
{
    const auto path = tempPath(name);
    writeBytes(path, bytes);
    return errorFrom([&] { readSafetensors(path); }, path);
}

TEST(HostileFiles, SafetensorsHeaderLengthOf4GiBIsRefused)
{
    const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    EXPECT_NE(safetensorsError("len.safetensors", safetensors(header, "abcd", 4ull << 30)).find("header length"),
              std::string::npos);
}

TEST(HostileFiles, SafetensorsOffsetsOutOfRangeAreRefused)
{
    const std::string header = R"({"w":{"dtype":"F32","shape":[1024],"data_offsets":[0,4096]}})";
    EXPECT_NE(safetensorsError("range.safetensors", safetensors(header, "abcd")).find("outside"), std::string::npos);
}

TEST(HostileFiles, SafetensorsOverlappingTensorsAreRefused)
{
    const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
    EXPECT_NE(safetensorsError("overlap.safetensors", safetensors(header, std::string(12, 'x'))).find("overlap"),
              std::string::npos);
}

TEST(HostileFiles, SafetensorsDtypeShapeMismatchIsRefused)
{
    const std::string header = R"({"w":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})";
    EXPECT_NE(safetensorsError("dtype.safetensors", safetensors(header, std::string(8, 'x'))).find("need 16"),
              std::string::npos);
}

TEST(HostileFiles, SafetensorsShapeWhoseSizeOverflowsIsRefused)
{
    const std::string header = R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})";
    EXPECT_NE(safetensorsError("shape.safetensors", safetensors(header, "")).find("invalid shape"), std::string::npos);
}

// Found by fuzz_safetensors: nlohmann casts a float to int64 without a check (undefined).
TEST(HostileFiles, SafetensorsShapeBeyondInt64IsRefused)
{
    const std::string header = R"({"w":{"dtype":"F32","shape":[184467440737095516151],"data_offsets":[0,4]}})";
    EXPECT_NE(safetensorsError("float.safetensors", safetensors(header, "abcd")).find("not a non-negative integer"),
              std::string::npos);
}

TEST(HostileFiles, SafetensorsHeaderThatIsNotAnObjectIsRefused)
{
    EXPECT_NE(safetensorsError("array.safetensors", safetensors("[1,2]", "")).find("not a JSON object"),
              std::string::npos);
}

// ---- IDX and CIFAR -------------------------------------------------------------------------

std::string be32(uint32_t v)
{
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

TEST(HostileFiles, IdxHeaderClaiming2To31ImagesIsRefused)
{
    const auto dir = fs::path(tempPath("idx"));
    const auto images = (dir / "t10k-images-idx3-ubyte").string();
    writeBytes(images, be32(0x803) + be32(0x80000000u) + be32(28) + be32(28) + std::string(784, '\x7f'));
    writeBytes((dir / "t10k-labels-idx1-ubyte").string(), be32(0x801) + be32(0x80000000u) + "\x01");
    const auto why = errorFrom([&] { loadDataset("idx:" + dir.string(), Split::Test); }, images);
    EXPECT_NE(why.find("claims 2147483648 images"), std::string::npos) << why;
    EXPECT_NE(why.find("the file holds 784"), std::string::npos) << why;
}

TEST(HostileFiles, IdxHeaderClaimingNoImagesIsRefused)
{
    const auto dir = fs::path(tempPath("idx0"));
    const auto images = (dir / "t10k-images-idx3-ubyte").string();
    writeBytes(images, be32(0x803) + be32(0) + be32(28) + be32(28));
    writeBytes((dir / "t10k-labels-idx1-ubyte").string(), be32(0x801) + be32(0));
    EXPECT_NE(errorFrom([&] { loadDataset("idx:" + dir.string(), Split::Test); }, images).find("claims 0 images"),
              std::string::npos);
}

TEST(HostileFiles, CifarFileOfWrongSizeIsRefused)
{
    const auto dir = fs::path(tempPath("cifar"));
    const auto batch = (dir / "test_batch.bin").string();
    writeBytes(batch, std::string(3073 * 2 + 5, '\x01'));
    const auto why = errorFrom([&] { loadDataset("cifar10:" + dir.string(), Split::Test); }, batch);
    EXPECT_NE(why.find("not a whole number of 3073-byte CIFAR records"), std::string::npos) << why;
}

TEST(HostileFiles, EmptyCifarFileIsRefused)
{
    const auto dir = fs::path(tempPath("cifar100"));
    const auto batch = (dir / "test.bin").string();
    writeBytes(batch, "");
    EXPECT_NE(errorFrom([&] { loadDataset("cifar100:" + dir.string(), Split::Test); }, batch).find("3074-byte"),
              std::string::npos);
}

// ---- images (found by fuzz_image: OpenCV threw cv::Exception through the reader) ----------

TEST(HostileFiles, ImageHeaderBeyondOpenCvLimitsIsRefused)
{
    if (!imageFoldersAvailable())
        GTEST_SKIP() << "built without OpenCV: image folders are refused by name";
    const auto dir = fs::path(tempPath("images"));
    const auto image = (dir / "cls" / "a.bmp").string();
    // A BMP header with 2,000,000 rows of 1 pixel (over OpenCV's 2^20 rows) and twelve bytes of pixel data.
    const auto bmp = "BM" + le32(0) + le32(0) + le32(54) + le32(40) + le32(1) + le32(2000000) + "\x01\0\x18\0"s +
                     std::string(24, '\0') + std::string(12, '\x7f');
    writeBytes(image, bmp);
    const auto why =
        errorFrom([&] { loadDataset("folder:" + dir.string(), Split::Test, DataOptions().size(32)); }, image);
    EXPECT_NE(why.find("cannot decode image"), std::string::npos) << why;
}

// Found by fuzz_image: a 20-byte PPM header declaring 30000 x 30000 pixels had OpenCV allocate
// 2.7 GB before reading a pixel. Sizes are read from the header first (core/data/image_header.h).
TEST(HostileFiles, ImageHeaderDeclaringADecompressionBombIsRefusedBeforeDecoding)
{
    if (!imageFoldersAvailable())
        GTEST_SKIP() << "built without OpenCV: image folders are refused by name";
    const auto dir = fs::path(tempPath("bomb"));
    const auto image = (dir / "cls" / "a.ppm").string();
    writeBytes(image, "P6\n30000 30000\n255\nabc");
    const auto why =
        errorFrom([&] { loadDataset("folder:" + dir.string(), Split::Test, DataOptions().size(32)); }, image);
    EXPECT_NE(why.find("declares 30000 x 30000 pixels, more than the 89478485"), std::string::npos) << why;
    const auto cut = (dir / "cls" / "a.ppm").string();
    writeBytes(cut, "P6\n30000");
    EXPECT_NE(errorFrom([&] { loadDataset("folder:" + dir.string(), Split::Test); }, cut).find("cut short"),
              std::string::npos);
}

// Found by fuzz_image: OpenCV picks a decoder by content, and its DICOM reader (GDCM) asserts on
// a hostile file; formats other than the listed extensions' never reach OpenCV.
TEST(HostileFiles, ImageInAFormatOtherThanItsExtensionsIsRefused)
{
    if (!imageFoldersAvailable())
        GTEST_SKIP() << "built without OpenCV: image folders are refused by name";
    const auto dir = fs::path(tempPath("pfm"));
    const auto image = (dir / "cls" / "a.png").string();
    float pixels[4] = {0.1f, 0.2f, 0.3f, 0.4f};
    writeBytes(image, "Pf\n2 2\n-1.0\n" + std::string(reinterpret_cast<const char*>(pixels), sizeof pixels)); // a PFM
    const auto why =
        errorFrom([&] { loadDataset("folder:" + dir.string(), Split::Test, DataOptions().size(32)); }, image);
    EXPECT_NE(why.find("not a JPEG, PNG, BMP, WebP, TIFF or PPM/PGM image"), std::string::npos) << why;
}

// ---- state dicts whose tensors do not have their key's dimensions (found by fuzz_pth and
// fuzz_safetensors: LibTorch's IndexError escaped) ----------------------------------------------

TEST(HostileFiles, StateDictTensorWithOtherDimensionsThanItsKeyIsRefused)
{
    const auto path = tempPath("flat-cls.pth");
    saveTorchFile(path, {{"patch_embed.proj.weight", torch::zeros({8, 1, 4, 4})},
                         {"cls_token", torch::zeros({8})},
                         {"pos_embed", torch::zeros({1, 5, 8})}});
    const auto why = errorFrom([&] { loadModel(path); }, path);
    EXPECT_NE(why.find("'cls_token' has shape [8], not 3 dimensions"), std::string::npos) << why;
}

// ---- integers in JSON (metadata, analysis results, projects) ---------------------------------

TEST(HostileFiles, JsonIntegerFieldsRefuseFractionsAndHugeNumbers)
{
    EXPECT_EQ(jsonInteger(nlohmann::json(7)), 7);
    EXPECT_EQ(jsonInteger<uint64_t>(nlohmann::json(7)), 7u);
    for (const auto& bad : {nlohmann::json(1e300), nlohmann::json(2.5), nlohmann::json("7"), nlohmann::json()})
        EXPECT_THROW(jsonInteger(bad), nlohmann::json::type_error) << bad;
    EXPECT_THROW(jsonInteger<uint64_t>(nlohmann::json(-1)), nlohmann::json::type_error);
    // Through a reader: a model's metadata claiming a depth of 1e300 (a float cast to int64
    // would be undefined behaviour, not an error).
    nlohmann::json config = presetConfig("micro");
    config["depth"] = 1e300;
    EXPECT_THROW((void)config.get<ViTConfig>(), nlohmann::json::type_error);
    // Found by fuzz_analysis_json: an integer literal beyond int64 is parsed as a float.
    const auto spectrum = nlohmann::json::parse(
        R"({"kind": "spectrum", "grid": 744444444444444444444444444444444444444444444444444444444444444444444444444444444,
            "blocks": []})");
    EXPECT_THROW((void)spectrum.get<SpectrumResult>(), nlohmann::json::type_error);
}

// ---- training state (CKPT.state) ------------------------------------------------------------

struct TrainedOptimizer {
    ModelBundle model = makeModel(mlpify::testing::tinyConfig(1));
    torch::optim::AdamW opt{model.net->parameters(), torch::optim::AdamWOptions(1e-3)};
    TrainOptions options;
    TrainedOptimizer()
    {
        model.meta.training["step"] = 3;
        model.net->forward(torch::zeros({1, 1, 28, 28})).sum().backward();
        opt.step();
        options.checkpoint = tempPath("ckpt.mlpify");
    }
    std::string state() const { return options.checkpoint + ".state"; }
    std::string refusal()
    {
        torch::optim::AdamW fresh(model.net->parameters(), torch::optim::AdamWOptions(1e-3));
        return errorFrom([&] { loadTrainState(model, fresh, options); }, state());
    }
};

TEST(HostileFiles, TrainingStateRoundTripsEveryMoment)
{
    TrainedOptimizer t;
    saveTrainState(t.opt, 3, t.state());
    torch::optim::AdamW fresh(t.model.net->parameters(), torch::optim::AdamWOptions(1e-3));
    EXPECT_EQ(loadTrainState(t.model, fresh, t.options).step, 3);
    ASSERT_EQ(fresh.state().size(), t.opt.state().size());
    for (const auto& [key, s] : t.opt.state()) {
        const auto& a = static_cast<const torch::optim::AdamWParamState&>(*s);
        const auto& b = static_cast<const torch::optim::AdamWParamState&>(*fresh.state().at(key));
        EXPECT_EQ(a.step(), b.step());
        EXPECT_TRUE(torch::equal(a.exp_avg(), b.exp_avg()));
        EXPECT_TRUE(torch::equal(a.exp_avg_sq(), b.exp_avg_sq()));
    }
}

// LibTorch's own archive (a TorchScript module, the format of earlier MLPify builds) is never
// parsed: its code/ records reach TorchScript's parser, which a mangled file crashes
// (fuzz/regressions/checkpoint/libtorch-segv-in-parseClassConstant).
TEST(HostileFiles, TrainingStateInLibTorchsArchiveFormatIsRefused)
{
    TrainedOptimizer t;
    torch::serialize::OutputArchive archive;
    t.opt.save(archive);
    archive.write("mlpify_step", torch::tensor(int64_t{3}));
    archive.save_to(t.state());
    EXPECT_NE(t.refusal().find("not an MLPify training state"), std::string::npos);
}

TEST(HostileFiles, TrainingStateThatDoesNotFitTheModelIsRefused)
{
    TrainedOptimizer t;
    const auto p0 = t.model.net->parameters()[0];
    const auto n = std::to_string(t.model.net->parameters().size());
    const auto write = [&](const std::string& name, const torch::Tensor& value) { // one entry changed or added
        std::vector<std::pair<std::string, torch::Tensor>> entries{{"step", torch::tensor(int64_t{3})},
                                                                   {"param.0.step", torch::tensor(int64_t{1})},
                                                                   {"param.0.exp_avg", torch::zeros_like(p0)},
                                                                   {"param.0.exp_avg_sq", torch::zeros_like(p0)}};
        const auto same = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == name; });
        if (same == entries.end())
            entries.emplace_back(name, value);
        else
            same->second = value;
        saveTorchFile(t.state(), entries, {{"mlpify_train_state", "1"}}, "optimizer");
    };
    write("param." + n + ".exp_avg", torch::zeros({2}));
    EXPECT_NE(t.refusal().find("the model has " + n + " parameters"), std::string::npos);
    write("param.0.exp_avg", torch::zeros({p0.numel() + 1}));
    EXPECT_NE(t.refusal().find("does not fit parameter 0"), std::string::npos);
    write("param.0.exp_avg_sq", torch::full_like(p0, -1.0));
    EXPECT_NE(t.refusal().find("negative or NaN"), std::string::npos);
    write("param.0.step", torch::tensor(0.5));
    EXPECT_NE(t.refusal().find("not one integer"), std::string::npos);
    write("param.x.step", torch::tensor(int64_t{1}));
    EXPECT_NE(t.refusal().find("unknown entry 'param.x.step'"), std::string::npos);
}

} // namespace
