#include "core/io/safetensors.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/json_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <type_traits>

namespace mlpify::core {

namespace {
// The format's own reference reader refuses headers over 100 MB.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

const std::map<std::string, torch::ScalarType>& dtypes()
{
    static const std::map<std::string, torch::ScalarType> m{
        {"F32", torch::kFloat}, {"F64", torch::kDouble}, {"F16", torch::kHalf},  {"BF16", torch::kBFloat16},
        {"I64", torch::kLong},  {"I32", torch::kInt},    {"I16", torch::kShort}, {"I8", torch::kChar},
        {"U8", torch::kByte},   {"BOOL", torch::kBool}};
    return m;
}

struct Entry {
    std::string name;
    torch::ScalarType dtype;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;
};

// A shape dimension or offset: core::jsonInteger's rule, with the tensor named in the error.
template <class Int> Int integer(const std::string& path, const std::string& name, const nlohmann::json& v)
{
    try {
        return jsonInteger<Int>(v);
    } catch (const nlohmann::json::type_error&) {
        throw Error(path, "tensor '" + name + "' has a shape or offset that is not a non-negative integer");
    }
}

// One header entry, checked against the data section before anything is allocated for it.
Entry parseEntry(const std::string& path, const std::string& name, const nlohmann::json& info, uint64_t dataSize)
{
    Entry e{name, torch::kFloat, {}, 0, 0};
    const auto code = info.at("dtype").get<std::string>();
    const auto dt = dtypes().find(code);
    if (dt == dtypes().end())
        throw Error(path, "tensor '" + name + "' has unsupported dtype " + code);
    e.dtype = dt->second;
    for (const auto& d : info.at("shape"))
        e.shape.push_back(integer<int64_t>(path, name, d));
    const auto& offsets = info.at("data_offsets");
    if (!offsets.is_array() || offsets.size() != 2)
        throw Error(path, "tensor '" + name + "' needs data_offsets [begin, end]");
    e.begin = integer<uint64_t>(path, name, offsets.at(0));
    e.end = integer<uint64_t>(path, name, offsets.at(1));
    uint64_t bytes = c10::elementSize(e.dtype);
    for (auto d : e.shape)
        if (d < 0 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes))
            throw Error(path, "tensor '" + name + "' has an invalid shape");
    if (e.end < e.begin || e.end > dataSize)
        throw Error(path, "tensor '" + name + "' has offsets [" + std::to_string(e.begin) + ", " +
                              std::to_string(e.end) + ") outside the " + std::to_string(dataSize) +
                              "-byte data section (truncated file?)");
    if (e.end - e.begin != bytes)
        throw Error(path, "tensor '" + name + "' spans " + std::to_string(e.end - e.begin) + " bytes but its dtype " +
                              code + " and shape need " + std::to_string(bytes));
    return e;
}
} // namespace

std::vector<std::pair<std::string, torch::Tensor>> readSafetensors(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path, "cannot open file");
    const auto fileSize = std::filesystem::file_size(path);
    uint64_t headerLen = 0;
    if (fileSize < 8 || !in.read(reinterpret_cast<char*>(&headerLen), 8))
        throw Error(path, "not a safetensors file (shorter than its 8-byte header length)");
    if (headerLen > fileSize - 8 || headerLen > kMaxHeaderBytes)
        throw Error(path, "not a safetensors file: header length " + std::to_string(headerLen) +
                              " exceeds the file's " + std::to_string(fileSize) + " bytes or the " +
                              std::to_string(kMaxHeaderBytes >> 20) + " MiB limit");
    std::string header(headerLen, '\0');
    in.read(header.data(), static_cast<std::streamsize>(headerLen));
    const uint64_t dataStart = 8 + headerLen;
    const uint64_t dataSize = fileSize - dataStart;
    std::vector<Entry> entries;
    try {
        const auto j = nlohmann::json::parse(header);
        if (!j.is_object())
            throw Error(path, "safetensors header is not a JSON object");
        for (const auto& [name, info] : j.items())
            if (name != "__metadata__")
                entries.push_back(parseEntry(path, name, info, dataSize));
    } catch (const nlohmann::json::exception& e) {
        throw Error(path, std::string("malformed safetensors header: ") + e.what());
    }
    // In file order; two tensors may not share bytes.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
    for (size_t k = 1; k < entries.size(); ++k)
        if (entries[k].begin < entries[k - 1].end)
            throw Error(path, "tensors '" + entries[k - 1].name + "' and '" + entries[k].name + "' overlap");
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& e : entries) {
        auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
        in.seekg(static_cast<std::streamoff>(dataStart + e.begin));
        in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
        if (!in)
            throw Error(path, "file ends inside tensor '" + e.name + "'");
        out.emplace_back(e.name, t);
    }
    return out;
}

void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors)
{
    nlohmann::json header = nlohmann::json::object();
    uint64_t offset = 0;
    std::vector<torch::Tensor> contiguous;
    for (const auto& [name, t] : tensors) {
        auto c = t.detach().cpu().contiguous();
        std::string code;
        for (const auto& [k, v] : dtypes())
            if (v == c.scalar_type())
                code = k;
        const uint64_t bytes = c.numel() * c.element_size();
        header[name] = {{"dtype", code}, {"shape", c.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        contiguous.push_back(c);
    }
    std::string h = header.dump();
    while ((8 + h.size()) % 8)
        h.push_back(' ');
    std::string bytes(8, '\0');
    const uint64_t len = h.size();
    std::memcpy(bytes.data(), &len, 8);
    bytes += h;
    for (const auto& c : contiguous)
        bytes.append(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
    writeBytesAtomically(path, bytes);
}

} // namespace mlpify::core
