// Curated projections generated from one column table. Each resource is a Mapping: its family
// (daily merge into oura.daily_summaries, one row per document, one row per user), its id column
// and one Column per curated column (name, payload path, cast). The builders below turn the table
// into four statements per resource; only the 5-minute sleep samples are hand-written SQL. Adding
// a field is one line in a table here (plus the column in a migration); the golden snapshot
// libs/store/tests/projections.golden.sql shows the change as SQL.
//
// What every generated statement keeps (see docs/data-model.md):
// - payload fields are read with -> / ->> and cast; a JSON null becomes SQL NULL.
// - instants go through oura.parse_localized / oura.parse_utc (migration 0003), offsets through
//   oura.utc_offset_minutes: nothing depends on the session time zone, no local day is derived.
// - updates carry an IS DISTINCT FROM guard, so re-projecting unchanged documents writes nothing.
// - each payload is decompressed once ("payload || '{}'" in a MATERIALIZED CTE); read straight
//   from the table, every ->> would decompress the TOASTed payload again.
// - daily winners: the most recently changed live document of a day, then the larger id.

#include "oura/store/projections.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <string>
#include <vector>

namespace oura::store {
namespace {

using enum Cast;

// --- the table ------------------------------------------------------------------------------------

constexpr Column daily_activity_columns[] = {
    {"activity_score",                              "score",                              smallint},
    {"activity_timestamp",                          "timestamp",                          instant},
    {"activity_utc_offset_minutes",                 "timestamp",                          utc_offset},
    {"activity_meet_daily_targets_score",           "contributors.meet_daily_targets",    smallint},
    {"activity_move_every_hour_score",              "contributors.move_every_hour",       smallint},
    {"activity_recovery_time_score",                "contributors.recovery_time",         smallint},
    {"activity_stay_active_score",                  "contributors.stay_active",           smallint},
    {"activity_training_frequency_score",           "contributors.training_frequency",    smallint},
    {"activity_training_volume_score",              "contributors.training_volume",       smallint},
    {"activity_active_calories_kcal",               "active_calories",                    integer},
    {"activity_total_calories_kcal",                "total_calories",                     integer},
    {"activity_target_calories_kcal",               "target_calories",                    integer},
    {"activity_steps",                              "steps",                              integer},
    {"activity_equivalent_walking_distance_meters", "equivalent_walking_distance",        integer},
    {"activity_target_meters",                      "target_meters",                      integer},
    {"activity_meters_to_target",                   "meters_to_target",                   integer},
    {"activity_inactivity_alerts",                  "inactivity_alerts",                  integer},
    {"activity_average_met_minutes",                "average_met_minutes",                float8},
    {"activity_high_activity_met_minutes",          "high_activity_met_minutes",          integer},
    {"activity_medium_activity_met_minutes",        "medium_activity_met_minutes",        integer},
    {"activity_low_activity_met_minutes",           "low_activity_met_minutes",           integer},
    {"activity_sedentary_met_minutes",              "sedentary_met_minutes",              integer},
    {"activity_high_activity_time_seconds",         "high_activity_time",                 integer},
    {"activity_medium_activity_time_seconds",       "medium_activity_time",               integer},
    {"activity_low_activity_time_seconds",          "low_activity_time",                  integer},
    {"activity_sedentary_time_seconds",             "sedentary_time",                     integer},
    {"activity_resting_time_seconds",               "resting_time",                       integer},
    {"activity_non_wear_time_seconds",              "non_wear_time",                      integer},
    {"activity_met_1min",                           "met",                                samples},
    {"activity_met_start_at",                       "met.timestamp",                      instant},
    {"activity_met_interval_seconds",               "met.interval",                       float8},
    {"activity_class_5min",                         "class_5_min",                        text},
};

constexpr Column daily_cardiovascular_age_columns[] = {
    {"vascular_age_years",          "vascular_age",        smallint},
    {"pulse_wave_velocity_m_per_s", "pulse_wave_velocity", float8},
};

constexpr Column daily_readiness_columns[] = {
    {"readiness_score",                               "score",                              smallint},
    {"readiness_temperature_deviation_celsius",       "temperature_deviation",              float8},
    {"readiness_temperature_trend_deviation_celsius", "temperature_trend_deviation",        float8},
    {"readiness_timestamp",                           "timestamp",                          instant},
    {"readiness_utc_offset_minutes",                  "timestamp",                          utc_offset},
    {"readiness_activity_balance_score",              "contributors.activity_balance",      smallint},
    {"readiness_body_temperature_score",              "contributors.body_temperature",      smallint},
    {"readiness_hrv_balance_score",                   "contributors.hrv_balance",           smallint},
    {"readiness_previous_day_activity_score",         "contributors.previous_day_activity", smallint},
    {"readiness_previous_night_score",                "contributors.previous_night",        smallint},
    {"readiness_recovery_index_score",                "contributors.recovery_index",        smallint},
    {"readiness_resting_heart_rate_score",            "contributors.resting_heart_rate",    smallint},
    {"readiness_sleep_balance_score",                 "contributors.sleep_balance",         smallint},
    {"readiness_sleep_regularity_score",              "contributors.sleep_regularity",      smallint},
};

// Resilience contributors are floats 0-100, unlike every other contributor.
constexpr Column daily_resilience_columns[] = {
    {"resilience_level",                  "level",                         text},
    {"resilience_sleep_recovery_score",   "contributors.sleep_recovery",   float8},
    {"resilience_daytime_recovery_score", "contributors.daytime_recovery", float8},
    {"resilience_stress_score",           "contributors.stress",           float8},
};

constexpr Column daily_sleep_columns[] = {
    {"sleep_score",              "score",                    smallint},
    {"sleep_timestamp",          "timestamp",                instant},
    {"sleep_utc_offset_minutes", "timestamp",                utc_offset},
    {"sleep_deep_sleep_score",   "contributors.deep_sleep",  smallint},
    {"sleep_efficiency_score",   "contributors.efficiency",  smallint},
    {"sleep_latency_score",      "contributors.latency",     smallint},
    {"sleep_rem_sleep_score",    "contributors.rem_sleep",   smallint},
    {"sleep_restfulness_score",  "contributors.restfulness", smallint},
    {"sleep_timing_score",       "contributors.timing",      smallint},
    {"sleep_total_sleep_score",  "contributors.total_sleep", smallint},
};

constexpr Column daily_spo2_columns[] = {
    {"spo2_average_pct",                 "spo2_percentage.average",     float8},
    {"spo2_breathing_disturbance_index", "breathing_disturbance_index", smallint},
};

// stress_high and recovery_high are seconds, not scores.
constexpr Column daily_stress_columns[] = {
    {"stress_day_summary",           "day_summary",   text},
    {"stress_high_seconds",          "stress_high",   integer},
    {"stress_recovery_high_seconds", "recovery_high", integer},
};

// Tags may send local times without an offset: the instant is then NULL and *_local keeps the
// wall-clock time, never a guess through the session time zone.
constexpr Column enhanced_tag_columns[] = {
    {"start_day",                "start_day",     date},
    {"end_day",                  "end_day",       date},
    {"tag_type_code",            "tag_type_code", text},
    {"custom_name",              "custom_name",   text},
    {"comment",                  "comment",       text},
    {"start_at",                 "start_time",    instant},
    {"start_local",              "start_time",    wall_time},
    {"start_utc_offset_minutes", "start_time",    utc_offset},
    {"end_at",                   "end_time",      instant},
    {"end_local",                "end_time",      wall_time},
    {"end_utc_offset_minutes",   "end_time",      utc_offset},
};

constexpr Column personal_info_columns[] = {
    {"age",            "age",            smallint},
    {"weight_kg",      "weight",         float8},
    {"height_meters",  "height",         float8},
    {"biological_sex", "biological_sex", text},
    {"email",          "email",          text},
};

constexpr Column rest_mode_period_columns[] = {
    {"start_day",                "start_day",  date},
    {"end_day",                  "end_day",    date},
    {"start_at",                 "start_time", instant},
    {"start_utc_offset_minutes", "start_time", utc_offset},
    {"end_at",                   "end_time",   instant},
    {"end_utc_offset_minutes",   "end_time",   utc_offset},
    {"episodes",                 "episodes",   json_list},
};

constexpr Column ring_configuration_columns[] = {
    {"color",            "color",            text},
    {"design",           "design",           text},
    {"firmware_version", "firmware_version", text},
    {"hardware_type",    "hardware_type",    text},
    {"set_up_at",        "set_up_at",        utc_instant},
    {"size_us",          "size",             smallint},
};

constexpr Column session_columns[] = {
    {"day",                           "day",                              date},
    {"type",                          "type",                             text},
    {"mood",                          "mood",                             text},
    {"start_at",                      "start_datetime",                   instant},
    {"start_utc_offset_minutes",      "start_datetime",                   utc_offset},
    {"end_at",                        "end_datetime",                     instant},
    {"end_utc_offset_minutes",        "end_datetime",                     utc_offset},
    {"heart_rate_bpm",                "heart_rate",                       samples},
    {"heart_rate_start_at",           "heart_rate.timestamp",             instant},
    {"heart_rate_interval_seconds",   "heart_rate.interval",              float8},
    {"hrv_ms",                        "heart_rate_variability",           samples},
    {"hrv_start_at",                  "heart_rate_variability.timestamp", instant},
    {"hrv_interval_seconds",          "heart_rate_variability.interval",  float8},
    {"motion_count",                  "motion_count",                     samples},
    {"motion_count_start_at",         "motion_count.timestamp",           instant},
    {"motion_count_interval_seconds", "motion_count.interval",            float8},
};

constexpr Column sleep_columns[] = {
    {"day",                                           "day",                                          date},
    {"type",                                          "type",                                         text},
    {"period",                                        "period",                                       integer},
    {"bedtime_start",                                 "bedtime_start",                                instant},
    {"bedtime_start_utc_offset_minutes",              "bedtime_start",                                utc_offset},
    {"bedtime_end",                                   "bedtime_end",                                  instant},
    {"bedtime_end_utc_offset_minutes",                "bedtime_end",                                  utc_offset},
    {"time_in_bed_seconds",                           "time_in_bed",                                  integer},
    {"total_sleep_duration_seconds",                  "total_sleep_duration",                         integer},
    {"awake_time_seconds",                            "awake_time",                                   integer},
    {"light_sleep_duration_seconds",                  "light_sleep_duration",                         integer},
    {"deep_sleep_duration_seconds",                   "deep_sleep_duration",                          integer},
    {"rem_sleep_duration_seconds",                    "rem_sleep_duration",                           integer},
    {"latency_seconds",                               "latency",                                      integer},
    {"efficiency_pct",                                "efficiency",                                   smallint},
    {"restless_periods",                              "restless_periods",                             integer},
    {"average_breath_per_min",                        "average_breath",                               float8},
    {"average_heart_rate_bpm",                        "average_heart_rate",                           float8},
    {"lowest_heart_rate_bpm",                         "lowest_heart_rate",                            smallint},
    {"average_hrv_ms",                                "average_hrv",                                  float8},
    {"low_battery_alert",                             "low_battery_alert",                            boolean},
    {"readiness_score",                               "readiness.score",                              smallint},
    {"readiness_temperature_deviation_celsius",       "readiness.temperature_deviation",              float8},
    {"readiness_temperature_trend_deviation_celsius", "readiness.temperature_trend_deviation",        float8},
    {"readiness_activity_balance_score",              "readiness.contributors.activity_balance",      smallint},
    {"readiness_body_temperature_score",              "readiness.contributors.body_temperature",      smallint},
    {"readiness_hrv_balance_score",                   "readiness.contributors.hrv_balance",           smallint},
    {"readiness_previous_day_activity_score",         "readiness.contributors.previous_day_activity", smallint},
    {"readiness_previous_night_score",                "readiness.contributors.previous_night",        smallint},
    {"readiness_recovery_index_score",                "readiness.contributors.recovery_index",        smallint},
    {"readiness_resting_heart_rate_score",            "readiness.contributors.resting_heart_rate",    smallint},
    {"readiness_sleep_balance_score",                 "readiness.contributors.sleep_balance",         smallint},
    {"readiness_sleep_regularity_score",              "readiness.contributors.sleep_regularity",      smallint},
    {"readiness_score_delta",                         "readiness_score_delta",                        smallint},
    {"sleep_score_delta",                             "sleep_score_delta",                            smallint},
    {"sleep_algorithm_version",                       "sleep_algorithm_version",                      text},
    {"sleep_analysis_reason",                         "sleep_analysis_reason",                        text},
    {"ring_id",                                       "ring_id",                                      text},
    {"sleep_phase_5_min",                             "sleep_phase_5_min",                            text},
    {"app_sleep_phase_5_min",                         "app_sleep_phase_5_min",                        text},
    {"sleep_phase_30_sec",                            "sleep_phase_30_sec",                           text},
    {"movement_30_sec",                               "movement_30_sec",                              text},
    {"heart_rate_bpm",                                "heart_rate",                                   samples},
    {"heart_rate_start_at",                           "heart_rate.timestamp",                         instant},
    {"heart_rate_interval_seconds",                   "heart_rate.interval",                          float8},
    {"hrv_ms",                                        "hrv",                                          samples},
    {"hrv_start_at",                                  "hrv.timestamp",                                instant},
    {"hrv_interval_seconds",                          "hrv.interval",                                 float8},
};

// optimal_bedtime offsets are seconds from local midnight.
constexpr Column sleep_time_columns[] = {
    {"sleep_time_recommendation",                       "recommendation",               text},
    {"sleep_time_status",                               "status",                       text},
    {"sleep_time_day_tz_seconds",                       "optimal_bedtime.day_tz",       integer},
    {"sleep_time_optimal_bedtime_start_offset_seconds", "optimal_bedtime.start_offset", integer},
    {"sleep_time_optimal_bedtime_end_offset_seconds",   "optimal_bedtime.end_offset",   integer},
};

constexpr Column tag_columns[] = {
    {"day",                "day",       date},
    {"text",               "text",      text},
    {"tags",               "tags",      text_list},
    {"ts",                 "timestamp", instant},
    {"ts_local",           "timestamp", wall_time},
    {"utc_offset_minutes", "timestamp", utc_offset},
};

// The spec declares vo2_max an integer; some clients see floats, so it is not cast strictly.
constexpr Column vo2_max_columns[] = {
    {"vo2_max_ml_kg_min",          "vo2_max",   float8},
    {"vo2_max_timestamp",          "timestamp", instant},
    {"vo2_max_utc_offset_minutes", "timestamp", utc_offset},
};

constexpr Column workout_columns[] = {
    {"day",                      "day",            date},
    {"activity",                 "activity",       text},
    {"intensity",                "intensity",      text},
    {"source",                   "source",         text},
    {"label",                    "label",          text},
    {"calories_kcal",            "calories",       float8},
    {"distance_meters",          "distance",       float8},
    {"start_at",                 "start_datetime", instant},
    {"start_utc_offset_minutes", "start_datetime", utc_offset},
    {"end_at",                   "end_datetime",   instant},
    {"end_utc_offset_minutes",   "end_datetime",   utc_offset},
};

// Sorted by resource (checked below). personal_info's id is the Oura user id.
constexpr Mapping all_mappings[] = {
    {"daily_activity",           Family::daily,    "daily_summaries",     "daily_activity_id",           daily_activity_columns},
    {"daily_cardiovascular_age", Family::daily,    "daily_summaries",     "daily_cardiovascular_age_id", daily_cardiovascular_age_columns},
    {"daily_readiness",          Family::daily,    "daily_summaries",     "daily_readiness_id",          daily_readiness_columns},
    {"daily_resilience",         Family::daily,    "daily_summaries",     "daily_resilience_id",         daily_resilience_columns},
    {"daily_sleep",              Family::daily,    "daily_summaries",     "daily_sleep_id",              daily_sleep_columns},
    {"daily_spo2",               Family::daily,    "daily_summaries",     "daily_spo2_id",               daily_spo2_columns},
    {"daily_stress",             Family::daily,    "daily_summaries",     "daily_stress_id",             daily_stress_columns},
    {"enhanced_tag",             Family::document, "enhanced_tags",       "document_id",                 enhanced_tag_columns},
    {"personal_info",            Family::user,     "personal_info",       "oura_user_id",                personal_info_columns},
    {"rest_mode_period",         Family::document, "rest_mode_periods",   "document_id",                 rest_mode_period_columns},
    {"ring_configuration",       Family::document, "ring_configurations", "document_id",                 ring_configuration_columns},
    {"session",                  Family::document, "sessions",            "document_id",                 session_columns},
    {"sleep",                    Family::document, "sleep_episodes",      "document_id",                 sleep_columns},
    {"sleep_time",               Family::daily,    "daily_summaries",     "sleep_time_id",               sleep_time_columns},
    {"tag",                      Family::document, "tags",                "document_id",                 tag_columns},
    {"vO2_max",                  Family::daily,    "daily_summaries",     "vo2_max_id",                  vo2_max_columns},
    {"workout",                  Family::document, "workouts",            "document_id",                 workout_columns},
};

// --- the hand-written part ----------------------------------------------------------------------

// Runs after the sleep_episodes upsert, in the same statement: each episode's oura.sleep_samples
// replaced by the 5-minute grid of its heart_rate, hrv and hypnograms. Rows no longer on the grid
// are deleted, the others upserted: the two touch disjoint rows, so one statement can do both, and
// the samples' foreign key is checked at the end of the statement, after the episode insert.
// Removing an episode cascades to its samples (ON DELETE CASCADE), so the removes need nothing.
constexpr std::string_view sleep_samples_sql = R"sql(series AS MATERIALIZED (
    -- per episode, once: what the 5-minute grid is built from
    SELECT s.document_id,
           CASE WHEN jsonb_typeof(s.p->'heart_rate'->'items') = 'array' THEN s.p->'heart_rate'->'items' END AS hr_items,
           oura.parse_localized(s.p->'heart_rate'->>'timestamp') AS hr_start,
           (s.p->'heart_rate'->>'interval')::double precision AS hr_step,
           CASE WHEN jsonb_typeof(s.p->'hrv'->'items') = 'array' THEN s.p->'hrv'->'items' END AS hrv_items,
           oura.parse_localized(s.p->'hrv'->>'timestamp') AS hrv_start,
           (s.p->'hrv'->>'interval')::double precision AS hrv_step,
           oura.parse_localized(s.p->>'bedtime_start') AS bedtime_start,
           s.p->>'sleep_phase_5_min' AS phases,
           s.p->>'app_sleep_phase_5_min' AS app_phases
      FROM src s
),
points (document_id, ts, hr_bpm, hrv_ms, sleep_phase, app_sleep_phase) AS (
    SELECT x.document_id, x.hr_start + make_interval(secs => x.hr_step * (e.i - 1)),
           e.v::double precision, NULL::double precision, NULL::smallint, NULL::smallint
      FROM series x
     CROSS JOIN LATERAL jsonb_array_elements_text(x.hr_items) WITH ORDINALITY AS e (v, i)
    UNION ALL
    SELECT x.document_id, x.hrv_start + make_interval(secs => x.hrv_step * (e.i - 1)),
           NULL::double precision, e.v::double precision, NULL::smallint, NULL::smallint
      FROM series x
     CROSS JOIN LATERAL jsonb_array_elements_text(x.hrv_items) WITH ORDINALITY AS e (v, i)
    UNION ALL
    SELECT x.document_id, x.bedtime_start + interval '5 minutes' * (c.i - 1),
           NULL::double precision, NULL::double precision, CASE WHEN c.ch ~ '^[0-9]$' THEN c.ch::smallint END, NULL::smallint
      FROM series x
     CROSS JOIN LATERAL regexp_split_to_table(x.phases, '') WITH ORDINALITY AS c (ch, i)
    UNION ALL
    SELECT x.document_id, x.bedtime_start + interval '5 minutes' * (c.i - 1),
           NULL::double precision, NULL::double precision, NULL::smallint, CASE WHEN c.ch ~ '^[0-9]$' THEN c.ch::smallint END
      FROM series x
     CROSS JOIN LATERAL regexp_split_to_table(x.app_phases, '') WITH ORDINALITY AS c (ch, i)
),
samples AS (
    SELECT document_id, ts, max(hr_bpm) AS hr_bpm, max(hrv_ms) AS hrv_ms,
           max(sleep_phase) AS sleep_phase, max(app_sleep_phase) AS app_sleep_phase
      FROM points
     WHERE ts IS NOT NULL
     GROUP BY document_id, ts
),
stale AS (
    DELETE FROM oura.sleep_samples o
     USING src s
     WHERE o.user_id = $1::bigint AND o.sleep_document_id = s.document_id
       -- NOT IN over a CTE becomes one hashed lookup (NOT EXISTS was planned as a nested loop)
       AND (o.sleep_document_id, o.ts) NOT IN (SELECT n.document_id, n.ts FROM samples n)
)
INSERT INTO oura.sleep_samples AS t
       (user_id, sleep_document_id, ts, hr_bpm, hrv_ms, sleep_phase, app_sleep_phase)
SELECT $1::bigint, document_id, ts, hr_bpm, hrv_ms, sleep_phase, app_sleep_phase
  FROM samples
ON CONFLICT (user_id, sleep_document_id, ts) DO UPDATE
   SET hr_bpm          = EXCLUDED.hr_bpm,
       hrv_ms          = EXCLUDED.hrv_ms,
       sleep_phase     = EXCLUDED.sleep_phase,
       app_sleep_phase = EXCLUDED.app_sleep_phase
 WHERE (t.hr_bpm, t.hrv_ms, t.sleep_phase, t.app_sleep_phase)
       IS DISTINCT FROM
       (EXCLUDED.hr_bpm, EXCLUDED.hrv_ms, EXCLUDED.sleep_phase, EXCLUDED.app_sleep_phase)
)sql";

// Hand-written SQL that runs in the upsert statement after the generated curated upsert, which
// becomes a CTE of that name. Reads the generated "src" CTE (document_id, p).
struct Extension {
    std::string_view resource;
    std::string_view cte_name;
    std::string_view sql;
};
constexpr Extension extensions[] = {
    {"sleep", "episodes", sleep_samples_sql},
};

// --- guards against editing slips: the table's names go into SQL text ---------------------------

constexpr bool is_name(std::string_view s, bool upper_ok, bool dots_ok) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                        (upper_ok && c >= 'A' && c <= 'Z') || (dots_ok && c == '.' && s[i - 1] != '.');
        if (!ok) return false;
    }
    return true;
}

constexpr bool well_formed() {
    const std::size_t n = std::size(all_mappings);
    for (std::size_t i = 0; i < n; ++i) {
        const Mapping& m = all_mappings[i];
        if (!is_name(m.resource, true, false) || !is_name(m.table, false, false) ||
            !is_name(m.id_column, false, false) || m.columns.empty())
            return false;
        if ((m.family == Family::daily) != (m.table == "daily_summaries")) return false;
        if (i > 0 && !(all_mappings[i - 1].resource < m.resource)) return false;  // sorted, hence unique
        for (std::size_t c = 0; c < m.columns.size(); ++c) {
            const Column& col = m.columns[c];
            if (!is_name(col.name, false, false) || !is_name(col.path, false, true)) return false;
            if (col.name == m.id_column || col.name == "user_id" || col.name == "updated_at") return false;
            for (std::size_t d = 0; d < c; ++d)
                if (m.columns[d].name == col.name) return false;
        }
        for (std::size_t j = 0; j < i; ++j) {
            const Mapping& o = all_mappings[j];
            if (m.family == Family::daily && o.family == Family::daily) {
                if (o.id_column == m.id_column) return false;
                for (const Column& a : m.columns)
                    for (const Column& b : o.columns)
                        if (a.name == b.name) return false;  // one daily_summaries column, one source
            }
        }
    }
    return true;
}
static_assert(well_formed(), "projection table: a name, the order, a family or a duplicate column is wrong");

// --- builders -----------------------------------------------------------------------------------

enum class Scope { ids, all };

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// `p`->'a'->'b'->>'c' for path "a.b.c" (->> on the last step when `as_text`).
std::string json_at(std::string_view p, std::string_view path, bool as_text) {
    std::string out(p);
    for (std::size_t start = 0;;) {
        const auto dot = path.find('.', start);
        const bool last = dot == std::string_view::npos;
        out += last && as_text ? "->>" : "->";
        out += quoted(path.substr(start, last ? std::string_view::npos : dot - start));
        if (last) return out;
        start = dot + 1;
    }
}

std::string value_of(std::string_view p, const Column& c) {
    const auto text_at = [&] { return json_at(p, c.path, true); };
    switch (c.cast) {
        case text: return text_at();
        case smallint: return "(" + text_at() + ")::smallint";
        case integer: return "(" + text_at() + ")::integer";
        case float8: return "(" + text_at() + ")::double precision";
        case boolean: return "(" + text_at() + ")::boolean";
        case date: return "(" + text_at() + ")::date";
        case instant: return "oura.parse_localized(" + text_at() + ")";
        case utc_instant: return "oura.parse_utc(" + text_at() + ")";
        case utc_offset: return "oura.utc_offset_minutes(" + text_at() + ")";
        case wall_time: return "oura.local_wall_time(" + text_at() + ")";
        case samples: return "oura.sample_items(" + json_at(p, c.path, false) + ")";
        case text_list: {
            const auto array = json_at(p, c.path, false);
            return "CASE WHEN jsonb_typeof(" + array + ") = 'array' THEN ARRAY(SELECT e.v FROM jsonb_array_elements_text(" +
                   array + ") WITH ORDINALITY AS e (v, i) ORDER BY e.i) ELSE '{}'::text[] END";
        }
        case json_list: return "coalesce(" + json_at(p, c.path, false) + ", '[]'::jsonb)";
    }
    return {};  // unreachable: every Cast is handled above (-Wswitch checks)
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? std::string(separator) : "") + items[i];
    return out;
}

std::string indented(std::string_view sql, std::string_view by) {
    std::string out;
    for (std::size_t start = 0; start < sql.size();) {
        auto end = sql.find('\n', start);
        if (end == std::string_view::npos) end = sql.size();
        if (end > start) out += std::string(by) + std::string(sql.substr(start, end - start));
        if (end < sql.size()) out += '\n';
        start = end + 1;
    }
    return out;
}

// The columns an upsert sets and compares: the id column is part of the key only for
// per-document tables.
std::vector<std::string> compared_columns(const Mapping& m) {
    std::vector<std::string> out;
    if (m.family != Family::document) out.emplace_back(m.id_column);
    for (const auto& c : m.columns) out.emplace_back(c.name);
    return out;
}

// INSERT … SELECT … FROM src ON CONFLICT … DO UPDATE … WHERE (…) IS DISTINCT FROM (…), from the
// CTE "src" (document_id, p and, daily, day).
std::string upsert_from_src(const Mapping& m) {
    std::vector<std::string> insert_columns{"user_id"}, select_values{"$1::bigint"};
    std::string conflict;
    switch (m.family) {
        case Family::daily:
            insert_columns.insert(insert_columns.end(), {"day", std::string(m.id_column)});
            select_values.insert(select_values.end(), {"src.day", "src.document_id AS " + std::string(m.id_column)});
            conflict = "user_id, day";
            break;
        case Family::document:
            insert_columns.emplace_back("document_id");
            select_values.emplace_back("src.document_id");
            conflict = "user_id, document_id";
            break;
        case Family::user:
            insert_columns.emplace_back(m.id_column);
            select_values.emplace_back("src.document_id AS " + std::string(m.id_column));
            conflict = "user_id";
            break;
    }
    for (const auto& c : m.columns) {
        insert_columns.emplace_back(c.name);
        select_values.push_back(value_of("src.p", c) + " AS " + std::string(c.name));
    }
    std::vector<std::string> sets, mine, theirs;
    for (const auto& name : compared_columns(m)) {
        sets.push_back(name + " = EXCLUDED." + name);
        mine.push_back("t." + name);
        theirs.push_back("EXCLUDED." + name);
    }
    sets.emplace_back("updated_at = now()");
    return "INSERT INTO oura." + std::string(m.table) + " AS t\n" +
           "       (" + join(insert_columns, ",\n        ") + ")\n" +
           "SELECT " + join(select_values, ",\n       ") + "\n" +
           "  FROM src\n" +
           "ON CONFLICT (" + conflict + ") DO UPDATE\n" +
           "   SET " + join(sets, ",\n       ") + "\n" +
           " WHERE (" + join(mine, ",\n        ") + ")\n" +
           "       IS DISTINCT FROM\n" +
           "       (" + join(theirs, ",\n        ") + ")";
}

const Extension* extension_of(const Mapping& m) {
    for (const auto& e : extensions)
        if (e.resource == m.resource) return &e;
    return nullptr;
}

// The upsert as the statement's last part: on its own, or as a CTE followed by the hand-written
// extension.
std::string finish_upsert(const Mapping& m, std::string head) {
    const auto* extension = extension_of(m);
    if (!extension) return head + "\n" + upsert_from_src(m) + "\n";
    return head + ",\n" + std::string(extension->cte_name) + " AS (\n" + indented(upsert_from_src(m), "    ") +
           "\n),\n" + std::string(extension->sql);
}

std::string resource_filter(const Mapping& m, std::string_view alias) {
    const std::string a(alias);
    return a + ".user_id = $1::bigint AND " + a + ".resource = " + quoted(m.resource);
}

// A daily remove's last part: the days in CTE "hit" lose this resource's columns; another live
// document of the day takes over if any; a day left with no source at all is deleted. The other
// sources of a day are every other daily mapping's id column.
std::string daily_clear(const Mapping& m, Scope scope) {
    std::vector<std::string> siblings, sets{std::string(m.id_column) + " = o.document_id"};
    for (const auto& other : all_mappings)
        if (other.family == Family::daily && other.resource != m.resource)
            siblings.push_back("s." + std::string(other.id_column));
    for (const auto& c : m.columns) sets.push_back(std::string(c.name) + " = " + value_of("o.p", c));
    sets.emplace_back("updated_at = now()");
    return "takeover AS MATERIALIZED (\n"
           "    -- the live document of the day that takes over, if any (payload decompressed once)\n"
           "    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p\n"
           "      FROM hit h\n"
           "      JOIN oura.oura_documents d\n"
           "        ON " + resource_filter(m, "d") + " AND d.day = h.day\n" +
           "     WHERE d.deleted_at IS NULL\n" +
           (scope == Scope::ids ? "       AND d.document_id <> ALL ($2::text[])\n" : "") +
           "       AND (d.payload->>'day')::date = h.day\n"
           "     ORDER BY h.day, d.updated_at DESC, d.document_id DESC\n"
           "),\n"
           "emptied AS (\n"
           "    DELETE FROM oura.daily_summaries s\n"
           "     USING hit h\n"
           "     WHERE s.user_id = $1::bigint AND s.day = h.day\n"
           "       AND NOT EXISTS (SELECT FROM takeover o WHERE o.day = h.day)\n"
           "       AND num_nonnulls(" + join(siblings, ",\n                        ") + ") = 0\n" +
           "    RETURNING s.day\n"
           ")\n"
           "UPDATE oura.daily_summaries s\n"
           "   SET " + join(sets, ",\n       ") + "\n" +
           "  FROM hit h\n"
           "  LEFT JOIN takeover o ON o.day = h.day\n"
           " WHERE s.user_id = $1::bigint AND s.day = h.day\n"
           "   AND h.day NOT IN (SELECT e.day FROM emptied e)\n";
}

std::string daily_upsert(const Mapping& m, Scope scope) {
    const std::string r(m.resource), id(m.id_column);
    std::string sql;
    if (scope == Scope::ids) {
        sql = "-- " + r + ", by ids: the newest live document of each day the given documents touch -> its\n"
              "-- columns of oura.daily_summaries. A day that still names one of them but is not its day\n"
              "-- (deleted, or its day changed) is cleared as the remove does, in the same statement.\n"
              "WITH changed AS (\n"
              "    SELECT (d.payload->>'day')::date AS day\n"
              "      FROM oura.oura_documents d\n"
              "     WHERE " + resource_filter(m, "d") + " AND d.document_id = ANY ($2::text[])\n" +
              "),\n";
    } else {
        sql = "-- " + r + ", all documents: the newest live document of each day -> its columns of\n"
              "-- oura.daily_summaries.\n"
              "WITH ";
    }
    sql += "candidates AS MATERIALIZED (\n" +
           std::string(scope == Scope::ids ? "    -- every live document of the touched days, so the winner does not depend on event order\n"
                                             "    -- (MATERIALIZED keeps the day extraction below the cheap filters)\n"
                                           : "    -- MATERIALIZED keeps the day extraction below the cheap filters\n") +
           "    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload\n"
           "      FROM oura.oura_documents d\n"
           "     WHERE " + resource_filter(m, "d") + " AND d.deleted_at IS NULL" +
           (scope == Scope::ids ? "\n       AND (d.document_id = ANY ($2::text[]) OR d.day IN (SELECT c.day FROM changed c))" : "") +
           "\n),\n"
           "src AS MATERIALIZED (\n"
           "    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p\n"
           "      FROM candidates c\n"
           "     WHERE c.day IS NOT NULL\n"
           "     ORDER BY c.day, c.updated_at DESC, c.document_id DESC\n"
           ")";
    if (scope == Scope::all) return finish_upsert(m, sql);
    // The new day is written by "upserted"; the old day by the final UPDATE / DELETE. They touch
    // different rows (a hit day is never a src day), so one statement can do both.
    return sql + ",\n" +
           "upserted AS (\n" + indented(upsert_from_src(m), "    ") + "\n),\n" +
           "hit AS (\n"
           "    SELECT s.day\n"
           "      FROM oura.daily_summaries s\n"
           "     WHERE s.user_id = $1::bigint AND s." + id + " = ANY ($2::text[])\n" +
           "       AND s.day NOT IN (SELECT src.day FROM src)\n"
           "),\n" +
           daily_clear(m, Scope::ids);
}

std::string daily_remove(const Mapping& m, Scope scope) {
    const std::string r(m.resource), id(m.id_column);
    if (scope == Scope::ids)
        return "-- " + r + ", by ids: clears the columns of oura.daily_summaries the given documents fed.\n"
               "WITH hit AS (\n"
               "    SELECT s.day\n"
               "      FROM oura.daily_summaries s\n"
               "     WHERE s.user_id = $1::bigint AND s." + id + " = ANY ($2::text[])\n" +
               "),\n" + daily_clear(m, Scope::ids);
    return "-- " + r + ", all documents: clears the columns of oura.daily_summaries fed by a document no\n"
           "-- longer live or no longer of that day.\n"
           "WITH hit AS (\n"
           "    SELECT s.day\n"
           "      FROM oura.daily_summaries s\n"
           "     WHERE s.user_id = $1::bigint AND s." + id + " IS NOT NULL\n" +
           "       AND NOT EXISTS (SELECT FROM oura.oura_documents d\n"
           "                        WHERE d.user_id = s.user_id AND d.resource = " + quoted(r) + "\n" +
           "                          AND d.document_id = s." + id + " AND d.deleted_at IS NULL\n" +
           "                          AND (d.payload->>'day')::date = s.day)\n"
           "),\n" + daily_clear(m, Scope::all);
}

std::string document_upsert(const Mapping& m, Scope scope) {
    const std::string r(m.resource);
    std::string sql = "-- " + r + (scope == Scope::ids ? ", by ids" : ", all documents") + ": live documents -> oura." +
                      std::string(m.table) + ".\n";
    sql += "WITH src AS MATERIALIZED (\n"
           "    SELECT d.document_id, d.payload || '{}'::jsonb AS p\n"
           "      FROM oura.oura_documents d\n"
           "     WHERE " + resource_filter(m, "d") + " AND d.deleted_at IS NULL";
    if (m.family == Family::user) {
        // One row per user: the newest live document, whichever document changed.
        if (scope == Scope::ids)
            sql += "\n       AND EXISTS (SELECT FROM oura.oura_documents x\n"
                   "                    WHERE " + resource_filter(m, "x") + "\n" +
                   "                      AND x.document_id = ANY ($2::text[]))";
        sql += "\n     ORDER BY d.updated_at DESC, d.document_id DESC\n     LIMIT 1";
    } else if (scope == Scope::ids) {
        sql += "\n       AND d.document_id = ANY ($2::text[])";
    }
    return finish_upsert(m, sql + "\n)");
}

std::string document_remove(const Mapping& m, Scope scope) {
    const std::string r(m.resource), id(m.id_column), table = "oura." + std::string(m.table);
    if (scope == Scope::ids)
        return "-- " + r + ", by ids: removes the rows of the given documents, live or not.\n"
               "DELETE FROM " + table + " t\n" +
               " WHERE t.user_id = $1::bigint AND t." + id + " = ANY ($2::text[])\n";
    return "-- " + r + ", all documents: removes the rows whose document is no longer live.\n"
           "DELETE FROM " + table + " t\n" +
           " WHERE t.user_id = $1::bigint\n"
           "   AND NOT EXISTS (SELECT FROM oura.oura_documents d\n"
           "                    WHERE d.user_id = t.user_id AND d.resource = " + quoted(r) + "\n" +
           "                      AND d.document_id = t." + id + " AND d.deleted_at IS NULL)\n";
}

std::string upsert_sql(const Mapping& m, Scope scope) {
    return m.family == Family::daily ? daily_upsert(m, scope) : document_upsert(m, scope);
}

std::string remove_sql(const Mapping& m, Scope scope) {
    return m.family == Family::daily ? daily_remove(m, scope) : document_remove(m, scope);
}

struct Built {
    std::deque<std::string> text;  // a deque never moves its elements: the views below stay valid
    std::vector<Projection> list;
};

Built build() {
    Built b;
    const auto keep = [&](std::string s) -> std::string_view { return b.text.emplace_back(std::move(s)); };
    for (const auto& m : all_mappings) {
        const std::string base = "project_" + lower(m.resource);
        Projection p{};
        p.resource = m.resource;
        p.upsert_sql = keep(upsert_sql(m, Scope::ids));
        p.remove_sql = keep(remove_sql(m, Scope::ids));
        p.upsert_name = keep(base + "_upsert");
        p.remove_name = keep(base + "_remove");
        p.upsert_all_sql = keep(upsert_sql(m, Scope::all));
        p.remove_all_sql = keep(remove_sql(m, Scope::all));
        p.upsert_all_name = keep(base + "_upsert_all");
        p.remove_all_name = keep(base + "_remove_all");
        p.mapping = &m;
        b.list.push_back(p);
    }
    return b;
}

const Built& built() {
    static const Built b = build();
    return b;
}

}  // namespace

std::span<const Projection> projections() { return built().list; }

const Projection* find_projection(std::string_view resource) {
    const auto& list = built().list;
    const auto it = std::find_if(list.begin(), list.end(), [resource](const Projection& p) { return p.resource == resource; });
    return it == list.end() ? nullptr : &*it;
}

std::span<const Mapping> mappings() { return all_mappings; }

}  // namespace oura::store
