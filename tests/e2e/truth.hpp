#pragma once
// The simulator's truth in the test database and the checks that compare every stored value with
// it: shared by the tests of every ingestion path (poller, backfill-worker).
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "sim.hpp"

namespace oura::test {

inline const std::vector<std::string> document_resources = {
    "daily_activity", "daily_cardiovascular_age", "daily_readiness", "daily_resilience", "daily_sleep",
    "daily_spo2",     "daily_stress",             "enhanced_tag",    "rest_mode_period", "ring_configuration",
    "session",        "sleep",                    "sleep_time",      "tag",              "vO2_max",
    "workout"};
inline const std::vector<std::string> series_resources = {"heartrate", "ring_battery_level"};

// Loads every document and sample of every simulated user into table `truth` (user_id, resource,
// doc jsonb); `user_id` maps an Oura user id to the internal one.
inline void load_truth(const TestDatabase& db, Simulator& sim, const std::function<long long(const std::string&)>& user_id) {
    auto conn = db.connect();
    pqxx::work tx(conn);
    tx.exec("DROP TABLE IF EXISTS truth; CREATE TABLE truth (user_id bigint, resource text, doc jsonb)");
    for (const auto& id : sim.users()) {
        auto uid = user_id(id);
        std::vector<std::string> all = document_resources;
        all.insert(all.end(), series_resources.begin(), series_resources.end());
        for (const auto& resource : all) {
            std::string array = "[";
            for (const auto& d : sim.truth(id, resource)) array += (array.size() > 1 ? "," : "") + d;
            array += "]";
            tx.exec_params("INSERT INTO truth SELECT $1, $2, d FROM jsonb_array_elements($3::jsonb) d", uid, resource, array);
        }
    }
    tx.commit();
}

// Every check is a count of disagreements between the database and the simulator's truth.
inline const std::vector<std::pair<std::string, std::string>> truth_checks = {
    {"raw documents missing or different",
     "SELECT count(*) FROM truth t WHERE t.resource NOT IN ('heartrate','ring_battery_level') AND NOT EXISTS ("
     " SELECT 1 FROM oura.oura_documents d WHERE d.user_id = t.user_id AND d.resource = t.resource"
     " AND d.document_id = t.doc->>'id' AND d.deleted_at IS NULL AND d.payload = t.doc)"},
    {"raw documents the simulator does not have",
     "SELECT count(*) FROM oura.oura_documents d WHERE d.deleted_at IS NULL AND d.resource <> 'personal_info' AND NOT EXISTS ("
     " SELECT 1 FROM truth t WHERE t.user_id = d.user_id AND t.resource = d.resource AND t.doc->>'id' = d.document_id)"},
    {"readiness scores",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_readiness' AND s.readiness_score IS DISTINCT FROM (t.doc->>'score')::int"},
    {"sleep scores",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_sleep' AND s.sleep_score IS DISTINCT FROM (t.doc->>'score')::int"},
    {"activity steps",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_activity' AND s.activity_steps IS DISTINCT FROM (t.doc->>'steps')::int"},
    {"spo2 averages",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_spo2' AND abs(coalesce(s.spo2_average_pct, -1) - coalesce((t.doc#>>'{spo2_percentage,average}')::real, -1)) > 0.01"},
    {"stress seconds",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_stress' AND s.stress_high_seconds IS DISTINCT FROM (t.doc->>'stress_high')::int"},
    {"resilience levels",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_resilience' AND s.resilience_level IS DISTINCT FROM t.doc->>'level'"},
    {"vascular ages",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_cardiovascular_age' AND s.vascular_age_years IS DISTINCT FROM (t.doc->>'vascular_age')::int"},
    {"VO2 max",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'vO2_max' AND s.vo2_max_ml_kg_min IS DISTINCT FROM (t.doc->>'vo2_max')::real"},
    {"sleep episodes",
     "SELECT count(*) FROM truth t LEFT JOIN oura.sleep_episodes e ON e.user_id = t.user_id AND e.document_id = t.doc->>'id'"
     " WHERE t.resource = 'sleep' AND (e.total_sleep_duration_seconds IS DISTINCT FROM (t.doc->>'total_sleep_duration')::int"
     " OR e.deep_sleep_duration_seconds IS DISTINCT FROM (t.doc->>'deep_sleep_duration')::int"
     " OR e.lowest_heart_rate_bpm IS DISTINCT FROM (t.doc->>'lowest_heart_rate')::int"
     " OR e.bedtime_start IS DISTINCT FROM (t.doc->>'bedtime_start')::timestamptz)"},
    {"sleep heart-rate samples",
     "SELECT count(*) FROM truth t WHERE t.resource = 'sleep' AND coalesce((SELECT sum(x::text::real) FROM jsonb_array_elements(t.doc#>'{heart_rate,items}') x"
     " WHERE x <> 'null'::jsonb), 0) IS DISTINCT FROM coalesce((SELECT sum(hr_bpm) FROM oura.sleep_samples s"
     " WHERE s.user_id = t.user_id AND s.sleep_document_id = t.doc->>'id'), 0)"},
    {"hypnogram deep periods",
     "SELECT count(*) FROM truth t WHERE t.resource = 'sleep' AND t.doc->>'sleep_phase_5_min' IS NOT NULL AND"
     " (SELECT count(*) FROM oura.sleep_samples s WHERE s.user_id = t.user_id AND s.sleep_document_id = t.doc->>'id'"
     " AND s.sleep_phase = 1) <> length(t.doc->>'sleep_phase_5_min') - length(replace(t.doc->>'sleep_phase_5_min', '1', ''))"},
    {"workouts",
     "SELECT count(*) FROM truth t LEFT JOIN oura.workouts w ON w.user_id = t.user_id AND w.document_id = t.doc->>'id'"
     " WHERE t.resource = 'workout' AND (w.activity IS DISTINCT FROM t.doc->>'activity'"
     " OR abs(coalesce(w.calories_kcal, -1) - coalesce((t.doc->>'calories')::real, -1)) > 0.01"
     " OR w.start_at IS DISTINCT FROM (t.doc->>'start_datetime')::timestamptz)"},
    {"sessions",
     "SELECT count(*) FROM truth t LEFT JOIN oura.sessions s ON s.user_id = t.user_id AND s.document_id = t.doc->>'id'"
     " WHERE t.resource = 'session' AND (s.type IS DISTINCT FROM t.doc->>'type' OR s.start_at IS DISTINCT FROM (t.doc->>'start_datetime')::timestamptz)"},
    {"enhanced tags",
     "SELECT count(*) FROM truth t LEFT JOIN oura.enhanced_tags e ON e.user_id = t.user_id AND e.document_id = t.doc->>'id'"
     " WHERE t.resource = 'enhanced_tag' AND (e.tag_type_code IS DISTINCT FROM t.doc->>'tag_type_code' OR e.start_day IS DISTINCT FROM (t.doc->>'start_day')::date)"},
    {"tags",
     "SELECT count(*) FROM truth t LEFT JOIN oura.tags g ON g.user_id = t.user_id AND g.document_id = t.doc->>'id'"
     " WHERE t.resource = 'tag' AND (g.text IS DISTINCT FROM t.doc->>'text' OR g.day IS DISTINCT FROM (t.doc->>'day')::date)"},
    {"rest mode periods",
     "SELECT count(*) FROM truth t LEFT JOIN oura.rest_mode_periods r ON r.user_id = t.user_id AND r.document_id = t.doc->>'id'"
     " WHERE t.resource = 'rest_mode_period' AND r.start_day IS DISTINCT FROM (t.doc->>'start_day')::date"},
    {"ring configurations",
     "SELECT count(*) FROM truth t LEFT JOIN oura.ring_configurations r ON r.user_id = t.user_id AND r.document_id = t.doc->>'id'"
     " WHERE t.resource = 'ring_configuration' AND (r.hardware_type IS DISTINCT FROM t.doc->>'hardware_type'"
     " OR r.firmware_version IS DISTINCT FROM t.doc->>'firmware_version')"},
    {"heart-rate samples",
     "SELECT count(*) FROM truth t LEFT JOIN oura.heart_rate_samples h ON h.user_id = t.user_id"
     " AND h.ts = (t.doc->>'timestamp')::timestamptz AND h.source = t.doc->>'source'"
     " WHERE t.resource = 'heartrate' AND h.bpm IS DISTINCT FROM (t.doc->>'bpm')::int"},
    {"heart-rate samples the simulator does not have",
     "SELECT (SELECT count(*) FROM oura.heart_rate_samples) - (SELECT count(*) FROM truth WHERE resource = 'heartrate')"},
    {"battery levels",
     "SELECT count(*) FROM truth t LEFT JOIN oura.ring_battery_levels b ON b.user_id = t.user_id"
     " AND b.ts = (t.doc->>'timestamp')::timestamptz WHERE t.resource = 'ring_battery_level'"
     " AND b.level IS DISTINCT FROM (t.doc->>'level')::int"},
};


}  // namespace oura::test
