#pragma once
// What the simulator knows about each Oura collection: how it is windowed, which OAuth scope it
// needs, and which webhook data_type announces its changes. Written from API-NOTES, not the spec.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oura::sim {

enum class Windowing {
    date,      // start_date/end_date on the document's local day
    datetime,  // start_datetime/end_datetime on the row's instant; rows have no id
    none,      // ring_configuration: next_token and fields only
    personal,  // personal_info: one bare object, no envelope
};

struct ResourceInfo {
    std::string_view name;  // as the REST path spells it (vO2_max)
    Windowing windowing;
    std::string_view scope;      // empty: none needed
    std::string_view data_type;  // webhook data_type; empty: no webhooks for it
};

// Where Oura publishes its OpenAPI document (API-NOTES §0: also served under api.ouraring.com).
inline constexpr std::string_view openapi_path = "/v2/static/json/openapi-1.37.json";

// An OpenAPI 3.1 document listing `resources` as /v2/usercollection/* paths with the query
// parameters of their windowing (and the single-document routes), written from this catalog, not
// copied from Oura's spec: enough for a client to discover which collections exist.
std::string openapi_document(const std::vector<ResourceInfo>& resources);

// nullptr for a name that is not an Oura collection.
const ResourceInfo* find_resource(std::string_view name);
// Every collection the simulator serves, generated ones first.
const std::vector<ResourceInfo>& all_resources();
// The REST resource a webhook data_type names (vo2_max → vO2_max); nullptr when none.
const ResourceInfo* resource_for_data_type(std::string_view data_type);

// Scopes are a bit set over this list (the working set most clients request).
inline constexpr std::string_view scope_names[] = {
    "email",   "personal", "daily",  "heartrate",    "workout",           "tag",
    "session", "spo2",     "stress", "heart_health", "ring_configuration"};
using ScopeSet = std::uint32_t;
inline constexpr ScopeSet all_scopes = (1u << std::size(scope_names)) - 1;

std::optional<ScopeSet> scope_bit(std::string_view name);
// Space- or comma-separated names; unknown names are dropped as Oura's authorize page drops them.
ScopeSet parse_scopes(std::string_view text);
std::string format_scopes(ScopeSet scopes);  // space-separated, in scope_names order
bool has_scope(ScopeSet set, std::string_view name);

// Webhook enums of spec 1.37.
inline constexpr std::string_view webhook_event_types[] = {"create", "update", "delete"};
inline constexpr std::string_view webhook_data_types[] = {"tag",
                                                          "enhanced_tag",
                                                          "workout",
                                                          "session",
                                                          "sleep",
                                                          "daily_sleep",
                                                          "daily_readiness",
                                                          "daily_activity",
                                                          "daily_spo2",
                                                          "sleep_time",
                                                          "rest_mode_period",
                                                          "ring_configuration",
                                                          "daily_stress",
                                                          "daily_cardiovascular_age",
                                                          "daily_resilience",
                                                          "vo2_max",
                                                          "meal"};

}  // namespace oura::sim
