#pragma once
// Reading Oura's response bodies into the documents callers store.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oura/api/catalog.hpp"

namespace oura::api {

// One page of a collection: each item as compact JSON with its fields in Oura's order and its
// values unchanged (numbers are read at full precision and written back in their shortest exact
// form, so byte equality with the wire is not promised).
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
