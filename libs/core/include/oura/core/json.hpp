#pragma once
// RapidJSON helpers used across the libraries.

#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
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

// The one way JSON text is written here: RapidJSON's Writer, so every string is escaped by the
// same code and every document is well formed. Calls chain:
//   JsonWriter w; w.begin_object().field("users", 3).field("name", name).end_object(); w.str();
// Numbers that are not finite (NaN, ±infinity) have no JSON form and are written as null.
class JsonWriter {
public:
    JsonWriter();                           // writes into a buffer of its own (str(), take())
    explicit JsonWriter(std::string& out);  // appends to `out`, which must outlive the writer
    ~JsonWriter();
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);
    JsonWriter& string(std::string_view value);
    JsonWriter& integer(std::int64_t value);
    JsonWriter& number(double value);  // null when not finite
    JsonWriter& boolean(bool value);
    JsonWriter& null();
    // Text that already is one JSON value (a stored document), copied as is. The caller vouches
    // for it: it is not parsed again.
    JsonWriter& raw(std::string_view json);

    JsonWriter& field(std::string_view name, std::string_view value) { return key(name).string(value); }
    JsonWriter& field(std::string_view name, const std::string& value) { return key(name).string(value); }
    JsonWriter& field(std::string_view name, const char* value) { return key(name).string(value); }
    JsonWriter& field(std::string_view name, bool value) { return key(name).boolean(value); }
    JsonWriter& field(std::string_view name, double value) { return key(name).number(value); }
    template <typename I, typename = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
    JsonWriter& field(std::string_view name, I value) {
        return key(name).integer(static_cast<std::int64_t>(value));
    }

    const std::string& str() const;  // what was written so far
    std::string take();              // moves the text out; the writer must not be used after

private:
    struct Impl;
    std::string own_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace oura::core
