#pragma once
// RapidJSON helpers used across the libraries.

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace oura::core {

class json_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses `text`; throws json_error with the offset and reason when it is not valid JSON.
rapidjson::Document parse_json(std::string_view text);
// Compact serialisation.
std::string to_json(const rapidjson::Value& value);

// Typed member look-ups on an object; nullopt when absent, null or of another type.
std::optional<std::string_view> get_string(const rapidjson::Value& obj, std::string_view key);
std::optional<std::int64_t> get_int(const rapidjson::Value& obj, std::string_view key);
std::optional<double> get_double(const rapidjson::Value& obj, std::string_view key);
std::optional<bool> get_bool(const rapidjson::Value& obj, std::string_view key);

// {"detail": "<message>"} — the error shape Oura (FastAPI) and our services answer with.
std::string error_body(std::string_view message);

}  // namespace oura::core
