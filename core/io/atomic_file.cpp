#include "core/io/atomic_file.h"

#include "core/error.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace mlpify::core {

void writeAtomically(const std::string& path, const std::function<void(const std::string&)>& write)
{
    namespace fs = std::filesystem;
    const fs::path target(path);
    if (target.has_parent_path() && !fs::exists(target.parent_path()))
        throw Error(path, "the folder " + target.parent_path().string() + " does not exist");
    const std::string temp = path + ".tmp." + std::to_string(::getpid());
    try {
        write(temp);
        std::error_code ec;
        fs::rename(temp, target, ec);
        if (ec)
            throw Error(path, "cannot replace the file: " + ec.message());
    } catch (...) {
        std::error_code ignored;
        fs::remove(temp, ignored);
        throw;
    }
}

void writeBytesAtomically(const std::string& path, const std::string& bytes)
{
    writeAtomically(path, [&](const std::string& temp) {
        std::ofstream out(temp, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out)
            throw Error(path, "cannot write (disk full or no permission?)");
    });
}

} // namespace mlpify::core
