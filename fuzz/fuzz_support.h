// Shared by the libFuzzer targets. The readers take paths, so every input is written to a file
// in a folder of this process's own (under /dev/shm when there is one: no disk write per run).
#pragma once

#include "core/error.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace mlpify::fuzz {

inline const std::filesystem::path& scratchDir()
{
    static const std::filesystem::path dir = [] {
        namespace fs = std::filesystem;
        const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        auto d = base / ("mlpify_fuzz_" + std::to_string(::getpid()));
        fs::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(scratchDir(), ec);
        });
        return d;
    }();
    return dir;
}

// Writes bytes to NAME (a path relative to the scratch folder, parents created) and returns it.
inline std::string writeInput(const std::string& name, const uint8_t* data, size_t size)
{
    const auto path = scratchDir() / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path.string();
}

// A clean rejection (core::Error, naming the file) is the expected end for most inputs; anything
// else that escapes aborts through std::terminate, which libFuzzer reports like a crash.
template <class Read> void rejectCleanly(Read&& read)
{
    try {
        read();
    } catch (const core::Error&) {
    }
}

} // namespace mlpify::fuzz
