#include "core/error.h"

namespace mlpify::core {

namespace {
std::string compose(const std::string& file, const std::string& reason)
{
    return file.empty() ? reason : file + ": " + reason;
}
} // namespace

Error::Error(std::string file, std::string reason)
    : std::runtime_error(compose(file, reason)), m_file(std::move(file)), m_reason(std::move(reason))
{
}

} // namespace mlpify::core
