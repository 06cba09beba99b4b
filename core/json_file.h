// Reading the JSON files users hand to commands (analysis, selection, projects): one Error naming
// the file for every way it can be wrong, and a size limit checked before reading.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace mlpify::core {

// Largest JSON file read: a project with every result is a few MiB.
constexpr std::uintmax_t kMaxJsonBytes = 256ull << 20;

// Error(path, ...) when the file is missing, a folder, unreadable, too large or not JSON.
nlohmann::json readJsonFile(const std::string& path);

// An integer field. nlohmann's get<int64_t>() casts a float such as 1e300 to an integer, which is
// undefined behaviour; this takes integers only (non-negative ones for an unsigned Int) and
// otherwise throws nlohmann's type_error, which readers already turn into one Error.
template <class Int = int64_t> Int jsonInteger(const nlohmann::json& v)
{
    static_assert(std::is_integral_v<Int>, "jsonInteger reads integers; use get<double>() for numbers");
    const bool negative = v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0;
    if (!v.is_number_integer() || (std::is_unsigned_v<Int> && negative))
        throw nlohmann::json::type_error::create(
            302,
            std::string("type must be ") + (std::is_unsigned_v<Int> ? "a non-negative integer" : "an integer") +
                ", but is " +
                (negative        ? "negative"
                 : v.is_number() ? "a fraction"
                                 : v.type_name()),
            &v);
    return v.get<Int>();
}

// key's integer, or fallback when j has no such key.
template <class Int> Int jsonInteger(const nlohmann::json& j, const char* key, Int fallback)
{
    return j.contains(key) ? jsonInteger<Int>(j.at(key)) : fallback;
}

// An array of integers.
template <class Int = int64_t> std::vector<Int> jsonIntegers(const nlohmann::json& v)
{
    if (!v.is_array())
        throw nlohmann::json::type_error::create(302, std::string("type must be an array, but is ") + v.type_name(),
                                                 &v);
    std::vector<Int> out;
    for (const auto& e : v)
        out.push_back(jsonInteger<Int>(e));
    return out;
}

} // namespace mlpify::core
