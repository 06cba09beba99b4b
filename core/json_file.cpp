#include "core/json_file.h"

#include "core/error.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mlpify::core {

nlohmann::json readJsonFile(const std::string& path)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error(path, "no such file");
    if (fs::is_directory(path, ec))
        throw Error(path, "is a folder, not a JSON file");
    const auto size = fs::file_size(path, ec);
    if (!ec && size > kMaxJsonBytes)
        throw Error(path, "is " + std::to_string(size >> 20) + " MiB; a JSON file here is at most " +
                              std::to_string(kMaxJsonBytes >> 20) + " MiB");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path, "cannot be read (permissions?)");
    std::ostringstream text;
    text << in.rdbuf();
    const auto s = text.str();
    try {
        return nlohmann::json::parse(s);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path, std::string("not valid JSON: ") + e.what());
    }
}

} // namespace mlpify::core
