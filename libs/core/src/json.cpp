#include "oura/core/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "oura/core/log.hpp"

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
    std::string out = "{\"detail\":";
    append_json_string(out, message);
    out += "}";
    return out;
}

}  // namespace oura::core
