#pragma once
// RapidJSON helpers used across the libraries.

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oura::core {

class json_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses `text`; throws json_error with the offset and reason when it is not valid JSON.
rapidjson::Document parse_json(std::string_view text);
// Compact serialisation.
std::string to_json(const rapidjson::Value& value);

// Lossless reading: numbers are copied from the input character for character, never through a
// double, so 123456789.123456789 and integers beyond 64 bits survive (a stored payload equals what
// Oura sent, value for value). Both throw json_error (offset and reason) on invalid JSON or invalid
// UTF-8; RapidJSON refuses numbers whose exponent exceeds 308 even here.
//
// `text` as compact JSON.
std::string compact_json_exact(std::string_view text);

// The elements of one array, each as compact JSON: the array is `text` itself when it is one, else
// the member `array_member` of the top-level object.
struct ExactArray {
    bool top_object = false;   // the top level is an object
    bool found = false;        // the array was there
    bool objects_only = true;  // every element is an object
    std::vector<std::string> items;
    std::vector<std::pair<std::string, std::string>> members;  // the object's other members, compact JSON
};
ExactArray split_array_exact(std::string_view text, std::string_view array_member);

// Typed member look-ups on an object; nullopt when absent, null or of another type.
std::optional<std::string_view> get_string(const rapidjson::Value& obj, std::string_view key);
std::optional<std::int64_t> get_int(const rapidjson::Value& obj, std::string_view key);
std::optional<double> get_double(const rapidjson::Value& obj, std::string_view key);
std::optional<bool> get_bool(const rapidjson::Value& obj, std::string_view key);

// {"detail": "<message>"} — the error shape Oura (FastAPI) and our services answer with.
std::string error_body(std::string_view message);

}  // namespace oura::core
