#include "core/io/safetensors.h"

#include "core/error.h"
#include "core/io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>

namespace mlpify::core {

namespace {
const std::map<std::string, torch::ScalarType>& dtypes()
{
    static const std::map<std::string, torch::ScalarType> m{
        {"F32", torch::kFloat}, {"F64", torch::kDouble}, {"F16", torch::kHalf},  {"BF16", torch::kBFloat16},
        {"I64", torch::kLong},  {"I32", torch::kInt},    {"I16", torch::kShort}, {"I8", torch::kChar},
        {"U8", torch::kByte},   {"BOOL", torch::kBool}};
    return m;
}
} // namespace

std::vector<std::pair<std::string, torch::Tensor>> readSafetensors(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path, "cannot open file");
    const auto fileSize = std::filesystem::file_size(path);
    uint64_t headerLen = 0;
    if (!in.read(reinterpret_cast<char*>(&headerLen), 8) || headerLen > fileSize - 8 || headerLen > (100u << 20))
        throw Error(path, "not a safetensors file (bad header length)");
    std::string header(headerLen, '\0');
    in.read(header.data(), static_cast<std::streamsize>(headerLen));
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(header);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path, std::string("safetensors header is not valid JSON: ") + e.what());
    }
    const uint64_t dataStart = 8 + headerLen;
    const uint64_t dataSize = fileSize - dataStart;
    std::vector<std::pair<uint64_t, std::string>> order; // by offset, to keep the file's order
    for (const auto& [name, info] : j.items())
        if (name != "__metadata__")
            order.emplace_back(info.at("data_offsets").at(0).get<uint64_t>(), name);
    std::sort(order.begin(), order.end());
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& [offset, name] : order) {
        const auto& info = j.at(name);
        const auto dt = dtypes().find(info.at("dtype").get<std::string>());
        if (dt == dtypes().end())
            throw Error(path, "tensor '" + name + "' has unsupported dtype " + info.at("dtype").get<std::string>());
        const auto shape = info.at("shape").get<std::vector<int64_t>>();
        const uint64_t begin = info.at("data_offsets").at(0).get<uint64_t>();
        const uint64_t end = info.at("data_offsets").at(1).get<uint64_t>();
        int64_t numel = 1;
        for (auto s : shape)
            numel *= s;
        if (end < begin || end > dataSize || end - begin != numel * c10::elementSize(dt->second))
            throw Error(path, "tensor '" + name + "' has inconsistent offsets (truncated file?)");
        auto t = torch::empty(shape, torch::TensorOptions().dtype(dt->second));
        in.seekg(static_cast<std::streamoff>(dataStart + begin));
        in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(end - begin));
        if (!in)
            throw Error(path, "file ends inside tensor '" + name + "'");
        out.emplace_back(name, t);
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
