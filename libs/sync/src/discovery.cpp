#include "oura/sync/discovery.hpp"

#include <array>
#include <string_view>

#include "oura/core/json.hpp"

namespace oura::sync {
namespace {

// Most specific first: a sleep's bedtime_start says more than its timestamp.
constexpr std::array<std::string_view, 2> day_fields{"day", "start_day"};
constexpr std::array<std::string_view, 4> start_fields{"bedtime_start", "start_datetime", "start_time", "timestamp"};
constexpr std::array<std::string_view, 3> end_fields{"bedtime_end", "end_datetime", "end_time"};

template <std::size_t N>
std::string_view first_present(const std::vector<rapidjson::Document>& docs,
                               const std::array<std::string_view, N>& names) {
    for (auto name : names)
        for (const auto& d : docs)
            if (core::get_string(d, name)) return name;
    return {};
}

}  // namespace

std::vector<api::Resource> discover_collections(api::OuraClient& client, const core::Logger& log) {
    try {
        auto found = api::discover_resources(client.fetch_openapi());
        std::string names;
        for (auto& r : found) {
            // Their rows go to oura_documents (keyed by id or hash), not to a time-series table.
            r.time_series = false;
            names += (names.empty() ? "" : ",") + std::string(r.name);
        }
        if (!found.empty())
            log.info("Oura lists collections the catalog does not know; keeping them raw", {{"collections", names}});
        return found;
    } catch (const std::exception& e) {
        log.warn("cannot read Oura's OpenAPI document; syncing the catalogued collections only", {{"error", e.what()}});
        return {};
    }
}

store::DocumentShape shape_for(const api::Resource& resource, const std::vector<std::string>& documents) {
    if (api::find_resource(resource.name)) return {resource.day_field, resource.start_field, resource.end_field};
    std::vector<rapidjson::Document> docs;
    docs.reserve(documents.size());
    for (const auto& text : documents) {
        try {
            docs.push_back(core::parse_json(text));
        } catch (const core::json_error&) {
            // Pages come from parse_page, so this does not happen; the store refuses it anyway.
        }
    }
    store::DocumentShape shape{first_present(docs, day_fields), first_present(docs, start_fields),
                               first_present(docs, end_fields)};
    shape.key_by_hash = true;
    return shape;
}

}  // namespace oura::sync
