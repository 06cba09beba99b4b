#include "core/io/atomic_file.h"

#include "core/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace mlpify::core {

namespace fs = std::filesystem;

namespace {

std::string describeErrno(int err)
{
    switch (err) {
    case ENOSPC:
        return "the disk is full";
    case EDQUOT:
        return "the disk quota is exhausted";
    case EFBIG:
        return "the file size limit was reached";
    case EACCES:
    case EPERM:
        return "no permission to write there";
    case EROFS:
        return "the file system is read-only";
    default:
        return std::strerror(err);
    }
}

// The file being written. Where the file system allows it, it is an unnamed file (O_TMPFILE) in
// the target's folder: a run killed mid-write (SIGKILL, power loss) leaves nothing behind, and it
// gets a name only when complete. Elsewhere, a named temp file beside the target.
class PendingFile {
public:
    explicit PendingFile(const std::string& path) : m_path(path), m_temp(path + ".tmp." + std::to_string(::getpid()))
    {
        const fs::path target(path);
        const auto folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
        m_fd = ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        if (m_fd < 0) {
            if (errno == EACCES || errno == EPERM || errno == EROFS || errno == ENOSPC || errno == EDQUOT)
                throw Error(path, "cannot write: " + describeErrno(errno));
            m_fd = ::open(m_temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
            if (m_fd < 0)
                throw Error(path, "cannot write: " + describeErrno(errno));
            m_named = true;
        }
    }
    PendingFile(const PendingFile&) = delete;
    PendingFile& operator=(const PendingFile&) = delete;
    ~PendingFile()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        if (m_named && !m_committed) {
            std::error_code ignored;
            fs::remove(m_temp, ignored);
        }
    }

    void write(const std::string& bytes)
    {
        const char* p = bytes.data();
        size_t left = bytes.size();
        while (left > 0) {
            const auto n = ::write(m_fd, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                throw Error(m_path, "cannot write: " + describeErrno(n < 0 ? errno : ENOSPC));
            p += n;
            left -= static_cast<size_t>(n);
        }
    }

    // Durable contents, then the name: the old file at path stays whole until the rename.
    void commit()
    {
        if (::fsync(m_fd) != 0)
            throw Error(m_path, "cannot write: " + describeErrno(errno));
        if (!m_named) {
            const auto self = "/proc/self/fd/" + std::to_string(m_fd);
            if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, m_temp.c_str(), AT_SYMLINK_FOLLOW) != 0)
                throw Error(m_path, "cannot write: " + describeErrno(errno));
            m_named = true;
        }
        std::error_code ec;
        fs::rename(m_temp, m_path, ec);
        if (ec)
            throw Error(m_path, "cannot replace the file: " + ec.message());
        m_committed = true;
    }

private:
    std::string m_path, m_temp;
    int m_fd = -1;
    bool m_named = false, m_committed = false;
};

} // namespace

void checkOutputPath(const std::string& path, const std::vector<std::string>& inputs)
{
    const fs::path target(path);
    if (path.empty())
        throw Error("(output)", "no output path given");
    const auto folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::exists(folder, ec))
        throw Error(path, "the folder " + folder.string() + " does not exist");
    if (!fs::is_directory(folder, ec))
        throw Error(path, folder.string() + " is not a folder");
    if (fs::is_directory(target, ec))
        throw Error(path, "is a folder, not a file");
    if (::access(folder.c_str(), W_OK | X_OK) != 0)
        throw Error(path, "cannot write into " + folder.string() + ": " + describeErrno(errno));
    for (const auto& input : inputs)
        if (!input.empty() && fs::is_regular_file(input, ec) && fs::exists(target, ec) &&
            fs::equivalent(input, target, ec))
            throw Error(path, "is also the input " + input + "; write to another file");
}

void checkOutputPaths(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs)
{
    for (size_t i = 0; i < outputs.size(); ++i) {
        if (outputs[i].empty())
            continue;
        checkOutputPath(outputs[i], inputs);
        for (size_t j = 0; j < i; ++j)
            if (!outputs[j].empty() && fs::weakly_canonical(outputs[j]) == fs::weakly_canonical(outputs[i]))
                throw Error(outputs[i], "is given for two outputs of the same command");
    }
}

void writeBytesAtomically(const std::string& path, const std::string& bytes)
{
    checkOutputPath(path);
    PendingFile file(path);
    file.write(bytes);
    file.commit();
}

} // namespace mlpify::core
