#include "oura/core/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

namespace oura::core {

rapidjson::Document parse_json(std::string_view text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError())
        throw json_error(std::string("invalid JSON at offset ") + std::to_string(doc.GetErrorOffset()) + ": " +
                         rapidjson::GetParseError_En(doc.GetParseError()));
    return doc;
}

std::string to_json(const rapidjson::Value& value) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
    value.Accept(writer);
    return std::string(buf.GetString(), buf.GetSize());
}

namespace {
const rapidjson::Value* member(const rapidjson::Value& obj, std::string_view key) {
    if (!obj.IsObject()) return nullptr;
    auto it = obj.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
    return it == obj.MemberEnd() ? nullptr : &it->value;
}
}  // namespace

std::optional<std::string_view> get_string(const rapidjson::Value& obj, std::string_view key) {
    auto v = member(obj, key);
    if (!v || !v->IsString()) return std::nullopt;
    return std::string_view(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> get_int(const rapidjson::Value& obj, std::string_view key) {
    auto v = member(obj, key);
    if (!v || !v->IsInt64()) return std::nullopt;
    return v->GetInt64();
}

std::optional<double> get_double(const rapidjson::Value& obj, std::string_view key) {
    auto v = member(obj, key);
    if (!v || !v->IsNumber()) return std::nullopt;
    return v->GetDouble();
}

std::optional<bool> get_bool(const rapidjson::Value& obj, std::string_view key) {
    auto v = member(obj, key);
    if (!v || !v->IsBool()) return std::nullopt;
    return v->GetBool();
}

std::string error_body(std::string_view message) {
    JsonWriter w;
    w.begin_object().field("detail", message).end_object();
    return w.take();
}

namespace {
// RapidJSON output stream appending to a std::string, so a writer can add to a caller's buffer.
struct StringOut {
    using Ch = char;
    std::string* out;
    void Put(char c) { out->push_back(c); }
    void Flush() {}
};
rapidjson::SizeType size_of(std::string_view s) {
    return static_cast<rapidjson::SizeType>(s.size());
}
}  // namespace

struct JsonWriter::Impl {
    explicit Impl(std::string& out) : stream{&out}, writer(stream) {}
    StringOut stream;
    rapidjson::Writer<StringOut> writer;
};

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>(own_)) {}
JsonWriter::JsonWriter(std::string& out) : impl_(std::make_unique<Impl>(out)) {}
JsonWriter::~JsonWriter() = default;

JsonWriter& JsonWriter::begin_object() {
    impl_->writer.StartObject();
    return *this;
}
JsonWriter& JsonWriter::end_object() {
    impl_->writer.EndObject();
    return *this;
}
JsonWriter& JsonWriter::begin_array() {
    impl_->writer.StartArray();
    return *this;
}
JsonWriter& JsonWriter::end_array() {
    impl_->writer.EndArray();
    return *this;
}
JsonWriter& JsonWriter::key(std::string_view name) {
    impl_->writer.Key(name.data(), size_of(name), true);
    return *this;
}
JsonWriter& JsonWriter::string(std::string_view value) {
    impl_->writer.String(value.data(), size_of(value), true);
    return *this;
}
JsonWriter& JsonWriter::integer(std::int64_t value) {
    impl_->writer.Int64(value);
    return *this;
}
JsonWriter& JsonWriter::number(double value) {
    // Writer::Double refuses NaN and infinity by writing nothing, which would leave a key
    // without a value: an unparsable document.
    if (!std::isfinite(value))
        impl_->writer.Null();
    else
        impl_->writer.Double(value);
    return *this;
}
JsonWriter& JsonWriter::boolean(bool value) {
    impl_->writer.Bool(value);
    return *this;
}
JsonWriter& JsonWriter::null() {
    impl_->writer.Null();
    return *this;
}
JsonWriter& JsonWriter::raw(std::string_view json) {
    impl_->writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return *this;
}

const std::string& JsonWriter::str() const {
    return *impl_->stream.out;
}
std::string JsonWriter::take() {
    return std::move(*impl_->stream.out);
}

}  // namespace oura::core
