#pragma once
// The Oura API v2 resources this code knows, written from ../shared/oura/API-NOTES.md (spec 1.37).
// One entry per /v2/usercollection/* collection; everything else (planner, client, sync) reads
// its facts from here instead of repeating them.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oura::api {

enum class DateMode {
    date,      // start_date/end_date (YYYY-MM-DD, the user's local days)
    datetime,  // start_datetime/end_datetime (instants with offset); heartrate, ring_battery_level
    none,      // no window, pages only (ring_configuration)
    single,    // one bare object, no envelope, no pages (personal_info)
};
std::string_view to_string(DateMode mode);

struct Resource {
    std::string_view name;  // REST name as in the path: "vO2_max"
    std::string_view path;  // "/v2/usercollection/vO2_max"
    DateMode mode = DateMode::date;
    // Widest request span in days this code ever sends (padding included): Oura refuses
    // heartrate ranges over 30 days, and large date windows only make pages bigger.
    int max_window_days = 90;
    std::string_view webhook_type;       // "vo2_max"; empty when Oura sends no webhooks for it
    bool single_document_route = false;  // GET {path}/{document_id} exists
    // OAuth scope the resource needs, as a hint for status pages: Oura publishes no mapping, and
    // the 401 body names the scope that is really missing.
    std::string_view scope;
    bool time_series = false;      // rows without document ids (one row per sample)
    std::string_view day_field;    // the local day of a document: "day", "start_day"; empty when none
    std::string_view start_field;  // instant the document starts at, empty when none
    std::string_view end_field;    // instant it ends at, empty when none
};

// Every resource of spec 1.37, in a stable order.
std::span<const Resource> resources();
// By REST name ("vO2_max"); nullptr when unknown. Case-sensitive, as Oura's paths are.
const Resource* find_resource(std::string_view rest_name);
// By webhook data_type ("vo2_max"); nullptr for types without a REST collection ("meal") or unknown.
const Resource* find_by_webhook_type(std::string_view webhook_type);

// Names of /v2/usercollection/* collections in an OpenAPI document that the catalog does not know
// (Oura adds resources between spec versions), sorted. Throws core::json_error on invalid JSON.
std::vector<std::string> discover_collections(std::string_view openapi_json);
// Same, with the date mode read from each path's query parameters (start_datetime → datetime,
// start_date → date, neither → none).
std::vector<Resource> discover_resources(std::string_view openapi_json);
// A catalog entry for a collection the code has no mapping for, to fetch it and store it raw.
// Its strings live for the whole process (interned), so the Resource may be copied freely.
// `name` must be a plain path segment ([A-Za-z0-9_]); throws std::invalid_argument otherwise.
Resource make_discovered(std::string_view name, DateMode mode = DateMode::date);

}  // namespace oura::api
