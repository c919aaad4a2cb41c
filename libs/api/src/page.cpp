#include "oura/api/page.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "oura/api/errors.hpp"
#include "oura/core/json.hpp"

namespace oura::api {

namespace {

// Full precision keeps every number's value exactly; encoding validation keeps invalid UTF-8
// (which PostgreSQL's jsonb refuses) out of the store.
constexpr unsigned parse_flags = rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag;

rapidjson::Document parse(std::string_view body, std::string_view what) {
    rapidjson::Document doc;
    doc.Parse<parse_flags>(body.data(), body.size());
    if (doc.HasParseError())
        throw api_error(ErrorKind::bad_response, 200,
                        std::string(what) + " is not valid JSON (" + rapidjson::GetParseError_En(doc.GetParseError()) +
                            " at offset " + std::to_string(doc.GetErrorOffset()) + " of " +
                            std::to_string(body.size()) + " bytes)");
    return doc;
}

}  // namespace

ParsedPage parse_page(const Resource& resource, std::string_view body) {
    ParsedPage out;
    if (resource.mode == DateMode::single) {
        out.page.items.push_back(parse_document(body));
        return out;
    }
    auto doc = parse(body, "collection page");
    if (!doc.IsObject()) throw api_error(ErrorKind::bad_response, 200, "collection page is not a JSON object");
    auto data = doc.FindMember("data");
    if (data == doc.MemberEnd() || !data->value.IsArray())
        throw api_error(ErrorKind::bad_response, 200, "collection page has no data array");
    out.page.items.reserve(data->value.Size());
    for (const auto& item : data->value.GetArray()) {
        if (!item.IsObject()) throw api_error(ErrorKind::bad_response, 200, "collection item is not a JSON object");
        out.page.items.push_back(core::to_json(item));
    }
    auto next = doc.FindMember("next_token");
    if (next != doc.MemberEnd()) {
        if (next->value.IsString()) {
            if (next->value.GetStringLength() > 0)
                out.next_token = std::string(next->value.GetString(), next->value.GetStringLength());
        } else if (!next->value.IsNull()) {
            throw api_error(ErrorKind::bad_response, 200, "next_token is neither a string nor null");
        }
    }
    return out;
}

std::string parse_document(std::string_view body) {
    auto doc = parse(body, "document");
    if (!doc.IsObject()) throw api_error(ErrorKind::bad_response, 200, "document is not a JSON object");
    return core::to_json(doc);
}

}  // namespace oura::api
