// Curated projections: set-based SQL that turns raw oura.oura_documents rows into the curated
// tables. Every statement takes $1 bigint user_id and $2 text[] document ids (NULL = all of the
// user's documents of that resource) and is idempotent. Each constant's name is its prepared
// statement name.
//
// Mapping conventions (see docs/data-model.md):
// - payload fields are read with ->> and cast; a JSON null becomes SQL NULL.
// - instants go through oura.parse_localized / oura.parse_utc (migration 0003), offsets through
//   oura.utc_offset_minutes: nothing depends on the session time zone, no local day is derived.
// - updates carry an IS DISTINCT FROM guard, so re-projecting unchanged documents writes nothing.

#include "oura/store/projections.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace oura::store {
namespace {

constexpr auto project_daily_activity_upsert = R"sql(
-- Newest live daily_activity document of each touched day -> its columns of oura.daily_summaries.
WITH changed AS (
    SELECT (d.payload->>'day')::date AS day
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_activity' AND d.document_id = ANY ($2::text[])
),
candidates AS MATERIALIZED (
    -- every live document of the touched days, so the winner does not depend on event order
    -- (MATERIALIZED keeps the day extraction below the cheap filters)
    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_activity' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR d.document_id = ANY ($2::text[])
            OR d.day IN (SELECT c.day FROM changed c))
),
src AS MATERIALIZED (
    -- "|| '{}'" decompresses each winning payload once here; read straight from the table, every
    -- ->> below would decompress it again.
    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p
      FROM candidates c
     WHERE c.day IS NOT NULL
     ORDER BY c.day, c.updated_at DESC, c.document_id DESC
)
INSERT INTO oura.daily_summaries AS t
       (user_id, day, daily_activity_id, activity_score, activity_timestamp,
        activity_utc_offset_minutes, activity_meet_daily_targets_score,
        activity_move_every_hour_score, activity_recovery_time_score, activity_stay_active_score,
        activity_training_frequency_score, activity_training_volume_score,
        activity_active_calories_kcal, activity_total_calories_kcal, activity_target_calories_kcal,
        activity_steps, activity_equivalent_walking_distance_meters, activity_target_meters,
        activity_meters_to_target, activity_inactivity_alerts, activity_average_met_minutes,
        activity_high_activity_met_minutes, activity_medium_activity_met_minutes,
        activity_low_activity_met_minutes, activity_sedentary_met_minutes,
        activity_high_activity_time_seconds, activity_medium_activity_time_seconds,
        activity_low_activity_time_seconds, activity_sedentary_time_seconds,
        activity_resting_time_seconds, activity_non_wear_time_seconds, activity_met_1min,
        activity_met_start_at, activity_met_interval_seconds, activity_class_5min)
SELECT $1::bigint, day,
       src.document_id                                      AS daily_activity_id,
       (p->>'score')::smallint                              AS activity_score,
       oura.parse_localized(p->>'timestamp')                AS activity_timestamp,
       oura.utc_offset_minutes(p->>'timestamp')             AS activity_utc_offset_minutes,
       (p->'contributors'->>'meet_daily_targets')::smallint AS activity_meet_daily_targets_score,
       (p->'contributors'->>'move_every_hour')::smallint    AS activity_move_every_hour_score,
       (p->'contributors'->>'recovery_time')::smallint      AS activity_recovery_time_score,
       (p->'contributors'->>'stay_active')::smallint        AS activity_stay_active_score,
       (p->'contributors'->>'training_frequency')::smallint AS activity_training_frequency_score,
       (p->'contributors'->>'training_volume')::smallint    AS activity_training_volume_score,
       (p->>'active_calories')::integer                     AS activity_active_calories_kcal,
       (p->>'total_calories')::integer                      AS activity_total_calories_kcal,
       (p->>'target_calories')::integer                     AS activity_target_calories_kcal,
       (p->>'steps')::integer                               AS activity_steps,
       (p->>'equivalent_walking_distance')::integer AS activity_equivalent_walking_distance_meters,
       (p->>'target_meters')::integer                       AS activity_target_meters,
       (p->>'meters_to_target')::integer                    AS activity_meters_to_target,
       (p->>'inactivity_alerts')::integer                   AS activity_inactivity_alerts,
       (p->>'average_met_minutes')::real                    AS activity_average_met_minutes,
       (p->>'high_activity_met_minutes')::integer           AS activity_high_activity_met_minutes,
       (p->>'medium_activity_met_minutes')::integer         AS activity_medium_activity_met_minutes,
       (p->>'low_activity_met_minutes')::integer            AS activity_low_activity_met_minutes,
       (p->>'sedentary_met_minutes')::integer               AS activity_sedentary_met_minutes,
       (p->>'high_activity_time')::integer                  AS activity_high_activity_time_seconds,
       (p->>'medium_activity_time')::integer                AS activity_medium_activity_time_seconds,
       (p->>'low_activity_time')::integer                   AS activity_low_activity_time_seconds,
       (p->>'sedentary_time')::integer                      AS activity_sedentary_time_seconds,
       (p->>'resting_time')::integer                        AS activity_resting_time_seconds,
       (p->>'non_wear_time')::integer                       AS activity_non_wear_time_seconds,
       oura.sample_items(p->'met')                          AS activity_met_1min,
       oura.parse_localized(p->'met'->>'timestamp')         AS activity_met_start_at,
       (p->'met'->>'interval')::real                        AS activity_met_interval_seconds,
       p->>'class_5_min'                                    AS activity_class_5min
  FROM src
ON CONFLICT (user_id, day) DO UPDATE
   SET daily_activity_id                           = EXCLUDED.daily_activity_id,
       activity_score                              = EXCLUDED.activity_score,
       activity_timestamp                          = EXCLUDED.activity_timestamp,
       activity_utc_offset_minutes                 = EXCLUDED.activity_utc_offset_minutes,
       activity_meet_daily_targets_score           = EXCLUDED.activity_meet_daily_targets_score,
       activity_move_every_hour_score              = EXCLUDED.activity_move_every_hour_score,
       activity_recovery_time_score                = EXCLUDED.activity_recovery_time_score,
       activity_stay_active_score                  = EXCLUDED.activity_stay_active_score,
       activity_training_frequency_score           = EXCLUDED.activity_training_frequency_score,
       activity_training_volume_score              = EXCLUDED.activity_training_volume_score,
       activity_active_calories_kcal               = EXCLUDED.activity_active_calories_kcal,
       activity_total_calories_kcal                = EXCLUDED.activity_total_calories_kcal,
       activity_target_calories_kcal               = EXCLUDED.activity_target_calories_kcal,
       activity_steps                              = EXCLUDED.activity_steps,
       activity_equivalent_walking_distance_meters = EXCLUDED.activity_equivalent_walking_distance_meters,
       activity_target_meters                      = EXCLUDED.activity_target_meters,
       activity_meters_to_target                   = EXCLUDED.activity_meters_to_target,
       activity_inactivity_alerts                  = EXCLUDED.activity_inactivity_alerts,
       activity_average_met_minutes                = EXCLUDED.activity_average_met_minutes,
       activity_high_activity_met_minutes          = EXCLUDED.activity_high_activity_met_minutes,
       activity_medium_activity_met_minutes        = EXCLUDED.activity_medium_activity_met_minutes,
       activity_low_activity_met_minutes           = EXCLUDED.activity_low_activity_met_minutes,
       activity_sedentary_met_minutes              = EXCLUDED.activity_sedentary_met_minutes,
       activity_high_activity_time_seconds         = EXCLUDED.activity_high_activity_time_seconds,
       activity_medium_activity_time_seconds       = EXCLUDED.activity_medium_activity_time_seconds,
       activity_low_activity_time_seconds          = EXCLUDED.activity_low_activity_time_seconds,
       activity_sedentary_time_seconds             = EXCLUDED.activity_sedentary_time_seconds,
       activity_resting_time_seconds               = EXCLUDED.activity_resting_time_seconds,
       activity_non_wear_time_seconds              = EXCLUDED.activity_non_wear_time_seconds,
       activity_met_1min                           = EXCLUDED.activity_met_1min,
       activity_met_start_at                       = EXCLUDED.activity_met_start_at,
       activity_met_interval_seconds               = EXCLUDED.activity_met_interval_seconds,
       activity_class_5min                         = EXCLUDED.activity_class_5min,
       updated_at = now()
 WHERE (t.daily_activity_id, t.activity_score, t.activity_timestamp, t.activity_utc_offset_minutes,
        t.activity_meet_daily_targets_score, t.activity_move_every_hour_score,
        t.activity_recovery_time_score, t.activity_stay_active_score,
        t.activity_training_frequency_score, t.activity_training_volume_score,
        t.activity_active_calories_kcal, t.activity_total_calories_kcal,
        t.activity_target_calories_kcal, t.activity_steps,
        t.activity_equivalent_walking_distance_meters, t.activity_target_meters,
        t.activity_meters_to_target, t.activity_inactivity_alerts, t.activity_average_met_minutes,
        t.activity_high_activity_met_minutes, t.activity_medium_activity_met_minutes,
        t.activity_low_activity_met_minutes, t.activity_sedentary_met_minutes,
        t.activity_high_activity_time_seconds, t.activity_medium_activity_time_seconds,
        t.activity_low_activity_time_seconds, t.activity_sedentary_time_seconds,
        t.activity_resting_time_seconds, t.activity_non_wear_time_seconds, t.activity_met_1min,
        t.activity_met_start_at, t.activity_met_interval_seconds, t.activity_class_5min)
       IS DISTINCT FROM
       (EXCLUDED.daily_activity_id, EXCLUDED.activity_score, EXCLUDED.activity_timestamp,
        EXCLUDED.activity_utc_offset_minutes, EXCLUDED.activity_meet_daily_targets_score,
        EXCLUDED.activity_move_every_hour_score, EXCLUDED.activity_recovery_time_score,
        EXCLUDED.activity_stay_active_score, EXCLUDED.activity_training_frequency_score,
        EXCLUDED.activity_training_volume_score, EXCLUDED.activity_active_calories_kcal,
        EXCLUDED.activity_total_calories_kcal, EXCLUDED.activity_target_calories_kcal,
        EXCLUDED.activity_steps, EXCLUDED.activity_equivalent_walking_distance_meters,
        EXCLUDED.activity_target_meters, EXCLUDED.activity_meters_to_target,
        EXCLUDED.activity_inactivity_alerts, EXCLUDED.activity_average_met_minutes,
        EXCLUDED.activity_high_activity_met_minutes, EXCLUDED.activity_medium_activity_met_minutes,
        EXCLUDED.activity_low_activity_met_minutes, EXCLUDED.activity_sedentary_met_minutes,
        EXCLUDED.activity_high_activity_time_seconds,
        EXCLUDED.activity_medium_activity_time_seconds, EXCLUDED.activity_low_activity_time_seconds,
        EXCLUDED.activity_sedentary_time_seconds, EXCLUDED.activity_resting_time_seconds,
        EXCLUDED.activity_non_wear_time_seconds, EXCLUDED.activity_met_1min,
        EXCLUDED.activity_met_start_at, EXCLUDED.activity_met_interval_seconds,
        EXCLUDED.activity_class_5min)
)sql";

constexpr auto project_daily_activity_remove = R"sql(
-- Clears the daily_activity columns of oura.daily_summaries fed by the given documents
-- ($2 NULL: by any document no longer live or no longer of that day). Another live document of
-- the same day takes over if there is one; a day left with no source at all is deleted.
WITH hit AS (
    SELECT s.day
      FROM oura.daily_summaries s
     WHERE s.user_id = $1::bigint AND s.daily_activity_id IS NOT NULL
       AND CASE WHEN $2::text[] IS NULL
                THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                                  WHERE d.user_id = s.user_id AND d.resource = 'daily_activity'
                                    AND d.document_id = s.daily_activity_id AND d.deleted_at IS NULL
                                    AND (d.payload->>'day')::date = s.day)
                ELSE s.daily_activity_id = ANY ($2::text[])
           END
),
src AS MATERIALIZED (
    -- the live document of the day that takes over, if any (payload decompressed once, see upsert)
    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p
      FROM hit h
      JOIN oura.oura_documents d
        ON d.user_id = $1::bigint AND d.resource = 'daily_activity' AND d.day = h.day
     WHERE d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id <> ALL ($2::text[]))
       AND (d.payload->>'day')::date = h.day
     ORDER BY h.day, d.updated_at DESC, d.document_id DESC
),
emptied AS (
    DELETE FROM oura.daily_summaries s
     USING hit h
     WHERE s.user_id = $1::bigint AND s.day = h.day
       AND NOT EXISTS (SELECT FROM src WHERE src.day = h.day)
       AND num_nonnulls(s.daily_readiness_id, s.daily_sleep_id, s.daily_spo2_id, s.daily_stress_id,
                        s.daily_resilience_id, s.daily_cardiovascular_age_id, s.vo2_max_id,
                        s.sleep_time_id) = 0
    RETURNING s.day
)
UPDATE oura.daily_summaries s
   SET daily_activity_id                           = src.document_id,
       activity_score                              = (src.p->>'score')::smallint,
       activity_timestamp                          = oura.parse_localized(src.p->>'timestamp'),
       activity_utc_offset_minutes                 = oura.utc_offset_minutes(src.p->>'timestamp'),
       activity_meet_daily_targets_score = (src.p->'contributors'->>'meet_daily_targets')::smallint,
       activity_move_every_hour_score = (src.p->'contributors'->>'move_every_hour')::smallint,
       activity_recovery_time_score = (src.p->'contributors'->>'recovery_time')::smallint,
       activity_stay_active_score = (src.p->'contributors'->>'stay_active')::smallint,
       activity_training_frequency_score = (src.p->'contributors'->>'training_frequency')::smallint,
       activity_training_volume_score = (src.p->'contributors'->>'training_volume')::smallint,
       activity_active_calories_kcal               = (src.p->>'active_calories')::integer,
       activity_total_calories_kcal                = (src.p->>'total_calories')::integer,
       activity_target_calories_kcal               = (src.p->>'target_calories')::integer,
       activity_steps                              = (src.p->>'steps')::integer,
       activity_equivalent_walking_distance_meters =
           (src.p->>'equivalent_walking_distance')::integer,
       activity_target_meters                      = (src.p->>'target_meters')::integer,
       activity_meters_to_target                   = (src.p->>'meters_to_target')::integer,
       activity_inactivity_alerts                  = (src.p->>'inactivity_alerts')::integer,
       activity_average_met_minutes                = (src.p->>'average_met_minutes')::real,
       activity_high_activity_met_minutes          = (src.p->>'high_activity_met_minutes')::integer,
       activity_medium_activity_met_minutes = (src.p->>'medium_activity_met_minutes')::integer,
       activity_low_activity_met_minutes           = (src.p->>'low_activity_met_minutes')::integer,
       activity_sedentary_met_minutes              = (src.p->>'sedentary_met_minutes')::integer,
       activity_high_activity_time_seconds         = (src.p->>'high_activity_time')::integer,
       activity_medium_activity_time_seconds       = (src.p->>'medium_activity_time')::integer,
       activity_low_activity_time_seconds          = (src.p->>'low_activity_time')::integer,
       activity_sedentary_time_seconds             = (src.p->>'sedentary_time')::integer,
       activity_resting_time_seconds               = (src.p->>'resting_time')::integer,
       activity_non_wear_time_seconds              = (src.p->>'non_wear_time')::integer,
       activity_met_1min                           = oura.sample_items(src.p->'met'),
       activity_met_start_at = oura.parse_localized(src.p->'met'->>'timestamp'),
       activity_met_interval_seconds               = (src.p->'met'->>'interval')::real,
       activity_class_5min                         = src.p->>'class_5_min',
       updated_at = now()
  FROM hit h
  LEFT JOIN src ON src.day = h.day
 WHERE s.user_id = $1::bigint AND s.day = h.day
   AND h.day NOT IN (SELECT e.day FROM emptied e)
)sql";

constexpr auto project_daily_cardiovascular_age_upsert = R"sql(
-- Newest live daily_cardiovascular_age document of each touched day -> its columns of oura.daily_summaries.
WITH changed AS (
    SELECT (d.payload->>'day')::date AS day
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_cardiovascular_age' AND d.document_id = ANY ($2::text[])
),
candidates AS MATERIALIZED (
    -- every live document of the touched days, so the winner does not depend on event order
    -- (MATERIALIZED keeps the day extraction below the cheap filters)
    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_cardiovascular_age' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR d.document_id = ANY ($2::text[])
            OR d.day IN (SELECT c.day FROM changed c))
),
src AS MATERIALIZED (
    -- "|| '{}'" decompresses each winning payload once here; read straight from the table, every
    -- ->> below would decompress it again.
    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p
      FROM candidates c
     WHERE c.day IS NOT NULL
     ORDER BY c.day, c.updated_at DESC, c.document_id DESC
)
INSERT INTO oura.daily_summaries AS t
       (user_id, day, daily_cardiovascular_age_id, vascular_age_years, pulse_wave_velocity_m_per_s)
SELECT $1::bigint, day,
       src.document_id                   AS daily_cardiovascular_age_id,
       (p->>'vascular_age')::smallint    AS vascular_age_years,
       (p->>'pulse_wave_velocity')::real AS pulse_wave_velocity_m_per_s
  FROM src
ON CONFLICT (user_id, day) DO UPDATE
   SET daily_cardiovascular_age_id = EXCLUDED.daily_cardiovascular_age_id,
       vascular_age_years          = EXCLUDED.vascular_age_years,
       pulse_wave_velocity_m_per_s = EXCLUDED.pulse_wave_velocity_m_per_s,
       updated_at = now()
 WHERE (t.daily_cardiovascular_age_id, t.vascular_age_years, t.pulse_wave_velocity_m_per_s)
       IS DISTINCT FROM
       (EXCLUDED.daily_cardiovascular_age_id, EXCLUDED.vascular_age_years,
        EXCLUDED.pulse_wave_velocity_m_per_s)
)sql";

constexpr auto project_daily_cardiovascular_age_remove = R"sql(
-- Clears the daily_cardiovascular_age columns of oura.daily_summaries fed by the given documents
-- ($2 NULL: by any document no longer live or no longer of that day). Another live document of
-- the same day takes over if there is one; a day left with no source at all is deleted.
WITH hit AS (
    SELECT s.day
      FROM oura.daily_summaries s
     WHERE s.user_id = $1::bigint AND s.daily_cardiovascular_age_id IS NOT NULL
       AND CASE WHEN $2::text[] IS NULL
                THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                                  WHERE d.user_id = s.user_id AND d.resource = 'daily_cardiovascular_age'
                                    AND d.document_id = s.daily_cardiovascular_age_id AND d.deleted_at IS NULL
                                    AND (d.payload->>'day')::date = s.day)
                ELSE s.daily_cardiovascular_age_id = ANY ($2::text[])
           END
),
src AS MATERIALIZED (
    -- the live document of the day that takes over, if any (payload decompressed once, see upsert)
    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p
      FROM hit h
      JOIN oura.oura_documents d
        ON d.user_id = $1::bigint AND d.resource = 'daily_cardiovascular_age' AND d.day = h.day
     WHERE d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id <> ALL ($2::text[]))
       AND (d.payload->>'day')::date = h.day
     ORDER BY h.day, d.updated_at DESC, d.document_id DESC
),
emptied AS (
    DELETE FROM oura.daily_summaries s
     USING hit h
     WHERE s.user_id = $1::bigint AND s.day = h.day
       AND NOT EXISTS (SELECT FROM src WHERE src.day = h.day)
       AND num_nonnulls(s.daily_readiness_id, s.daily_sleep_id, s.daily_activity_id,
                        s.daily_spo2_id, s.daily_stress_id, s.daily_resilience_id, s.vo2_max_id,
                        s.sleep_time_id) = 0
    RETURNING s.day
)
UPDATE oura.daily_summaries s
   SET daily_cardiovascular_age_id = src.document_id,
       vascular_age_years          = (src.p->>'vascular_age')::smallint,
       pulse_wave_velocity_m_per_s = (src.p->>'pulse_wave_velocity')::real,
       updated_at = now()
  FROM hit h
  LEFT JOIN src ON src.day = h.day
 WHERE s.user_id = $1::bigint AND s.day = h.day
   AND h.day NOT IN (SELECT e.day FROM emptied e)
)sql";

constexpr auto project_daily_readiness_upsert = R"sql(
-- Newest live daily_readiness document of each touched day -> its columns of oura.daily_summaries.
WITH changed AS (
    SELECT (d.payload->>'day')::date AS day
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_readiness' AND d.document_id = ANY ($2::text[])
),
candidates AS MATERIALIZED (
    -- every live document of the touched days, so the winner does not depend on event order
    -- (MATERIALIZED keeps the day extraction below the cheap filters)
    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_readiness' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR d.document_id = ANY ($2::text[])
            OR d.day IN (SELECT c.day FROM changed c))
),
src AS MATERIALIZED (
    -- "|| '{}'" decompresses each winning payload once here; read straight from the table, every
    -- ->> below would decompress it again.
    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p
      FROM candidates c
     WHERE c.day IS NOT NULL
     ORDER BY c.day, c.updated_at DESC, c.document_id DESC
)
INSERT INTO oura.daily_summaries AS t
       (user_id, day, daily_readiness_id, readiness_score, readiness_temperature_deviation_celsius,
        readiness_temperature_trend_deviation_celsius, readiness_timestamp,
        readiness_utc_offset_minutes, readiness_activity_balance_score,
        readiness_body_temperature_score, readiness_hrv_balance_score,
        readiness_previous_day_activity_score, readiness_previous_night_score,
        readiness_recovery_index_score, readiness_resting_heart_rate_score,
        readiness_sleep_balance_score, readiness_sleep_regularity_score)
SELECT $1::bigint, day,
       src.document_id                                         AS daily_readiness_id,
       (p->>'score')::smallint                                 AS readiness_score,
       (p->>'temperature_deviation')::real AS readiness_temperature_deviation_celsius,
       (p->>'temperature_trend_deviation')::real AS readiness_temperature_trend_deviation_celsius,
       oura.parse_localized(p->>'timestamp')                   AS readiness_timestamp,
       oura.utc_offset_minutes(p->>'timestamp')                AS readiness_utc_offset_minutes,
       (p->'contributors'->>'activity_balance')::smallint      AS readiness_activity_balance_score,
       (p->'contributors'->>'body_temperature')::smallint      AS readiness_body_temperature_score,
       (p->'contributors'->>'hrv_balance')::smallint           AS readiness_hrv_balance_score,
       (p->'contributors'->>'previous_day_activity')::smallint
           AS readiness_previous_day_activity_score,
       (p->'contributors'->>'previous_night')::smallint        AS readiness_previous_night_score,
       (p->'contributors'->>'recovery_index')::smallint        AS readiness_recovery_index_score,
       (p->'contributors'->>'resting_heart_rate')::smallint    AS readiness_resting_heart_rate_score,
       (p->'contributors'->>'sleep_balance')::smallint         AS readiness_sleep_balance_score,
       (p->'contributors'->>'sleep_regularity')::smallint      AS readiness_sleep_regularity_score
  FROM src
ON CONFLICT (user_id, day) DO UPDATE
   SET daily_readiness_id                            = EXCLUDED.daily_readiness_id,
       readiness_score                               = EXCLUDED.readiness_score,
       readiness_temperature_deviation_celsius       = EXCLUDED.readiness_temperature_deviation_celsius,
       readiness_temperature_trend_deviation_celsius = EXCLUDED.readiness_temperature_trend_deviation_celsius,
       readiness_timestamp                           = EXCLUDED.readiness_timestamp,
       readiness_utc_offset_minutes                  = EXCLUDED.readiness_utc_offset_minutes,
       readiness_activity_balance_score              = EXCLUDED.readiness_activity_balance_score,
       readiness_body_temperature_score              = EXCLUDED.readiness_body_temperature_score,
       readiness_hrv_balance_score                   = EXCLUDED.readiness_hrv_balance_score,
       readiness_previous_day_activity_score         = EXCLUDED.readiness_previous_day_activity_score,
       readiness_previous_night_score                = EXCLUDED.readiness_previous_night_score,
       readiness_recovery_index_score                = EXCLUDED.readiness_recovery_index_score,
       readiness_resting_heart_rate_score            = EXCLUDED.readiness_resting_heart_rate_score,
       readiness_sleep_balance_score                 = EXCLUDED.readiness_sleep_balance_score,
       readiness_sleep_regularity_score              = EXCLUDED.readiness_sleep_regularity_score,
       updated_at = now()
 WHERE (t.daily_readiness_id, t.readiness_score, t.readiness_temperature_deviation_celsius,
        t.readiness_temperature_trend_deviation_celsius, t.readiness_timestamp,
        t.readiness_utc_offset_minutes, t.readiness_activity_balance_score,
        t.readiness_body_temperature_score, t.readiness_hrv_balance_score,
        t.readiness_previous_day_activity_score, t.readiness_previous_night_score,
        t.readiness_recovery_index_score, t.readiness_resting_heart_rate_score,
        t.readiness_sleep_balance_score, t.readiness_sleep_regularity_score)
       IS DISTINCT FROM
       (EXCLUDED.daily_readiness_id, EXCLUDED.readiness_score,
        EXCLUDED.readiness_temperature_deviation_celsius,
        EXCLUDED.readiness_temperature_trend_deviation_celsius, EXCLUDED.readiness_timestamp,
        EXCLUDED.readiness_utc_offset_minutes, EXCLUDED.readiness_activity_balance_score,
        EXCLUDED.readiness_body_temperature_score, EXCLUDED.readiness_hrv_balance_score,
        EXCLUDED.readiness_previous_day_activity_score, EXCLUDED.readiness_previous_night_score,
        EXCLUDED.readiness_recovery_index_score, EXCLUDED.readiness_resting_heart_rate_score,
        EXCLUDED.readiness_sleep_balance_score, EXCLUDED.readiness_sleep_regularity_score)
)sql";

constexpr auto project_daily_readiness_remove = R"sql(
-- Clears the daily_readiness columns of oura.daily_summaries fed by the given documents
-- ($2 NULL: by any document no longer live or no longer of that day). Another live document of
-- the same day takes over if there is one; a day left with no source at all is deleted.
WITH hit AS (
    SELECT s.day
      FROM oura.daily_summaries s
     WHERE s.user_id = $1::bigint AND s.daily_readiness_id IS NOT NULL
       AND CASE WHEN $2::text[] IS NULL
                THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                                  WHERE d.user_id = s.user_id AND d.resource = 'daily_readiness'
                                    AND d.document_id = s.daily_readiness_id AND d.deleted_at IS NULL
                                    AND (d.payload->>'day')::date = s.day)
                ELSE s.daily_readiness_id = ANY ($2::text[])
           END
),
src AS MATERIALIZED (
    -- the live document of the day that takes over, if any (payload decompressed once, see upsert)
    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p
      FROM hit h
      JOIN oura.oura_documents d
        ON d.user_id = $1::bigint AND d.resource = 'daily_readiness' AND d.day = h.day
     WHERE d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id <> ALL ($2::text[]))
       AND (d.payload->>'day')::date = h.day
     ORDER BY h.day, d.updated_at DESC, d.document_id DESC
),
emptied AS (
    DELETE FROM oura.daily_summaries s
     USING hit h
     WHERE s.user_id = $1::bigint AND s.day = h.day
       AND NOT EXISTS (SELECT FROM src WHERE src.day = h.day)
       AND num_nonnulls(s.daily_sleep_id, s.daily_activity_id, s.daily_spo2_id, s.daily_stress_id,
                        s.daily_resilience_id, s.daily_cardiovascular_age_id, s.vo2_max_id,
                        s.sleep_time_id) = 0
    RETURNING s.day
)
UPDATE oura.daily_summaries s
   SET daily_readiness_id                            = src.document_id,
       readiness_score                               = (src.p->>'score')::smallint,
       readiness_temperature_deviation_celsius       = (src.p->>'temperature_deviation')::real,
       readiness_temperature_trend_deviation_celsius = (src.p->>'temperature_trend_deviation')::real,
       readiness_timestamp                           = oura.parse_localized(src.p->>'timestamp'),
       readiness_utc_offset_minutes                  = oura.utc_offset_minutes(src.p->>'timestamp'),
       readiness_activity_balance_score = (src.p->'contributors'->>'activity_balance')::smallint,
       readiness_body_temperature_score = (src.p->'contributors'->>'body_temperature')::smallint,
       readiness_hrv_balance_score = (src.p->'contributors'->>'hrv_balance')::smallint,
       readiness_previous_day_activity_score =
           (src.p->'contributors'->>'previous_day_activity')::smallint,
       readiness_previous_night_score = (src.p->'contributors'->>'previous_night')::smallint,
       readiness_recovery_index_score = (src.p->'contributors'->>'recovery_index')::smallint,
       readiness_resting_heart_rate_score = (src.p->'contributors'->>'resting_heart_rate')::smallint,
       readiness_sleep_balance_score = (src.p->'contributors'->>'sleep_balance')::smallint,
       readiness_sleep_regularity_score = (src.p->'contributors'->>'sleep_regularity')::smallint,
       updated_at = now()
  FROM hit h
  LEFT JOIN src ON src.day = h.day
 WHERE s.user_id = $1::bigint AND s.day = h.day
   AND h.day NOT IN (SELECT e.day FROM emptied e)
)sql";

constexpr auto project_daily_resilience_upsert = R"sql(
-- Newest live daily_resilience document of each touched day -> its columns of oura.daily_summaries.
WITH changed AS (
    SELECT (d.payload->>'day')::date AS day
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_resilience' AND d.document_id = ANY ($2::text[])
),
candidates AS MATERIALIZED (
    -- every live document of the touched days, so the winner does not depend on event order
    -- (MATERIALIZED keeps the day extraction below the cheap filters)
    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_resilience' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR d.document_id = ANY ($2::text[])
            OR d.day IN (SELECT c.day FROM changed c))
),
src AS MATERIALIZED (
    -- "|| '{}'" decompresses each winning payload once here; read straight from the table, every
    -- ->> below would decompress it again.
    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p
      FROM candidates c
     WHERE c.day IS NOT NULL
     ORDER BY c.day, c.updated_at DESC, c.document_id DESC
)
INSERT INTO oura.daily_summaries AS t
       (user_id, day, daily_resilience_id, resilience_level, resilience_sleep_recovery_score,
        resilience_daytime_recovery_score, resilience_stress_score)
SELECT $1::bigint, day,
       src.document_id                                AS daily_resilience_id,
       p->>'level'                                    AS resilience_level,
       (p->'contributors'->>'sleep_recovery')::real   AS resilience_sleep_recovery_score,
       (p->'contributors'->>'daytime_recovery')::real AS resilience_daytime_recovery_score,
       (p->'contributors'->>'stress')::real           AS resilience_stress_score
  FROM src
ON CONFLICT (user_id, day) DO UPDATE
   SET daily_resilience_id               = EXCLUDED.daily_resilience_id,
       resilience_level                  = EXCLUDED.resilience_level,
       resilience_sleep_recovery_score   = EXCLUDED.resilience_sleep_recovery_score,
       resilience_daytime_recovery_score = EXCLUDED.resilience_daytime_recovery_score,
       resilience_stress_score           = EXCLUDED.resilience_stress_score,
       updated_at = now()
 WHERE (t.daily_resilience_id, t.resilience_level, t.resilience_sleep_recovery_score,
        t.resilience_daytime_recovery_score, t.resilience_stress_score)
       IS DISTINCT FROM
       (EXCLUDED.daily_resilience_id, EXCLUDED.resilience_level,
        EXCLUDED.resilience_sleep_recovery_score, EXCLUDED.resilience_daytime_recovery_score,
        EXCLUDED.resilience_stress_score)
)sql";

constexpr auto project_daily_resilience_remove = R"sql(
-- Clears the daily_resilience columns of oura.daily_summaries fed by the given documents
-- ($2 NULL: by any document no longer live or no longer of that day). Another live document of
-- the same day takes over if there is one; a day left with no source at all is deleted.
WITH hit AS (
    SELECT s.day
      FROM oura.daily_summaries s
     WHERE s.user_id = $1::bigint AND s.daily_resilience_id IS NOT NULL
       AND CASE WHEN $2::text[] IS NULL
                THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                                  WHERE d.user_id = s.user_id AND d.resource = 'daily_resilience'
                                    AND d.document_id = s.daily_resilience_id AND d.deleted_at IS NULL
                                    AND (d.payload->>'day')::date = s.day)
                ELSE s.daily_resilience_id = ANY ($2::text[])
           END
),
src AS MATERIALIZED (
    -- the live document of the day that takes over, if any (payload decompressed once, see upsert)
    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p
      FROM hit h
      JOIN oura.oura_documents d
        ON d.user_id = $1::bigint AND d.resource = 'daily_resilience' AND d.day = h.day
     WHERE d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id <> ALL ($2::text[]))
       AND (d.payload->>'day')::date = h.day
     ORDER BY h.day, d.updated_at DESC, d.document_id DESC
),
emptied AS (
    DELETE FROM oura.daily_summaries s
     USING hit h
     WHERE s.user_id = $1::bigint AND s.day = h.day
       AND NOT EXISTS (SELECT FROM src WHERE src.day = h.day)
       AND num_nonnulls(s.daily_readiness_id, s.daily_sleep_id, s.daily_activity_id,
                        s.daily_spo2_id, s.daily_stress_id, s.daily_cardiovascular_age_id,
                        s.vo2_max_id, s.sleep_time_id) = 0
    RETURNING s.day
)
UPDATE oura.daily_summaries s
   SET daily_resilience_id               = src.document_id,
       resilience_level                  = src.p->>'level',
       resilience_sleep_recovery_score   = (src.p->'contributors'->>'sleep_recovery')::real,
       resilience_daytime_recovery_score = (src.p->'contributors'->>'daytime_recovery')::real,
       resilience_stress_score           = (src.p->'contributors'->>'stress')::real,
       updated_at = now()
  FROM hit h
  LEFT JOIN src ON src.day = h.day
 WHERE s.user_id = $1::bigint AND s.day = h.day
   AND h.day NOT IN (SELECT e.day FROM emptied e)
)sql";

constexpr auto project_daily_sleep_upsert = R"sql(
-- Newest live daily_sleep document of each touched day -> its columns of oura.daily_summaries.
WITH changed AS (
    SELECT (d.payload->>'day')::date AS day
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_sleep' AND d.document_id = ANY ($2::text[])
),
candidates AS MATERIALIZED (
    -- every live document of the touched days, so the winner does not depend on event order
    -- (MATERIALIZED keeps the day extraction below the cheap filters)
    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_sleep' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR d.document_id = ANY ($2::text[])
            OR d.day IN (SELECT c.day FROM changed c))
),
src AS MATERIALIZED (
    -- "|| '{}'" decompresses each winning payload once here; read straight from the table, every
    -- ->> below would decompress it again.
    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p
      FROM candidates c
     WHERE c.day IS NOT NULL
     ORDER BY c.day, c.updated_at DESC, c.document_id DESC
)
INSERT INTO oura.daily_summaries AS t
       (user_id, day, daily_sleep_id, sleep_score, sleep_timestamp, sleep_utc_offset_minutes,
        sleep_deep_sleep_score, sleep_efficiency_score, sleep_latency_score, sleep_rem_sleep_score,
        sleep_restfulness_score, sleep_timing_score, sleep_total_sleep_score)
SELECT $1::bigint, day,
       src.document_id                               AS daily_sleep_id,
       (p->>'score')::smallint                       AS sleep_score,
       oura.parse_localized(p->>'timestamp')         AS sleep_timestamp,
       oura.utc_offset_minutes(p->>'timestamp')      AS sleep_utc_offset_minutes,
       (p->'contributors'->>'deep_sleep')::smallint  AS sleep_deep_sleep_score,
       (p->'contributors'->>'efficiency')::smallint  AS sleep_efficiency_score,
       (p->'contributors'->>'latency')::smallint     AS sleep_latency_score,
       (p->'contributors'->>'rem_sleep')::smallint   AS sleep_rem_sleep_score,
       (p->'contributors'->>'restfulness')::smallint AS sleep_restfulness_score,
       (p->'contributors'->>'timing')::smallint      AS sleep_timing_score,
       (p->'contributors'->>'total_sleep')::smallint AS sleep_total_sleep_score
  FROM src
ON CONFLICT (user_id, day) DO UPDATE
   SET daily_sleep_id           = EXCLUDED.daily_sleep_id,
       sleep_score              = EXCLUDED.sleep_score,
       sleep_timestamp          = EXCLUDED.sleep_timestamp,
       sleep_utc_offset_minutes = EXCLUDED.sleep_utc_offset_minutes,
       sleep_deep_sleep_score   = EXCLUDED.sleep_deep_sleep_score,
       sleep_efficiency_score   = EXCLUDED.sleep_efficiency_score,
       sleep_latency_score      = EXCLUDED.sleep_latency_score,
       sleep_rem_sleep_score    = EXCLUDED.sleep_rem_sleep_score,
       sleep_restfulness_score  = EXCLUDED.sleep_restfulness_score,
       sleep_timing_score       = EXCLUDED.sleep_timing_score,
       sleep_total_sleep_score  = EXCLUDED.sleep_total_sleep_score,
       updated_at = now()
 WHERE (t.daily_sleep_id, t.sleep_score, t.sleep_timestamp, t.sleep_utc_offset_minutes,
        t.sleep_deep_sleep_score, t.sleep_efficiency_score, t.sleep_latency_score,
        t.sleep_rem_sleep_score, t.sleep_restfulness_score, t.sleep_timing_score,
        t.sleep_total_sleep_score)
       IS DISTINCT FROM
       (EXCLUDED.daily_sleep_id, EXCLUDED.sleep_score, EXCLUDED.sleep_timestamp,
        EXCLUDED.sleep_utc_offset_minutes, EXCLUDED.sleep_deep_sleep_score,
        EXCLUDED.sleep_efficiency_score, EXCLUDED.sleep_latency_score,
        EXCLUDED.sleep_rem_sleep_score, EXCLUDED.sleep_restfulness_score,
        EXCLUDED.sleep_timing_score, EXCLUDED.sleep_total_sleep_score)
)sql";

constexpr auto project_daily_sleep_remove = R"sql(
-- Clears the daily_sleep columns of oura.daily_summaries fed by the given documents
-- ($2 NULL: by any document no longer live or no longer of that day). Another live document of
-- the same day takes over if there is one; a day left with no source at all is deleted.
WITH hit AS (
    SELECT s.day
      FROM oura.daily_summaries s
     WHERE s.user_id = $1::bigint AND s.daily_sleep_id IS NOT NULL
       AND CASE WHEN $2::text[] IS NULL
                THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                                  WHERE d.user_id = s.user_id AND d.resource = 'daily_sleep'
                                    AND d.document_id = s.daily_sleep_id AND d.deleted_at IS NULL
                                    AND (d.payload->>'day')::date = s.day)
                ELSE s.daily_sleep_id = ANY ($2::text[])
           END
),
src AS MATERIALIZED (
    -- the live document of the day that takes over, if any (payload decompressed once, see upsert)
    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p
      FROM hit h
      JOIN oura.oura_documents d
        ON d.user_id = $1::bigint AND d.resource = 'daily_sleep' AND d.day = h.day
     WHERE d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id <> ALL ($2::text[]))
       AND (d.payload->>'day')::date = h.day
     ORDER BY h.day, d.updated_at DESC, d.document_id DESC
),
emptied AS (
    DELETE FROM oura.daily_summaries s
     USING hit h
     WHERE s.user_id = $1::bigint AND s.day = h.day
       AND NOT EXISTS (SELECT FROM src WHERE src.day = h.day)
       AND num_nonnulls(s.daily_readiness_id, s.daily_activity_id, s.daily_spo2_id,
                        s.daily_stress_id, s.daily_resilience_id, s.daily_cardiovascular_age_id,
                        s.vo2_max_id, s.sleep_time_id) = 0
    RETURNING s.day
)
UPDATE oura.daily_summaries s
   SET daily_sleep_id           = src.document_id,
       sleep_score              = (src.p->>'score')::smallint,
       sleep_timestamp          = oura.parse_localized(src.p->>'timestamp'),
       sleep_utc_offset_minutes = oura.utc_offset_minutes(src.p->>'timestamp'),
       sleep_deep_sleep_score   = (src.p->'contributors'->>'deep_sleep')::smallint,
       sleep_efficiency_score   = (src.p->'contributors'->>'efficiency')::smallint,
       sleep_latency_score      = (src.p->'contributors'->>'latency')::smallint,
       sleep_rem_sleep_score    = (src.p->'contributors'->>'rem_sleep')::smallint,
       sleep_restfulness_score  = (src.p->'contributors'->>'restfulness')::smallint,
       sleep_timing_score       = (src.p->'contributors'->>'timing')::smallint,
       sleep_total_sleep_score  = (src.p->'contributors'->>'total_sleep')::smallint,
       updated_at = now()
  FROM hit h
  LEFT JOIN src ON src.day = h.day
 WHERE s.user_id = $1::bigint AND s.day = h.day
   AND h.day NOT IN (SELECT e.day FROM emptied e)
)sql";

constexpr auto project_daily_spo2_upsert = R"sql(
-- Newest live daily_spo2 document of each touched day -> its columns of oura.daily_summaries.
WITH changed AS (
    SELECT (d.payload->>'day')::date AS day
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_spo2' AND d.document_id = ANY ($2::text[])
),
candidates AS MATERIALIZED (
    -- every live document of the touched days, so the winner does not depend on event order
    -- (MATERIALIZED keeps the day extraction below the cheap filters)
    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_spo2' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR d.document_id = ANY ($2::text[])
            OR d.day IN (SELECT c.day FROM changed c))
),
src AS MATERIALIZED (
    -- "|| '{}'" decompresses each winning payload once here; read straight from the table, every
    -- ->> below would decompress it again.
    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p
      FROM candidates c
     WHERE c.day IS NOT NULL
     ORDER BY c.day, c.updated_at DESC, c.document_id DESC
)
INSERT INTO oura.daily_summaries AS t
       (user_id, day, daily_spo2_id, spo2_average_pct, spo2_breathing_disturbance_index)
SELECT $1::bigint, day,
       src.document_id                               AS daily_spo2_id,
       (p->'spo2_percentage'->>'average')::real      AS spo2_average_pct,
       (p->>'breathing_disturbance_index')::smallint AS spo2_breathing_disturbance_index
  FROM src
ON CONFLICT (user_id, day) DO UPDATE
   SET daily_spo2_id                    = EXCLUDED.daily_spo2_id,
       spo2_average_pct                 = EXCLUDED.spo2_average_pct,
       spo2_breathing_disturbance_index = EXCLUDED.spo2_breathing_disturbance_index,
       updated_at = now()
 WHERE (t.daily_spo2_id, t.spo2_average_pct, t.spo2_breathing_disturbance_index)
       IS DISTINCT FROM
       (EXCLUDED.daily_spo2_id, EXCLUDED.spo2_average_pct, EXCLUDED.spo2_breathing_disturbance_index)
)sql";

constexpr auto project_daily_spo2_remove = R"sql(
-- Clears the daily_spo2 columns of oura.daily_summaries fed by the given documents
-- ($2 NULL: by any document no longer live or no longer of that day). Another live document of
-- the same day takes over if there is one; a day left with no source at all is deleted.
WITH hit AS (
    SELECT s.day
      FROM oura.daily_summaries s
     WHERE s.user_id = $1::bigint AND s.daily_spo2_id IS NOT NULL
       AND CASE WHEN $2::text[] IS NULL
                THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                                  WHERE d.user_id = s.user_id AND d.resource = 'daily_spo2'
                                    AND d.document_id = s.daily_spo2_id AND d.deleted_at IS NULL
                                    AND (d.payload->>'day')::date = s.day)
                ELSE s.daily_spo2_id = ANY ($2::text[])
           END
),
src AS MATERIALIZED (
    -- the live document of the day that takes over, if any (payload decompressed once, see upsert)
    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p
      FROM hit h
      JOIN oura.oura_documents d
        ON d.user_id = $1::bigint AND d.resource = 'daily_spo2' AND d.day = h.day
     WHERE d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id <> ALL ($2::text[]))
       AND (d.payload->>'day')::date = h.day
     ORDER BY h.day, d.updated_at DESC, d.document_id DESC
),
emptied AS (
    DELETE FROM oura.daily_summaries s
     USING hit h
     WHERE s.user_id = $1::bigint AND s.day = h.day
       AND NOT EXISTS (SELECT FROM src WHERE src.day = h.day)
       AND num_nonnulls(s.daily_readiness_id, s.daily_sleep_id, s.daily_activity_id,
                        s.daily_stress_id, s.daily_resilience_id, s.daily_cardiovascular_age_id,
                        s.vo2_max_id, s.sleep_time_id) = 0
    RETURNING s.day
)
UPDATE oura.daily_summaries s
   SET daily_spo2_id                    = src.document_id,
       spo2_average_pct                 = (src.p->'spo2_percentage'->>'average')::real,
       spo2_breathing_disturbance_index = (src.p->>'breathing_disturbance_index')::smallint,
       updated_at = now()
  FROM hit h
  LEFT JOIN src ON src.day = h.day
 WHERE s.user_id = $1::bigint AND s.day = h.day
   AND h.day NOT IN (SELECT e.day FROM emptied e)
)sql";

constexpr auto project_daily_stress_upsert = R"sql(
-- Newest live daily_stress document of each touched day -> its columns of oura.daily_summaries.
WITH changed AS (
    SELECT (d.payload->>'day')::date AS day
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_stress' AND d.document_id = ANY ($2::text[])
),
candidates AS MATERIALIZED (
    -- every live document of the touched days, so the winner does not depend on event order
    -- (MATERIALIZED keeps the day extraction below the cheap filters)
    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'daily_stress' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR d.document_id = ANY ($2::text[])
            OR d.day IN (SELECT c.day FROM changed c))
),
src AS MATERIALIZED (
    -- "|| '{}'" decompresses each winning payload once here; read straight from the table, every
    -- ->> below would decompress it again.
    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p
      FROM candidates c
     WHERE c.day IS NOT NULL
     ORDER BY c.day, c.updated_at DESC, c.document_id DESC
)
INSERT INTO oura.daily_summaries AS t
       (user_id, day, daily_stress_id, stress_day_summary, stress_high_seconds,
        stress_recovery_high_seconds)
SELECT $1::bigint, day,
       src.document_id                AS daily_stress_id,
       p->>'day_summary'              AS stress_day_summary,
       (p->>'stress_high')::integer   AS stress_high_seconds,
       (p->>'recovery_high')::integer AS stress_recovery_high_seconds
  FROM src
ON CONFLICT (user_id, day) DO UPDATE
   SET daily_stress_id              = EXCLUDED.daily_stress_id,
       stress_day_summary           = EXCLUDED.stress_day_summary,
       stress_high_seconds          = EXCLUDED.stress_high_seconds,
       stress_recovery_high_seconds = EXCLUDED.stress_recovery_high_seconds,
       updated_at = now()
 WHERE (t.daily_stress_id, t.stress_day_summary, t.stress_high_seconds,
        t.stress_recovery_high_seconds)
       IS DISTINCT FROM
       (EXCLUDED.daily_stress_id, EXCLUDED.stress_day_summary, EXCLUDED.stress_high_seconds,
        EXCLUDED.stress_recovery_high_seconds)
)sql";

constexpr auto project_daily_stress_remove = R"sql(
-- Clears the daily_stress columns of oura.daily_summaries fed by the given documents
-- ($2 NULL: by any document no longer live or no longer of that day). Another live document of
-- the same day takes over if there is one; a day left with no source at all is deleted.
WITH hit AS (
    SELECT s.day
      FROM oura.daily_summaries s
     WHERE s.user_id = $1::bigint AND s.daily_stress_id IS NOT NULL
       AND CASE WHEN $2::text[] IS NULL
                THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                                  WHERE d.user_id = s.user_id AND d.resource = 'daily_stress'
                                    AND d.document_id = s.daily_stress_id AND d.deleted_at IS NULL
                                    AND (d.payload->>'day')::date = s.day)
                ELSE s.daily_stress_id = ANY ($2::text[])
           END
),
src AS MATERIALIZED (
    -- the live document of the day that takes over, if any (payload decompressed once, see upsert)
    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p
      FROM hit h
      JOIN oura.oura_documents d
        ON d.user_id = $1::bigint AND d.resource = 'daily_stress' AND d.day = h.day
     WHERE d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id <> ALL ($2::text[]))
       AND (d.payload->>'day')::date = h.day
     ORDER BY h.day, d.updated_at DESC, d.document_id DESC
),
emptied AS (
    DELETE FROM oura.daily_summaries s
     USING hit h
     WHERE s.user_id = $1::bigint AND s.day = h.day
       AND NOT EXISTS (SELECT FROM src WHERE src.day = h.day)
       AND num_nonnulls(s.daily_readiness_id, s.daily_sleep_id, s.daily_activity_id,
                        s.daily_spo2_id, s.daily_resilience_id, s.daily_cardiovascular_age_id,
                        s.vo2_max_id, s.sleep_time_id) = 0
    RETURNING s.day
)
UPDATE oura.daily_summaries s
   SET daily_stress_id              = src.document_id,
       stress_day_summary           = src.p->>'day_summary',
       stress_high_seconds          = (src.p->>'stress_high')::integer,
       stress_recovery_high_seconds = (src.p->>'recovery_high')::integer,
       updated_at = now()
  FROM hit h
  LEFT JOIN src ON src.day = h.day
 WHERE s.user_id = $1::bigint AND s.day = h.day
   AND h.day NOT IN (SELECT e.day FROM emptied e)
)sql";

constexpr auto project_enhanced_tag_upsert = R"sql(
-- Live enhanced_tag documents -> oura.enhanced_tags.
WITH src AS MATERIALIZED (
    -- "|| '{}'" decompresses each payload once here; read straight from the table, every ->> below
    -- would decompress it again.
    SELECT d.document_id, d.payload || '{}'::jsonb AS p
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'enhanced_tag' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id = ANY ($2::text[]))
)
INSERT INTO oura.enhanced_tags AS t
       (user_id, document_id, start_day, end_day, tag_type_code, custom_name, comment, start_at,
        start_local, start_utc_offset_minutes, end_at, end_local, end_utc_offset_minutes)
SELECT $1::bigint, src.document_id,
       (p->>'start_day')::date                   AS start_day,
       (p->>'end_day')::date                     AS end_day,
       p->>'tag_type_code'                       AS tag_type_code,
       p->>'custom_name'                         AS custom_name,
       p->>'comment'                             AS comment,
       oura.parse_localized(p->>'start_time')    AS start_at,
       oura.local_wall_time(p->>'start_time')    AS start_local,
       oura.utc_offset_minutes(p->>'start_time') AS start_utc_offset_minutes,
       oura.parse_localized(p->>'end_time')      AS end_at,
       oura.local_wall_time(p->>'end_time')      AS end_local,
       oura.utc_offset_minutes(p->>'end_time')   AS end_utc_offset_minutes
  FROM src
ON CONFLICT (user_id, document_id) DO UPDATE
   SET start_day                = EXCLUDED.start_day,
       end_day                  = EXCLUDED.end_day,
       tag_type_code            = EXCLUDED.tag_type_code,
       custom_name              = EXCLUDED.custom_name,
       comment                  = EXCLUDED.comment,
       start_at                 = EXCLUDED.start_at,
       start_local              = EXCLUDED.start_local,
       start_utc_offset_minutes = EXCLUDED.start_utc_offset_minutes,
       end_at                   = EXCLUDED.end_at,
       end_local                = EXCLUDED.end_local,
       end_utc_offset_minutes   = EXCLUDED.end_utc_offset_minutes,
       updated_at = now()
 WHERE (t.start_day, t.end_day, t.tag_type_code, t.custom_name, t.comment, t.start_at,
        t.start_local, t.start_utc_offset_minutes, t.end_at, t.end_local, t.end_utc_offset_minutes)
       IS DISTINCT FROM
       (EXCLUDED.start_day, EXCLUDED.end_day, EXCLUDED.tag_type_code, EXCLUDED.custom_name,
        EXCLUDED.comment, EXCLUDED.start_at, EXCLUDED.start_local,
        EXCLUDED.start_utc_offset_minutes, EXCLUDED.end_at, EXCLUDED.end_local,
        EXCLUDED.end_utc_offset_minutes)
)sql";

constexpr auto project_enhanced_tag_remove = R"sql(
-- Removes the oura.enhanced_tags rows of the given enhanced_tag documents
-- ($2 NULL: the rows whose document is no longer live).
DELETE FROM oura.enhanced_tags t
 WHERE t.user_id = $1::bigint
   AND CASE WHEN $2::text[] IS NULL
            THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                              WHERE d.user_id = t.user_id AND d.resource = 'enhanced_tag'
                                AND d.document_id = t.document_id AND d.deleted_at IS NULL)
            ELSE t.document_id = ANY ($2::text[])
       END
)sql";

constexpr auto project_personal_info_upsert = R"sql(
-- The user's newest live personal_info document (its id is the Oura user id) -> oura.personal_info.
WITH src AS MATERIALIZED (
    SELECT d.document_id, d.payload || '{}'::jsonb AS p
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'personal_info' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR EXISTS (SELECT FROM oura.oura_documents x
                        WHERE x.user_id = $1::bigint AND x.resource = 'personal_info'
                          AND x.document_id = ANY ($2::text[])))
     ORDER BY d.updated_at DESC, d.document_id DESC
     LIMIT 1
)
INSERT INTO oura.personal_info AS t
       (user_id, oura_user_id, age, weight_kg, height_meters, biological_sex, email)
SELECT $1::bigint,
       src.document_id       AS oura_user_id,
       (p->>'age')::smallint AS age,
       (p->>'weight')::real  AS weight_kg,
       (p->>'height')::real  AS height_meters,
       p->>'biological_sex'  AS biological_sex,
       p->>'email'           AS email
  FROM src
ON CONFLICT (user_id) DO UPDATE
   SET oura_user_id   = EXCLUDED.oura_user_id,
       age            = EXCLUDED.age,
       weight_kg      = EXCLUDED.weight_kg,
       height_meters  = EXCLUDED.height_meters,
       biological_sex = EXCLUDED.biological_sex,
       email          = EXCLUDED.email,
       updated_at = now()
 WHERE (t.oura_user_id, t.age, t.weight_kg, t.height_meters, t.biological_sex, t.email)
       IS DISTINCT FROM
       (EXCLUDED.oura_user_id, EXCLUDED.age, EXCLUDED.weight_kg, EXCLUDED.height_meters,
        EXCLUDED.biological_sex, EXCLUDED.email)
)sql";

constexpr auto project_personal_info_remove = R"sql(
-- Removes the oura.personal_info rows of the given personal_info documents
-- ($2 NULL: the rows whose document is no longer live).
DELETE FROM oura.personal_info t
 WHERE t.user_id = $1::bigint
   AND CASE WHEN $2::text[] IS NULL
            THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                              WHERE d.user_id = t.user_id AND d.resource = 'personal_info'
                                AND d.document_id = t.oura_user_id AND d.deleted_at IS NULL)
            ELSE t.oura_user_id = ANY ($2::text[])
       END
)sql";

constexpr auto project_rest_mode_period_upsert = R"sql(
-- Live rest_mode_period documents -> oura.rest_mode_periods.
WITH src AS MATERIALIZED (
    -- "|| '{}'" decompresses each payload once here; read straight from the table, every ->> below
    -- would decompress it again.
    SELECT d.document_id, d.payload || '{}'::jsonb AS p
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'rest_mode_period' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id = ANY ($2::text[]))
)
INSERT INTO oura.rest_mode_periods AS t
       (user_id, document_id, start_day, end_day, start_at, start_utc_offset_minutes, end_at,
        end_utc_offset_minutes, episodes)
SELECT $1::bigint, src.document_id,
       (p->>'start_day')::date                   AS start_day,
       (p->>'end_day')::date                     AS end_day,
       oura.parse_localized(p->>'start_time')    AS start_at,
       oura.utc_offset_minutes(p->>'start_time') AS start_utc_offset_minutes,
       oura.parse_localized(p->>'end_time')      AS end_at,
       oura.utc_offset_minutes(p->>'end_time')   AS end_utc_offset_minutes,
       coalesce(p->'episodes', '[]'::jsonb)      AS episodes
  FROM src
ON CONFLICT (user_id, document_id) DO UPDATE
   SET start_day                = EXCLUDED.start_day,
       end_day                  = EXCLUDED.end_day,
       start_at                 = EXCLUDED.start_at,
       start_utc_offset_minutes = EXCLUDED.start_utc_offset_minutes,
       end_at                   = EXCLUDED.end_at,
       end_utc_offset_minutes   = EXCLUDED.end_utc_offset_minutes,
       episodes                 = EXCLUDED.episodes,
       updated_at = now()
 WHERE (t.start_day, t.end_day, t.start_at, t.start_utc_offset_minutes, t.end_at,
        t.end_utc_offset_minutes, t.episodes)
       IS DISTINCT FROM
       (EXCLUDED.start_day, EXCLUDED.end_day, EXCLUDED.start_at, EXCLUDED.start_utc_offset_minutes,
        EXCLUDED.end_at, EXCLUDED.end_utc_offset_minutes, EXCLUDED.episodes)
)sql";

constexpr auto project_rest_mode_period_remove = R"sql(
-- Removes the oura.rest_mode_periods rows of the given rest_mode_period documents
-- ($2 NULL: the rows whose document is no longer live).
DELETE FROM oura.rest_mode_periods t
 WHERE t.user_id = $1::bigint
   AND CASE WHEN $2::text[] IS NULL
            THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                              WHERE d.user_id = t.user_id AND d.resource = 'rest_mode_period'
                                AND d.document_id = t.document_id AND d.deleted_at IS NULL)
            ELSE t.document_id = ANY ($2::text[])
       END
)sql";

constexpr auto project_ring_configuration_upsert = R"sql(
-- Live ring_configuration documents -> oura.ring_configurations.
WITH src AS MATERIALIZED (
    -- "|| '{}'" decompresses each payload once here; read straight from the table, every ->> below
    -- would decompress it again.
    SELECT d.document_id, d.payload || '{}'::jsonb AS p
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'ring_configuration' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id = ANY ($2::text[]))
)
INSERT INTO oura.ring_configurations AS t
       (user_id, document_id, color, design, firmware_version, hardware_type, set_up_at, size_us)
SELECT $1::bigint, src.document_id,
       p->>'color'                     AS color,
       p->>'design'                    AS design,
       p->>'firmware_version'          AS firmware_version,
       p->>'hardware_type'             AS hardware_type,
       oura.parse_utc(p->>'set_up_at') AS set_up_at,
       (p->>'size')::smallint          AS size_us
  FROM src
ON CONFLICT (user_id, document_id) DO UPDATE
   SET color            = EXCLUDED.color,
       design           = EXCLUDED.design,
       firmware_version = EXCLUDED.firmware_version,
       hardware_type    = EXCLUDED.hardware_type,
       set_up_at        = EXCLUDED.set_up_at,
       size_us          = EXCLUDED.size_us,
       updated_at = now()
 WHERE (t.color, t.design, t.firmware_version, t.hardware_type, t.set_up_at, t.size_us)
       IS DISTINCT FROM
       (EXCLUDED.color, EXCLUDED.design, EXCLUDED.firmware_version, EXCLUDED.hardware_type,
        EXCLUDED.set_up_at, EXCLUDED.size_us)
)sql";

constexpr auto project_ring_configuration_remove = R"sql(
-- Removes the oura.ring_configurations rows of the given ring_configuration documents
-- ($2 NULL: the rows whose document is no longer live).
DELETE FROM oura.ring_configurations t
 WHERE t.user_id = $1::bigint
   AND CASE WHEN $2::text[] IS NULL
            THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                              WHERE d.user_id = t.user_id AND d.resource = 'ring_configuration'
                                AND d.document_id = t.document_id AND d.deleted_at IS NULL)
            ELSE t.document_id = ANY ($2::text[])
       END
)sql";

constexpr auto project_session_upsert = R"sql(
-- Live session documents -> oura.sessions.
WITH src AS MATERIALIZED (
    -- "|| '{}'" decompresses each payload once here; read straight from the table, every ->> below
    -- would decompress it again.
    SELECT d.document_id, d.payload || '{}'::jsonb AS p
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'session' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id = ANY ($2::text[]))
)
INSERT INTO oura.sessions AS t
       (user_id, document_id, day, type, mood, start_at, start_utc_offset_minutes, end_at,
        end_utc_offset_minutes, heart_rate_bpm, heart_rate_start_at, heart_rate_interval_seconds,
        hrv_ms, hrv_start_at, hrv_interval_seconds, motion_count, motion_count_start_at,
        motion_count_interval_seconds)
SELECT $1::bigint, src.document_id,
       (p->>'day')::date                                               AS day,
       p->>'type'                                                      AS type,
       p->>'mood'                                                      AS mood,
       oura.parse_localized(p->>'start_datetime')                      AS start_at,
       oura.utc_offset_minutes(p->>'start_datetime')                   AS start_utc_offset_minutes,
       oura.parse_localized(p->>'end_datetime')                        AS end_at,
       oura.utc_offset_minutes(p->>'end_datetime')                     AS end_utc_offset_minutes,
       oura.sample_items(p->'heart_rate')                              AS heart_rate_bpm,
       oura.parse_localized(p->'heart_rate'->>'timestamp')             AS heart_rate_start_at,
       (p->'heart_rate'->>'interval')::real AS heart_rate_interval_seconds,
       oura.sample_items(p->'heart_rate_variability')                  AS hrv_ms,
       oura.parse_localized(p->'heart_rate_variability'->>'timestamp') AS hrv_start_at,
       (p->'heart_rate_variability'->>'interval')::real                AS hrv_interval_seconds,
       oura.sample_items(p->'motion_count')                            AS motion_count,
       oura.parse_localized(p->'motion_count'->>'timestamp')           AS motion_count_start_at,
       (p->'motion_count'->>'interval')::real AS motion_count_interval_seconds
  FROM src
ON CONFLICT (user_id, document_id) DO UPDATE
   SET day                           = EXCLUDED.day,
       type                          = EXCLUDED.type,
       mood                          = EXCLUDED.mood,
       start_at                      = EXCLUDED.start_at,
       start_utc_offset_minutes      = EXCLUDED.start_utc_offset_minutes,
       end_at                        = EXCLUDED.end_at,
       end_utc_offset_minutes        = EXCLUDED.end_utc_offset_minutes,
       heart_rate_bpm                = EXCLUDED.heart_rate_bpm,
       heart_rate_start_at           = EXCLUDED.heart_rate_start_at,
       heart_rate_interval_seconds   = EXCLUDED.heart_rate_interval_seconds,
       hrv_ms                        = EXCLUDED.hrv_ms,
       hrv_start_at                  = EXCLUDED.hrv_start_at,
       hrv_interval_seconds          = EXCLUDED.hrv_interval_seconds,
       motion_count                  = EXCLUDED.motion_count,
       motion_count_start_at         = EXCLUDED.motion_count_start_at,
       motion_count_interval_seconds = EXCLUDED.motion_count_interval_seconds,
       updated_at = now()
 WHERE (t.day, t.type, t.mood, t.start_at, t.start_utc_offset_minutes, t.end_at,
        t.end_utc_offset_minutes, t.heart_rate_bpm, t.heart_rate_start_at,
        t.heart_rate_interval_seconds, t.hrv_ms, t.hrv_start_at, t.hrv_interval_seconds,
        t.motion_count, t.motion_count_start_at, t.motion_count_interval_seconds)
       IS DISTINCT FROM
       (EXCLUDED.day, EXCLUDED.type, EXCLUDED.mood, EXCLUDED.start_at,
        EXCLUDED.start_utc_offset_minutes, EXCLUDED.end_at, EXCLUDED.end_utc_offset_minutes,
        EXCLUDED.heart_rate_bpm, EXCLUDED.heart_rate_start_at, EXCLUDED.heart_rate_interval_seconds,
        EXCLUDED.hrv_ms, EXCLUDED.hrv_start_at, EXCLUDED.hrv_interval_seconds,
        EXCLUDED.motion_count, EXCLUDED.motion_count_start_at,
        EXCLUDED.motion_count_interval_seconds)
)sql";

constexpr auto project_session_remove = R"sql(
-- Removes the oura.sessions rows of the given session documents
-- ($2 NULL: the rows whose document is no longer live).
DELETE FROM oura.sessions t
 WHERE t.user_id = $1::bigint
   AND CASE WHEN $2::text[] IS NULL
            THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                              WHERE d.user_id = t.user_id AND d.resource = 'session'
                                AND d.document_id = t.document_id AND d.deleted_at IS NULL)
            ELSE t.document_id = ANY ($2::text[])
       END
)sql";

constexpr auto project_sleep_upsert = R"sql(
-- Live sleep documents -> oura.sleep_episodes, and each episode's oura.sleep_samples replaced by
-- the 5-minute grid of its heart_rate, hrv and hypnograms. Rows no longer on the grid are deleted,
-- the others upserted: the two touch disjoint rows, so one statement can do both, and the
-- samples' foreign key is checked at the end of the statement, after the episode insert.
WITH src AS MATERIALIZED (
    -- "|| '{}'" decompresses each payload once here; read straight from the table, every ->> below
    -- would decompress it again.
    SELECT d.document_id, d.payload || '{}'::jsonb AS p
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'sleep' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id = ANY ($2::text[]))
),
episodes AS (
    INSERT INTO oura.sleep_episodes AS t
           (user_id, document_id, day, type, period, bedtime_start,
            bedtime_start_utc_offset_minutes, bedtime_end, bedtime_end_utc_offset_minutes,
            time_in_bed_seconds, total_sleep_duration_seconds, awake_time_seconds,
            light_sleep_duration_seconds, deep_sleep_duration_seconds, rem_sleep_duration_seconds,
            latency_seconds, efficiency_pct, restless_periods, average_breath_per_min,
            average_heart_rate_bpm, lowest_heart_rate_bpm, average_hrv_ms, low_battery_alert,
            readiness_score, readiness_temperature_deviation_celsius,
            readiness_temperature_trend_deviation_celsius, readiness_activity_balance_score,
            readiness_body_temperature_score, readiness_hrv_balance_score,
            readiness_previous_day_activity_score, readiness_previous_night_score,
            readiness_recovery_index_score, readiness_resting_heart_rate_score,
            readiness_sleep_balance_score, readiness_sleep_regularity_score, readiness_score_delta,
            sleep_score_delta, sleep_algorithm_version, sleep_analysis_reason, ring_id,
            sleep_phase_5_min, app_sleep_phase_5_min, sleep_phase_30_sec, movement_30_sec,
            heart_rate_bpm, heart_rate_start_at, heart_rate_interval_seconds, hrv_ms, hrv_start_at,
            hrv_interval_seconds)
    SELECT $1::bigint, s.document_id,
           (s.p->>'day')::date                                                    AS day,
           s.p->>'type'                                                           AS type,
           (s.p->>'period')::integer                                              AS period,
           oura.parse_localized(s.p->>'bedtime_start')                            AS bedtime_start,
           oura.utc_offset_minutes(s.p->>'bedtime_start') AS bedtime_start_utc_offset_minutes,
           oura.parse_localized(s.p->>'bedtime_end')                              AS bedtime_end,
           oura.utc_offset_minutes(s.p->>'bedtime_end') AS bedtime_end_utc_offset_minutes,
           (s.p->>'time_in_bed')::integer AS time_in_bed_seconds,
           (s.p->>'total_sleep_duration')::integer AS total_sleep_duration_seconds,
           (s.p->>'awake_time')::integer AS awake_time_seconds,
           (s.p->>'light_sleep_duration')::integer AS light_sleep_duration_seconds,
           (s.p->>'deep_sleep_duration')::integer AS deep_sleep_duration_seconds,
           (s.p->>'rem_sleep_duration')::integer AS rem_sleep_duration_seconds,
           (s.p->>'latency')::integer                                             AS latency_seconds,
           (s.p->>'efficiency')::smallint                                         AS efficiency_pct,
           (s.p->>'restless_periods')::integer AS restless_periods,
           (s.p->>'average_breath')::real AS average_breath_per_min,
           (s.p->>'average_heart_rate')::real AS average_heart_rate_bpm,
           (s.p->>'lowest_heart_rate')::smallint AS lowest_heart_rate_bpm,
           (s.p->>'average_hrv')::real                                            AS average_hrv_ms,
           (s.p->>'low_battery_alert')::boolean AS low_battery_alert,
           (s.p->'readiness'->>'score')::smallint                                 AS readiness_score,
           (s.p->'readiness'->>'temperature_deviation')::real
               AS readiness_temperature_deviation_celsius,
           (s.p->'readiness'->>'temperature_trend_deviation')::real
               AS readiness_temperature_trend_deviation_celsius,
           (s.p->'readiness'->'contributors'->>'activity_balance')::smallint
               AS readiness_activity_balance_score,
           (s.p->'readiness'->'contributors'->>'body_temperature')::smallint
               AS readiness_body_temperature_score,
           (s.p->'readiness'->'contributors'->>'hrv_balance')::smallint
               AS readiness_hrv_balance_score,
           (s.p->'readiness'->'contributors'->>'previous_day_activity')::smallint
               AS readiness_previous_day_activity_score,
           (s.p->'readiness'->'contributors'->>'previous_night')::smallint
               AS readiness_previous_night_score,
           (s.p->'readiness'->'contributors'->>'recovery_index')::smallint
               AS readiness_recovery_index_score,
           (s.p->'readiness'->'contributors'->>'resting_heart_rate')::smallint
               AS readiness_resting_heart_rate_score,
           (s.p->'readiness'->'contributors'->>'sleep_balance')::smallint
               AS readiness_sleep_balance_score,
           (s.p->'readiness'->'contributors'->>'sleep_regularity')::smallint
               AS readiness_sleep_regularity_score,
           (s.p->>'readiness_score_delta')::smallint AS readiness_score_delta,
           (s.p->>'sleep_score_delta')::smallint AS sleep_score_delta,
           s.p->>'sleep_algorithm_version' AS sleep_algorithm_version,
           s.p->>'sleep_analysis_reason' AS sleep_analysis_reason,
           s.p->>'ring_id'                                                        AS ring_id,
           s.p->>'sleep_phase_5_min' AS sleep_phase_5_min,
           s.p->>'app_sleep_phase_5_min' AS app_sleep_phase_5_min,
           s.p->>'sleep_phase_30_sec' AS sleep_phase_30_sec,
           s.p->>'movement_30_sec'                                                AS movement_30_sec,
           oura.sample_items(s.p->'heart_rate')                                   AS heart_rate_bpm,
           oura.parse_localized(s.p->'heart_rate'->>'timestamp') AS heart_rate_start_at,
           (s.p->'heart_rate'->>'interval')::real AS heart_rate_interval_seconds,
           oura.sample_items(s.p->'hrv')                                          AS hrv_ms,
           oura.parse_localized(s.p->'hrv'->>'timestamp')                         AS hrv_start_at,
           (s.p->'hrv'->>'interval')::real AS hrv_interval_seconds
      FROM src s
    ON CONFLICT (user_id, document_id) DO UPDATE
       SET day                                           = EXCLUDED.day,
           type                                          = EXCLUDED.type,
           period                                        = EXCLUDED.period,
           bedtime_start                                 = EXCLUDED.bedtime_start,
           bedtime_start_utc_offset_minutes              = EXCLUDED.bedtime_start_utc_offset_minutes,
           bedtime_end                                   = EXCLUDED.bedtime_end,
           bedtime_end_utc_offset_minutes                = EXCLUDED.bedtime_end_utc_offset_minutes,
           time_in_bed_seconds                           = EXCLUDED.time_in_bed_seconds,
           total_sleep_duration_seconds                  = EXCLUDED.total_sleep_duration_seconds,
           awake_time_seconds                            = EXCLUDED.awake_time_seconds,
           light_sleep_duration_seconds                  = EXCLUDED.light_sleep_duration_seconds,
           deep_sleep_duration_seconds                   = EXCLUDED.deep_sleep_duration_seconds,
           rem_sleep_duration_seconds                    = EXCLUDED.rem_sleep_duration_seconds,
           latency_seconds                               = EXCLUDED.latency_seconds,
           efficiency_pct                                = EXCLUDED.efficiency_pct,
           restless_periods                              = EXCLUDED.restless_periods,
           average_breath_per_min                        = EXCLUDED.average_breath_per_min,
           average_heart_rate_bpm                        = EXCLUDED.average_heart_rate_bpm,
           lowest_heart_rate_bpm                         = EXCLUDED.lowest_heart_rate_bpm,
           average_hrv_ms                                = EXCLUDED.average_hrv_ms,
           low_battery_alert                             = EXCLUDED.low_battery_alert,
           readiness_score                               = EXCLUDED.readiness_score,
           readiness_temperature_deviation_celsius       = EXCLUDED.readiness_temperature_deviation_celsius,
           readiness_temperature_trend_deviation_celsius = EXCLUDED.readiness_temperature_trend_deviation_celsius,
           readiness_activity_balance_score              = EXCLUDED.readiness_activity_balance_score,
           readiness_body_temperature_score              = EXCLUDED.readiness_body_temperature_score,
           readiness_hrv_balance_score                   = EXCLUDED.readiness_hrv_balance_score,
           readiness_previous_day_activity_score         = EXCLUDED.readiness_previous_day_activity_score,
           readiness_previous_night_score                = EXCLUDED.readiness_previous_night_score,
           readiness_recovery_index_score                = EXCLUDED.readiness_recovery_index_score,
           readiness_resting_heart_rate_score            = EXCLUDED.readiness_resting_heart_rate_score,
           readiness_sleep_balance_score                 = EXCLUDED.readiness_sleep_balance_score,
           readiness_sleep_regularity_score              = EXCLUDED.readiness_sleep_regularity_score,
           readiness_score_delta                         = EXCLUDED.readiness_score_delta,
           sleep_score_delta                             = EXCLUDED.sleep_score_delta,
           sleep_algorithm_version                       = EXCLUDED.sleep_algorithm_version,
           sleep_analysis_reason                         = EXCLUDED.sleep_analysis_reason,
           ring_id                                       = EXCLUDED.ring_id,
           sleep_phase_5_min                             = EXCLUDED.sleep_phase_5_min,
           app_sleep_phase_5_min                         = EXCLUDED.app_sleep_phase_5_min,
           sleep_phase_30_sec                            = EXCLUDED.sleep_phase_30_sec,
           movement_30_sec                               = EXCLUDED.movement_30_sec,
           heart_rate_bpm                                = EXCLUDED.heart_rate_bpm,
           heart_rate_start_at                           = EXCLUDED.heart_rate_start_at,
           heart_rate_interval_seconds                   = EXCLUDED.heart_rate_interval_seconds,
           hrv_ms                                        = EXCLUDED.hrv_ms,
           hrv_start_at                                  = EXCLUDED.hrv_start_at,
           hrv_interval_seconds                          = EXCLUDED.hrv_interval_seconds,
           updated_at = now()
     WHERE (t.day, t.type, t.period, t.bedtime_start, t.bedtime_start_utc_offset_minutes,
            t.bedtime_end, t.bedtime_end_utc_offset_minutes, t.time_in_bed_seconds,
            t.total_sleep_duration_seconds, t.awake_time_seconds, t.light_sleep_duration_seconds,
            t.deep_sleep_duration_seconds, t.rem_sleep_duration_seconds, t.latency_seconds,
            t.efficiency_pct, t.restless_periods, t.average_breath_per_min,
            t.average_heart_rate_bpm, t.lowest_heart_rate_bpm, t.average_hrv_ms,
            t.low_battery_alert, t.readiness_score, t.readiness_temperature_deviation_celsius,
            t.readiness_temperature_trend_deviation_celsius, t.readiness_activity_balance_score,
            t.readiness_body_temperature_score, t.readiness_hrv_balance_score,
            t.readiness_previous_day_activity_score, t.readiness_previous_night_score,
            t.readiness_recovery_index_score, t.readiness_resting_heart_rate_score,
            t.readiness_sleep_balance_score, t.readiness_sleep_regularity_score,
            t.readiness_score_delta, t.sleep_score_delta, t.sleep_algorithm_version,
            t.sleep_analysis_reason, t.ring_id, t.sleep_phase_5_min, t.app_sleep_phase_5_min,
            t.sleep_phase_30_sec, t.movement_30_sec, t.heart_rate_bpm, t.heart_rate_start_at,
            t.heart_rate_interval_seconds, t.hrv_ms, t.hrv_start_at, t.hrv_interval_seconds)
           IS DISTINCT FROM
           (EXCLUDED.day, EXCLUDED.type, EXCLUDED.period, EXCLUDED.bedtime_start,
            EXCLUDED.bedtime_start_utc_offset_minutes, EXCLUDED.bedtime_end,
            EXCLUDED.bedtime_end_utc_offset_minutes, EXCLUDED.time_in_bed_seconds,
            EXCLUDED.total_sleep_duration_seconds, EXCLUDED.awake_time_seconds,
            EXCLUDED.light_sleep_duration_seconds, EXCLUDED.deep_sleep_duration_seconds,
            EXCLUDED.rem_sleep_duration_seconds, EXCLUDED.latency_seconds, EXCLUDED.efficiency_pct,
            EXCLUDED.restless_periods, EXCLUDED.average_breath_per_min,
            EXCLUDED.average_heart_rate_bpm, EXCLUDED.lowest_heart_rate_bpm,
            EXCLUDED.average_hrv_ms, EXCLUDED.low_battery_alert, EXCLUDED.readiness_score,
            EXCLUDED.readiness_temperature_deviation_celsius,
            EXCLUDED.readiness_temperature_trend_deviation_celsius,
            EXCLUDED.readiness_activity_balance_score, EXCLUDED.readiness_body_temperature_score,
            EXCLUDED.readiness_hrv_balance_score, EXCLUDED.readiness_previous_day_activity_score,
            EXCLUDED.readiness_previous_night_score, EXCLUDED.readiness_recovery_index_score,
            EXCLUDED.readiness_resting_heart_rate_score, EXCLUDED.readiness_sleep_balance_score,
            EXCLUDED.readiness_sleep_regularity_score, EXCLUDED.readiness_score_delta,
            EXCLUDED.sleep_score_delta, EXCLUDED.sleep_algorithm_version,
            EXCLUDED.sleep_analysis_reason, EXCLUDED.ring_id, EXCLUDED.sleep_phase_5_min,
            EXCLUDED.app_sleep_phase_5_min, EXCLUDED.sleep_phase_30_sec, EXCLUDED.movement_30_sec,
            EXCLUDED.heart_rate_bpm, EXCLUDED.heart_rate_start_at,
            EXCLUDED.heart_rate_interval_seconds, EXCLUDED.hrv_ms, EXCLUDED.hrv_start_at,
            EXCLUDED.hrv_interval_seconds)
    RETURNING t.document_id
),
series AS MATERIALIZED (
    -- per episode, once: what the 5-minute grid is built from
    SELECT s.document_id,
           CASE WHEN jsonb_typeof(s.p->'heart_rate'->'items') = 'array' THEN s.p->'heart_rate'->'items' END AS hr_items,
           oura.parse_localized(s.p->'heart_rate'->>'timestamp') AS hr_start,
           (s.p->'heart_rate'->>'interval')::float8 AS hr_step,
           CASE WHEN jsonb_typeof(s.p->'hrv'->'items') = 'array' THEN s.p->'hrv'->'items' END AS hrv_items,
           oura.parse_localized(s.p->'hrv'->>'timestamp') AS hrv_start,
           (s.p->'hrv'->>'interval')::float8 AS hrv_step,
           oura.parse_localized(s.p->>'bedtime_start') AS bedtime_start,
           s.p->>'sleep_phase_5_min' AS phases,
           s.p->>'app_sleep_phase_5_min' AS app_phases
      FROM src s
),
points (document_id, ts, hr_bpm, hrv_ms, sleep_phase, app_sleep_phase) AS (
    SELECT x.document_id, x.hr_start + make_interval(secs => x.hr_step * (e.i - 1)),
           e.v::real, NULL::real, NULL::smallint, NULL::smallint
      FROM series x
     CROSS JOIN LATERAL jsonb_array_elements_text(x.hr_items) WITH ORDINALITY AS e (v, i)
    UNION ALL
    SELECT x.document_id, x.hrv_start + make_interval(secs => x.hrv_step * (e.i - 1)),
           NULL::real, e.v::real, NULL::smallint, NULL::smallint
      FROM series x
     CROSS JOIN LATERAL jsonb_array_elements_text(x.hrv_items) WITH ORDINALITY AS e (v, i)
    UNION ALL
    SELECT x.document_id, x.bedtime_start + interval '5 minutes' * (c.i - 1),
           NULL::real, NULL::real, CASE WHEN c.ch ~ '^[0-9]$' THEN c.ch::smallint END, NULL::smallint
      FROM series x
     CROSS JOIN LATERAL regexp_split_to_table(x.phases, '') WITH ORDINALITY AS c (ch, i)
    UNION ALL
    SELECT x.document_id, x.bedtime_start + interval '5 minutes' * (c.i - 1),
           NULL::real, NULL::real, NULL::smallint, CASE WHEN c.ch ~ '^[0-9]$' THEN c.ch::smallint END
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
       -- NOT IN over a CTE becomes one hashed lookup; NOT EXISTS was planned as a nested loop
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

constexpr auto project_sleep_remove = R"sql(
-- Removes the oura.sleep_episodes rows of the given sleep documents
-- ($2 NULL: the rows whose document is no longer live).
-- Their sleep_samples go with them (ON DELETE CASCADE).
DELETE FROM oura.sleep_episodes t
 WHERE t.user_id = $1::bigint
   AND CASE WHEN $2::text[] IS NULL
            THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                              WHERE d.user_id = t.user_id AND d.resource = 'sleep'
                                AND d.document_id = t.document_id AND d.deleted_at IS NULL)
            ELSE t.document_id = ANY ($2::text[])
       END
)sql";

constexpr auto project_sleep_time_upsert = R"sql(
-- Newest live sleep_time document of each touched day -> its columns of oura.daily_summaries.
WITH changed AS (
    SELECT (d.payload->>'day')::date AS day
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'sleep_time' AND d.document_id = ANY ($2::text[])
),
candidates AS MATERIALIZED (
    -- every live document of the touched days, so the winner does not depend on event order
    -- (MATERIALIZED keeps the day extraction below the cheap filters)
    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'sleep_time' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR d.document_id = ANY ($2::text[])
            OR d.day IN (SELECT c.day FROM changed c))
),
src AS MATERIALIZED (
    -- "|| '{}'" decompresses each winning payload once here; read straight from the table, every
    -- ->> below would decompress it again.
    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p
      FROM candidates c
     WHERE c.day IS NOT NULL
     ORDER BY c.day, c.updated_at DESC, c.document_id DESC
)
INSERT INTO oura.daily_summaries AS t
       (user_id, day, sleep_time_id, sleep_time_recommendation, sleep_time_status,
        sleep_time_day_tz_seconds, sleep_time_optimal_bedtime_start_offset_seconds,
        sleep_time_optimal_bedtime_end_offset_seconds)
SELECT $1::bigint, day,
       src.document_id                                  AS sleep_time_id,
       p->>'recommendation'                             AS sleep_time_recommendation,
       p->>'status'                                     AS sleep_time_status,
       (p->'optimal_bedtime'->>'day_tz')::integer       AS sleep_time_day_tz_seconds,
       (p->'optimal_bedtime'->>'start_offset')::integer
           AS sleep_time_optimal_bedtime_start_offset_seconds,
       (p->'optimal_bedtime'->>'end_offset')::integer
           AS sleep_time_optimal_bedtime_end_offset_seconds
  FROM src
ON CONFLICT (user_id, day) DO UPDATE
   SET sleep_time_id                                   = EXCLUDED.sleep_time_id,
       sleep_time_recommendation                       = EXCLUDED.sleep_time_recommendation,
       sleep_time_status                               = EXCLUDED.sleep_time_status,
       sleep_time_day_tz_seconds                       = EXCLUDED.sleep_time_day_tz_seconds,
       sleep_time_optimal_bedtime_start_offset_seconds = EXCLUDED.sleep_time_optimal_bedtime_start_offset_seconds,
       sleep_time_optimal_bedtime_end_offset_seconds   = EXCLUDED.sleep_time_optimal_bedtime_end_offset_seconds,
       updated_at = now()
 WHERE (t.sleep_time_id, t.sleep_time_recommendation, t.sleep_time_status,
        t.sleep_time_day_tz_seconds, t.sleep_time_optimal_bedtime_start_offset_seconds,
        t.sleep_time_optimal_bedtime_end_offset_seconds)
       IS DISTINCT FROM
       (EXCLUDED.sleep_time_id, EXCLUDED.sleep_time_recommendation, EXCLUDED.sleep_time_status,
        EXCLUDED.sleep_time_day_tz_seconds,
        EXCLUDED.sleep_time_optimal_bedtime_start_offset_seconds,
        EXCLUDED.sleep_time_optimal_bedtime_end_offset_seconds)
)sql";

constexpr auto project_sleep_time_remove = R"sql(
-- Clears the sleep_time columns of oura.daily_summaries fed by the given documents
-- ($2 NULL: by any document no longer live or no longer of that day). Another live document of
-- the same day takes over if there is one; a day left with no source at all is deleted.
WITH hit AS (
    SELECT s.day
      FROM oura.daily_summaries s
     WHERE s.user_id = $1::bigint AND s.sleep_time_id IS NOT NULL
       AND CASE WHEN $2::text[] IS NULL
                THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                                  WHERE d.user_id = s.user_id AND d.resource = 'sleep_time'
                                    AND d.document_id = s.sleep_time_id AND d.deleted_at IS NULL
                                    AND (d.payload->>'day')::date = s.day)
                ELSE s.sleep_time_id = ANY ($2::text[])
           END
),
src AS MATERIALIZED (
    -- the live document of the day that takes over, if any (payload decompressed once, see upsert)
    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p
      FROM hit h
      JOIN oura.oura_documents d
        ON d.user_id = $1::bigint AND d.resource = 'sleep_time' AND d.day = h.day
     WHERE d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id <> ALL ($2::text[]))
       AND (d.payload->>'day')::date = h.day
     ORDER BY h.day, d.updated_at DESC, d.document_id DESC
),
emptied AS (
    DELETE FROM oura.daily_summaries s
     USING hit h
     WHERE s.user_id = $1::bigint AND s.day = h.day
       AND NOT EXISTS (SELECT FROM src WHERE src.day = h.day)
       AND num_nonnulls(s.daily_readiness_id, s.daily_sleep_id, s.daily_activity_id,
                        s.daily_spo2_id, s.daily_stress_id, s.daily_resilience_id,
                        s.daily_cardiovascular_age_id, s.vo2_max_id) = 0
    RETURNING s.day
)
UPDATE oura.daily_summaries s
   SET sleep_time_id                                   = src.document_id,
       sleep_time_recommendation                       = src.p->>'recommendation',
       sleep_time_status                               = src.p->>'status',
       sleep_time_day_tz_seconds = (src.p->'optimal_bedtime'->>'day_tz')::integer,
       sleep_time_optimal_bedtime_start_offset_seconds =
           (src.p->'optimal_bedtime'->>'start_offset')::integer,
       sleep_time_optimal_bedtime_end_offset_seconds =
           (src.p->'optimal_bedtime'->>'end_offset')::integer,
       updated_at = now()
  FROM hit h
  LEFT JOIN src ON src.day = h.day
 WHERE s.user_id = $1::bigint AND s.day = h.day
   AND h.day NOT IN (SELECT e.day FROM emptied e)
)sql";

constexpr auto project_tag_upsert = R"sql(
-- Live tag documents -> oura.tags.
WITH src AS MATERIALIZED (
    -- "|| '{}'" decompresses each payload once here; read straight from the table, every ->> below
    -- would decompress it again.
    SELECT d.document_id, d.payload || '{}'::jsonb AS p
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'tag' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id = ANY ($2::text[]))
)
INSERT INTO oura.tags AS t
       (user_id, document_id, day, text, tags, ts, ts_local, utc_offset_minutes)
SELECT $1::bigint, src.document_id,
       (p->>'day')::date AS day,
       p->>'text' AS text,
       CASE WHEN jsonb_typeof(p->'tags') = 'array'
            THEN ARRAY(SELECT e.v FROM jsonb_array_elements_text(p->'tags') WITH ORDINALITY AS e (v, i)
                        ORDER BY e.i)
            ELSE '{}'::text[] END
           AS tags,
       oura.parse_localized(p->>'timestamp') AS ts,
       oura.local_wall_time(p->>'timestamp') AS ts_local,
       oura.utc_offset_minutes(p->>'timestamp') AS utc_offset_minutes
  FROM src
ON CONFLICT (user_id, document_id) DO UPDATE
   SET day                = EXCLUDED.day,
       text               = EXCLUDED.text,
       tags               = EXCLUDED.tags,
       ts                 = EXCLUDED.ts,
       ts_local           = EXCLUDED.ts_local,
       utc_offset_minutes = EXCLUDED.utc_offset_minutes,
       updated_at = now()
 WHERE (t.day, t.text, t.tags, t.ts, t.ts_local, t.utc_offset_minutes)
       IS DISTINCT FROM
       (EXCLUDED.day, EXCLUDED.text, EXCLUDED.tags, EXCLUDED.ts, EXCLUDED.ts_local,
        EXCLUDED.utc_offset_minutes)
)sql";

constexpr auto project_tag_remove = R"sql(
-- Removes the oura.tags rows of the given tag documents
-- ($2 NULL: the rows whose document is no longer live).
DELETE FROM oura.tags t
 WHERE t.user_id = $1::bigint
   AND CASE WHEN $2::text[] IS NULL
            THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                              WHERE d.user_id = t.user_id AND d.resource = 'tag'
                                AND d.document_id = t.document_id AND d.deleted_at IS NULL)
            ELSE t.document_id = ANY ($2::text[])
       END
)sql";

constexpr auto project_vo2_max_upsert = R"sql(
-- Newest live vO2_max document of each touched day -> its columns of oura.daily_summaries.
WITH changed AS (
    SELECT (d.payload->>'day')::date AS day
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'vO2_max' AND d.document_id = ANY ($2::text[])
),
candidates AS MATERIALIZED (
    -- every live document of the touched days, so the winner does not depend on event order
    -- (MATERIALIZED keeps the day extraction below the cheap filters)
    SELECT d.document_id, (d.payload->>'day')::date AS day, d.updated_at, d.payload
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'vO2_max' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL
            OR d.document_id = ANY ($2::text[])
            OR d.day IN (SELECT c.day FROM changed c))
),
src AS MATERIALIZED (
    -- "|| '{}'" decompresses each winning payload once here; read straight from the table, every
    -- ->> below would decompress it again.
    SELECT DISTINCT ON (c.day) c.day, c.document_id, c.payload || '{}'::jsonb AS p
      FROM candidates c
     WHERE c.day IS NOT NULL
     ORDER BY c.day, c.updated_at DESC, c.document_id DESC
)
INSERT INTO oura.daily_summaries AS t
       (user_id, day, vo2_max_id, vo2_max_ml_kg_min, vo2_max_timestamp, vo2_max_utc_offset_minutes)
SELECT $1::bigint, day,
       src.document_id                          AS vo2_max_id,
       (p->>'vo2_max')::real                    AS vo2_max_ml_kg_min,
       oura.parse_localized(p->>'timestamp')    AS vo2_max_timestamp,
       oura.utc_offset_minutes(p->>'timestamp') AS vo2_max_utc_offset_minutes
  FROM src
ON CONFLICT (user_id, day) DO UPDATE
   SET vo2_max_id                 = EXCLUDED.vo2_max_id,
       vo2_max_ml_kg_min          = EXCLUDED.vo2_max_ml_kg_min,
       vo2_max_timestamp          = EXCLUDED.vo2_max_timestamp,
       vo2_max_utc_offset_minutes = EXCLUDED.vo2_max_utc_offset_minutes,
       updated_at = now()
 WHERE (t.vo2_max_id, t.vo2_max_ml_kg_min, t.vo2_max_timestamp, t.vo2_max_utc_offset_minutes)
       IS DISTINCT FROM
       (EXCLUDED.vo2_max_id, EXCLUDED.vo2_max_ml_kg_min, EXCLUDED.vo2_max_timestamp,
        EXCLUDED.vo2_max_utc_offset_minutes)
)sql";

constexpr auto project_vo2_max_remove = R"sql(
-- Clears the vO2_max columns of oura.daily_summaries fed by the given documents
-- ($2 NULL: by any document no longer live or no longer of that day). Another live document of
-- the same day takes over if there is one; a day left with no source at all is deleted.
WITH hit AS (
    SELECT s.day
      FROM oura.daily_summaries s
     WHERE s.user_id = $1::bigint AND s.vo2_max_id IS NOT NULL
       AND CASE WHEN $2::text[] IS NULL
                THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                                  WHERE d.user_id = s.user_id AND d.resource = 'vO2_max'
                                    AND d.document_id = s.vo2_max_id AND d.deleted_at IS NULL
                                    AND (d.payload->>'day')::date = s.day)
                ELSE s.vo2_max_id = ANY ($2::text[])
           END
),
src AS MATERIALIZED (
    -- the live document of the day that takes over, if any (payload decompressed once, see upsert)
    SELECT DISTINCT ON (h.day) h.day, d.document_id, d.payload || '{}'::jsonb AS p
      FROM hit h
      JOIN oura.oura_documents d
        ON d.user_id = $1::bigint AND d.resource = 'vO2_max' AND d.day = h.day
     WHERE d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id <> ALL ($2::text[]))
       AND (d.payload->>'day')::date = h.day
     ORDER BY h.day, d.updated_at DESC, d.document_id DESC
),
emptied AS (
    DELETE FROM oura.daily_summaries s
     USING hit h
     WHERE s.user_id = $1::bigint AND s.day = h.day
       AND NOT EXISTS (SELECT FROM src WHERE src.day = h.day)
       AND num_nonnulls(s.daily_readiness_id, s.daily_sleep_id, s.daily_activity_id,
                        s.daily_spo2_id, s.daily_stress_id, s.daily_resilience_id,
                        s.daily_cardiovascular_age_id, s.sleep_time_id) = 0
    RETURNING s.day
)
UPDATE oura.daily_summaries s
   SET vo2_max_id                 = src.document_id,
       vo2_max_ml_kg_min          = (src.p->>'vo2_max')::real,
       vo2_max_timestamp          = oura.parse_localized(src.p->>'timestamp'),
       vo2_max_utc_offset_minutes = oura.utc_offset_minutes(src.p->>'timestamp'),
       updated_at = now()
  FROM hit h
  LEFT JOIN src ON src.day = h.day
 WHERE s.user_id = $1::bigint AND s.day = h.day
   AND h.day NOT IN (SELECT e.day FROM emptied e)
)sql";

constexpr auto project_workout_upsert = R"sql(
-- Live workout documents -> oura.workouts.
WITH src AS MATERIALIZED (
    -- "|| '{}'" decompresses each payload once here; read straight from the table, every ->> below
    -- would decompress it again.
    SELECT d.document_id, d.payload || '{}'::jsonb AS p
      FROM oura.oura_documents d
     WHERE d.user_id = $1::bigint AND d.resource = 'workout' AND d.deleted_at IS NULL
       AND ($2::text[] IS NULL OR d.document_id = ANY ($2::text[]))
)
INSERT INTO oura.workouts AS t
       (user_id, document_id, day, activity, intensity, source, label, calories_kcal,
        distance_meters, start_at, start_utc_offset_minutes, end_at, end_utc_offset_minutes)
SELECT $1::bigint, src.document_id,
       (p->>'day')::date                             AS day,
       p->>'activity'                                AS activity,
       p->>'intensity'                               AS intensity,
       p->>'source'                                  AS source,
       p->>'label'                                   AS label,
       (p->>'calories')::real                        AS calories_kcal,
       (p->>'distance')::real                        AS distance_meters,
       oura.parse_localized(p->>'start_datetime')    AS start_at,
       oura.utc_offset_minutes(p->>'start_datetime') AS start_utc_offset_minutes,
       oura.parse_localized(p->>'end_datetime')      AS end_at,
       oura.utc_offset_minutes(p->>'end_datetime')   AS end_utc_offset_minutes
  FROM src
ON CONFLICT (user_id, document_id) DO UPDATE
   SET day                      = EXCLUDED.day,
       activity                 = EXCLUDED.activity,
       intensity                = EXCLUDED.intensity,
       source                   = EXCLUDED.source,
       label                    = EXCLUDED.label,
       calories_kcal            = EXCLUDED.calories_kcal,
       distance_meters          = EXCLUDED.distance_meters,
       start_at                 = EXCLUDED.start_at,
       start_utc_offset_minutes = EXCLUDED.start_utc_offset_minutes,
       end_at                   = EXCLUDED.end_at,
       end_utc_offset_minutes   = EXCLUDED.end_utc_offset_minutes,
       updated_at = now()
 WHERE (t.day, t.activity, t.intensity, t.source, t.label, t.calories_kcal, t.distance_meters,
        t.start_at, t.start_utc_offset_minutes, t.end_at, t.end_utc_offset_minutes)
       IS DISTINCT FROM
       (EXCLUDED.day, EXCLUDED.activity, EXCLUDED.intensity, EXCLUDED.source, EXCLUDED.label,
        EXCLUDED.calories_kcal, EXCLUDED.distance_meters, EXCLUDED.start_at,
        EXCLUDED.start_utc_offset_minutes, EXCLUDED.end_at, EXCLUDED.end_utc_offset_minutes)
)sql";

constexpr auto project_workout_remove = R"sql(
-- Removes the oura.workouts rows of the given workout documents
-- ($2 NULL: the rows whose document is no longer live).
DELETE FROM oura.workouts t
 WHERE t.user_id = $1::bigint
   AND CASE WHEN $2::text[] IS NULL
            THEN NOT EXISTS (SELECT FROM oura.oura_documents d
                              WHERE d.user_id = t.user_id AND d.resource = 'workout'
                                AND d.document_id = t.document_id AND d.deleted_at IS NULL)
            ELSE t.document_id = ANY ($2::text[])
       END
)sql";

// Sorted by resource (checked below).
constexpr std::array all_projections{
    Projection{"daily_activity", project_daily_activity_upsert, project_daily_activity_remove,
               "project_daily_activity_upsert", "project_daily_activity_remove"},
    Projection{"daily_cardiovascular_age", project_daily_cardiovascular_age_upsert, project_daily_cardiovascular_age_remove,
               "project_daily_cardiovascular_age_upsert", "project_daily_cardiovascular_age_remove"},
    Projection{"daily_readiness", project_daily_readiness_upsert, project_daily_readiness_remove,
               "project_daily_readiness_upsert", "project_daily_readiness_remove"},
    Projection{"daily_resilience", project_daily_resilience_upsert, project_daily_resilience_remove,
               "project_daily_resilience_upsert", "project_daily_resilience_remove"},
    Projection{"daily_sleep", project_daily_sleep_upsert, project_daily_sleep_remove,
               "project_daily_sleep_upsert", "project_daily_sleep_remove"},
    Projection{"daily_spo2", project_daily_spo2_upsert, project_daily_spo2_remove,
               "project_daily_spo2_upsert", "project_daily_spo2_remove"},
    Projection{"daily_stress", project_daily_stress_upsert, project_daily_stress_remove,
               "project_daily_stress_upsert", "project_daily_stress_remove"},
    Projection{"enhanced_tag", project_enhanced_tag_upsert, project_enhanced_tag_remove,
               "project_enhanced_tag_upsert", "project_enhanced_tag_remove"},
    Projection{"personal_info", project_personal_info_upsert, project_personal_info_remove,
               "project_personal_info_upsert", "project_personal_info_remove"},
    Projection{"rest_mode_period", project_rest_mode_period_upsert, project_rest_mode_period_remove,
               "project_rest_mode_period_upsert", "project_rest_mode_period_remove"},
    Projection{"ring_configuration", project_ring_configuration_upsert, project_ring_configuration_remove,
               "project_ring_configuration_upsert", "project_ring_configuration_remove"},
    Projection{"session", project_session_upsert, project_session_remove,
               "project_session_upsert", "project_session_remove"},
    Projection{"sleep", project_sleep_upsert, project_sleep_remove,
               "project_sleep_upsert", "project_sleep_remove"},
    Projection{"sleep_time", project_sleep_time_upsert, project_sleep_time_remove,
               "project_sleep_time_upsert", "project_sleep_time_remove"},
    Projection{"tag", project_tag_upsert, project_tag_remove,
               "project_tag_upsert", "project_tag_remove"},
    Projection{"vO2_max", project_vo2_max_upsert, project_vo2_max_remove,
               "project_vo2_max_upsert", "project_vo2_max_remove"},
    Projection{"workout", project_workout_upsert, project_workout_remove,
               "project_workout_upsert", "project_workout_remove"},
};

// Cheap guards against editing slips: unique names, the parameters every caller passes.
constexpr bool well_formed() {
    for (std::size_t i = 0; i < all_projections.size(); ++i) {
        const Projection& p = all_projections[i];
        for (std::string_view sql : {p.upsert_sql, p.remove_sql}) {
            if (sql.find("$1::bigint") == std::string_view::npos) return false;
            if (sql.find("$2::text[]") == std::string_view::npos) return false;
            if (sql.find("$3") != std::string_view::npos) return false;
        }
        if (p.upsert_name == p.remove_name) return false;
        for (std::size_t j = 0; j < i; ++j) {
            const Projection& q = all_projections[j];
            if (!(q.resource < p.resource)) return false;  // sorted, hence unique
            if (q.upsert_name == p.upsert_name || q.remove_name == p.remove_name) return false;
        }
    }
    return true;
}
static_assert(well_formed(), "projection table: names, order or parameters are wrong");

}  // namespace

std::span<const Projection> projections() { return all_projections; }

const Projection* find_projection(std::string_view resource) {
    const auto it = std::find_if(all_projections.begin(), all_projections.end(),
                                 [resource](const Projection& p) { return p.resource == resource; });
    return it == all_projections.end() ? nullptr : &*it;
}

}  // namespace oura::store
