#pragma once
// Deterministic synthetic Oura data for the simulator.
//
// Everything generated for (seed, user index, local day) depends on those three values only, so a
// time advance that adds a day produces exactly the documents a wider --days run would have had.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace oura::sim {

// One document or time-series row, pre-serialised as the API returns it.
struct Document {
    std::string id;       // document id; empty for time-series rows (heartrate, ring_battery_level)
    std::string day;      // YYYY-MM-DD: the local day date-mode collections filter on
    std::int64_t ts = 0;  // Unix seconds (UTC): time-series rows filter on it; documents sort by it
    std::string json;     // compact JSON object, exactly the item the API puts in "data"
    // Unix seconds from which the API shows it: the simulated now must have reached the document's
    // end (a sleep that is still going on, a workout not yet over, a sample of the next hour are
    // not there yet). Set to ts when nothing later is known.
    std::int64_t visible_at = 0;
};

struct UserProfile {
    std::string oura_user_id;  // personal_info.id; also the user_id of webhook events
    std::string personal_info_json;  // the whole /v2/usercollection/personal_info body
};

struct GeneratorOptions {
    std::uint64_t seed = 1;
    int users = 1;
    int days = 30;
    std::chrono::sys_days end_day{};  // last generated local day, inclusive
};

// Resource names as the REST paths spell them (note vO2_max).
inline constexpr std::string_view generated_resources[] = {
    "daily_activity", "daily_cardiovascular_age", "daily_readiness", "daily_resilience",
    "daily_sleep",    "daily_spo2",               "daily_stress",    "enhanced_tag",
    "heartrate",      "rest_mode_period",         "ring_battery_level", "session",
    "sleep",          "sleep_time",               "tag",             "vO2_max",
    "workout",
};

using DayDocuments = std::map<std::string, std::vector<Document>, std::less<>>;

std::vector<UserProfile> generate_users(const GeneratorOptions& options);

// Every document whose local day is `day`, by resource (resources with nothing that day are absent
// or empty). Time-series rows are those of that local day, ordered by ts.
DayDocuments generate_day(const GeneratorOptions& options, int user_index, std::chrono::sys_days day);

// The user's ring configuration documents (not day-bound).
std::vector<Document> generate_ring_configurations(const GeneratorOptions& options, int user_index);

}  // namespace oura::sim
