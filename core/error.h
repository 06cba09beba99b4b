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

// Thrown by analysis loops when their cancel token is set (training instead returns
// TrainResult::cancelled, with its checkpoint written).
class Cancelled : public Error {
public:
    explicit Cancelled(std::string what) : Error(std::move(what), "cancelled") {}
};

} // namespace mlpify::core
