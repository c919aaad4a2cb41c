#include "sim_catalog.hpp"

#include "oura/core/text.hpp"

namespace oura::sim {

const std::vector<ResourceInfo>& all_resources() {
    // Scopes as API-NOTES §3 reports them from real 401 bodies: stress covers resilience only;
    // daily_stress is a daily summary like the others.
    static const std::vector<ResourceInfo> resources = {
        {"daily_activity", Windowing::date, "daily", "daily_activity"},
        {"daily_cardiovascular_age", Windowing::date, "heart_health", "daily_cardiovascular_age"},
        {"daily_readiness", Windowing::date, "daily", "daily_readiness"},
        {"daily_resilience", Windowing::date, "stress", "daily_resilience"},
        {"daily_sleep", Windowing::date, "daily", "daily_sleep"},
        {"daily_spo2", Windowing::date, "spo2", "daily_spo2"},
        {"daily_stress", Windowing::date, "daily", "daily_stress"},
        {"enhanced_tag", Windowing::date, "tag", "enhanced_tag"},
        {"heartrate", Windowing::datetime, "heartrate", ""},
        {"rest_mode_period", Windowing::date, "daily", "rest_mode_period"},
        {"ring_battery_level", Windowing::datetime, "ring_configuration", ""},
        {"session", Windowing::date, "session", "session"},
        {"sleep", Windowing::date, "daily", "sleep"},
        {"sleep_time", Windowing::date, "daily", "sleep_time"},
        {"tag", Windowing::date, "tag", "tag"},
        {"vO2_max", Windowing::date, "heart_health", "vo2_max"},
        {"workout", Windowing::date, "workout", "workout"},
        {"ring_configuration", Windowing::none, "ring_configuration", "ring_configuration"},
        {"personal_info", Windowing::personal, "", ""},
    };
    return resources;
}

const ResourceInfo* find_resource(std::string_view name) {
    for (const auto& r : all_resources())
        if (r.name == name) return &r;
    return nullptr;
}

const ResourceInfo* resource_for_data_type(std::string_view data_type) {
    if (data_type.empty()) return nullptr;
    for (const auto& r : all_resources())
        if (r.data_type == data_type) return &r;
    return nullptr;
}

std::optional<ScopeSet> scope_bit(std::string_view name) {
    for (std::size_t i = 0; i < std::size(scope_names); ++i)
        if (scope_names[i] == name) return ScopeSet{1} << i;
    return std::nullopt;
}

ScopeSet parse_scopes(std::string_view text) {
    ScopeSet out = 0;
    for (const auto& word : core::split_list(text, " ,+")) {
        // "spo2Daily" is the spec's spelling of the same scope.
        if (auto bit = scope_bit(word == "spo2Daily" ? "spo2" : word)) out |= *bit;
    }
    return out;
}

std::string format_scopes(ScopeSet scopes) {
    std::string out;
    for (std::size_t i = 0; i < std::size(scope_names); ++i) {
        if (!(scopes & (ScopeSet{1} << i))) continue;
        if (!out.empty()) out.push_back(' ');
        out += scope_names[i];
    }
    return out;
}

bool has_scope(ScopeSet set, std::string_view name) {
    if (name.empty()) return true;
    auto bit = scope_bit(name);
    return bit && (set & *bit);
}

}  // namespace oura::sim
