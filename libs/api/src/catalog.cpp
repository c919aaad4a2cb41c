#include "oura/api/catalog.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <set>
#include <stdexcept>

#include "oura/core/json.hpp"

namespace oura::api {

namespace {

// Date windows: 90 days keeps pages moderate (Oura answers a whole window in one page, 2,141
// readiness documents were seen in one answer). Time series: Oura refuses heartrate ranges over
// 30 days; 29 leaves a day of margin for however Oura counts the bounds (oura-cf does the same).
constexpr int date_window = 90;
constexpr int series_window = 29;

constexpr Resource doc(std::string_view name, std::string_view path, std::string_view webhook, std::string_view scope,
                       std::string_view day = "day", std::string_view start = {}, std::string_view end = {}) {
    return Resource{name, path, DateMode::date, date_window, webhook, true, scope, false, day, start, end};
}

constexpr std::array catalog{
    doc("daily_activity", "/v2/usercollection/daily_activity", "daily_activity", "daily", "day", "timestamp"),
    doc("daily_cardiovascular_age", "/v2/usercollection/daily_cardiovascular_age", "daily_cardiovascular_age",
        "heart_health"),
    doc("daily_readiness", "/v2/usercollection/daily_readiness", "daily_readiness", "daily", "day", "timestamp"),
    doc("daily_resilience", "/v2/usercollection/daily_resilience", "daily_resilience", "stress"),
    doc("daily_sleep", "/v2/usercollection/daily_sleep", "daily_sleep", "daily", "day", "timestamp"),
    doc("daily_spo2", "/v2/usercollection/daily_spo2", "daily_spo2", "spo2"),
    doc("daily_stress", "/v2/usercollection/daily_stress", "daily_stress", "daily"),
    doc("enhanced_tag", "/v2/usercollection/enhanced_tag", "enhanced_tag", "tag", "start_day", "start_time",
        "end_time"),
    Resource{"heartrate",
             "/v2/usercollection/heartrate",
             DateMode::datetime,
             series_window,
             {},
             false,
             "heartrate",
             true,
             {},
             "timestamp",
             {}},
    Resource{"personal_info",
             "/v2/usercollection/personal_info",
             DateMode::single,
             0,
             {},
             false,
             "personal",
             false,
             {},
             {},
             {}},
    doc("rest_mode_period", "/v2/usercollection/rest_mode_period", "rest_mode_period", "daily", "start_day",
        "start_time", "end_time"),
    Resource{"ring_battery_level",
             "/v2/usercollection/ring_battery_level",
             DateMode::datetime,
             series_window,
             {},
             false,
             "ring_configuration",
             true,
             {},
             "timestamp",
             {}},
    Resource{"ring_configuration",
             "/v2/usercollection/ring_configuration",
             DateMode::none,
             0,
             "ring_configuration",
             true,
             "ring_configuration",
             false,
             {},
             "set_up_at",
             {}},
    doc("session", "/v2/usercollection/session", "session", "session", "day", "start_datetime", "end_datetime"),
    doc("sleep", "/v2/usercollection/sleep", "sleep", "daily", "day", "bedtime_start", "bedtime_end"),
    doc("sleep_time", "/v2/usercollection/sleep_time", "sleep_time", "daily"),
    doc("tag", "/v2/usercollection/tag", "tag", "tag", "day", "timestamp"),
    // The REST path has a capital O; the webhook data_type does not.
    doc("vO2_max", "/v2/usercollection/vO2_max", "vo2_max", "heart_health", "day", "timestamp"),
    doc("workout", "/v2/usercollection/workout", "workout", "workout", "day", "start_datetime", "end_datetime"),
};

constexpr std::string_view collection_prefix = "/v2/usercollection/";

bool plain_segment(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// Interned strings for discovered resources: a std::set never moves its elements.
std::string_view intern(std::string value) {
    static std::mutex mutex;
    static std::set<std::string, std::less<>> strings;
    std::lock_guard lock(mutex);
    return *strings.insert(std::move(value)).first;
}

bool has_param(const rapidjson::Value& operation, std::string_view name) {
    if (!operation.IsObject()) return false;
    auto params = operation.FindMember("parameters");
    if (params == operation.MemberEnd() || !params->value.IsArray()) return false;
    for (const auto& p : params->value.GetArray())
        if (core::get_string(p, "name") == name) return true;
    return false;
}

}  // namespace

std::string_view to_string(DateMode mode) {
    switch (mode) {
        case DateMode::date:
            return "date";
        case DateMode::datetime:
            return "datetime";
        case DateMode::none:
            return "none";
        case DateMode::single:
            return "single";
    }
    return "unknown";
}

std::span<const Resource> resources() {
    return catalog;
}

const Resource* find_resource(std::string_view rest_name) {
    for (const auto& r : catalog)
        if (r.name == rest_name) return &r;
    return nullptr;
}

const Resource* find_by_webhook_type(std::string_view webhook_type) {
    if (webhook_type.empty()) return nullptr;
    for (const auto& r : catalog)
        if (r.webhook_type == webhook_type) return &r;
    return nullptr;
}

std::vector<Resource> discover_resources(std::string_view openapi_json) {
    auto doc = core::parse_json(openapi_json);
    std::vector<Resource> out;
    auto paths = doc.IsObject() ? doc.FindMember("paths") : doc.MemberEnd();
    if (!doc.IsObject() || paths == doc.MemberEnd() || !paths->value.IsObject()) return out;
    for (const auto& entry : paths->value.GetObject()) {
        std::string_view path(entry.name.GetString(), entry.name.GetStringLength());
        if (!path.starts_with(collection_prefix)) continue;
        auto name = path.substr(collection_prefix.size());
        // Single-document routes ({document_id}) and anything nested are not collections.
        if (!plain_segment(name) || find_resource(name)) continue;
        if (std::any_of(out.begin(), out.end(), [&](const Resource& r) { return r.name == name; })) continue;
        DateMode mode = DateMode::none;
        if (entry.value.IsObject()) {
            auto get = entry.value.FindMember("get");
            if (get != entry.value.MemberEnd()) {
                if (has_param(get->value, "start_datetime"))
                    mode = DateMode::datetime;
                else if (has_param(get->value, "start_date"))
                    mode = DateMode::date;
            }
        }
        out.push_back(make_discovered(name, mode));
    }
    std::sort(out.begin(), out.end(), [](const Resource& a, const Resource& b) { return a.name < b.name; });
    return out;
}

std::vector<std::string> discover_collections(std::string_view openapi_json) {
    std::vector<std::string> names;
    for (const auto& r : discover_resources(openapi_json)) names.emplace_back(r.name);
    return names;
}

Resource make_discovered(std::string_view name, DateMode mode) {
    if (!plain_segment(name)) throw std::invalid_argument("not a collection name: " + std::string(name));
    Resource r;
    r.name = intern(std::string(name));
    r.path = intern(std::string(collection_prefix) + std::string(name));
    r.mode = mode;
    // Unknown limits: stay within what every known collection accepts.
    r.max_window_days = mode == DateMode::datetime ? series_window : 30;
    r.single_document_route = false;
    r.time_series = mode == DateMode::datetime;
    r.day_field = mode == DateMode::date ? "day" : "";
    r.start_field = mode == DateMode::datetime ? "timestamp" : "";
    return r;
}

}  // namespace oura::api
