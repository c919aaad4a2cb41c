#pragma once
// Reading Oura's response bodies into the documents callers store.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oura/api/catalog.hpp"

namespace oura::api {

// One page of a collection: each item as compact JSON with its fields in Oura's order and its
// values unchanged: numbers are copied character for character (123456789.123456789, integers
// beyond 2^63, 1.5e-7 stay as sent); only whitespace and string escapes may differ from the wire.
struct Page {
    std::vector<std::string> items;
};

struct ParsedPage {
    Page page;
    std::optional<std::string> next_token;  // nullopt on the last page (null, absent or "")
};

// Parses a collection answer {"data": [...], "next_token": ...}; for DateMode::single the bare
// object becomes the page's one item. Throws api_error(bad_response) for anything else (a
// truncated body, invalid JSON or UTF-8, a missing data array, a non-object item).
ParsedPage parse_page(const Resource& resource, std::string_view body);

// A single-document answer (the bare object) as compact JSON; throws api_error(bad_response)
// unless the body is one JSON object.
std::string parse_document(std::string_view body);

}  // namespace oura::api
