#include "oura/api/page.hpp"

#include "oura/api/errors.hpp"
#include "oura/core/json.hpp"

namespace oura::api {

namespace {

// Read once, numbers copied as Oura wrote them (a trip through double rounds
// 123456789.123456789 and integers beyond 2^63); encoding validation keeps invalid UTF-8 (which
// PostgreSQL's jsonb refuses) out of the store.
template <typename F>
auto read(std::string_view body, std::string_view what, F&& parse) {
    try {
        return parse(body);
    } catch (const core::json_error& e) {
        throw api_error(
            ErrorKind::bad_response, 200,
            std::string(what) + " is not valid JSON (" + e.what() + "; " + std::to_string(body.size()) + " bytes)");
    }
}

}  // namespace

ParsedPage parse_page(const Resource& resource, std::string_view body) {
    ParsedPage out;
    if (resource.mode == DateMode::single) {
        out.page.items.push_back(parse_document(body));
        return out;
    }
    auto split = read(body, "collection page", [](std::string_view b) { return core::split_array_exact(b, "data"); });
    if (!split.top_object) throw api_error(ErrorKind::bad_response, 200, "collection page is not a JSON object");
    if (!split.found) throw api_error(ErrorKind::bad_response, 200, "collection page has no data array");
    if (!split.objects_only) throw api_error(ErrorKind::bad_response, 200, "collection item is not a JSON object");
    out.page.items = std::move(split.items);
    for (const auto& [key, value] : split.members) {
        if (key != "next_token") continue;
        if (value == "null") {
            out.next_token.reset();
            continue;
        }
        if (value.empty() || value.front() != '"')
            throw api_error(ErrorKind::bad_response, 200, "next_token is neither a string nor null");
        auto token = core::parse_json(value);
        if (token.GetStringLength() > 0)
            out.next_token = std::string(token.GetString(), token.GetStringLength());
        else
            out.next_token.reset();
    }
    return out;
}

std::string parse_document(std::string_view body) {
    auto text = read(body, "document", [](std::string_view b) { return core::compact_json_exact(b); });
    if (text.empty() || text.front() != '{')
        throw api_error(ErrorKind::bad_response, 200, "document is not a JSON object");
    return text;
}

}  // namespace oura::api
