// The one exception type core throws: which file (or input) and what is wrong with it.
#pragma once

#include <stdexcept>
#include <string>

namespace mlpify::core {

class Error : public std::runtime_error {
public:
    Error(std::string file, std::string reason);
    explicit Error(std::string reason) : Error(std::string(), std::move(reason)) {}

    const std::string& file() const { return m_file; }
    const std::string& reason() const { return m_reason; }

private:
    std::string m_file;
    std::string m_reason;
};

} // namespace mlpify::core
