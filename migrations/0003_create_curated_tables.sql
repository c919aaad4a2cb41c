-- Curated, typed health tables (what Grafana reads) and the small parsing helpers the projections
-- in libs/store/src/projections.cpp use. Every row carries user_id and the id of the document it
-- came from. Units are in column names where they are not obvious. Oura's enumerations (sleep type,
-- workout intensity, ring colour, ...) are plain text without CHECK: Oura adds values, and a new
-- value must not stop ingestion.

------------------------------------------------------------------------------------------------
-- Time helpers. Oura sends LocalizedDateTime strings with an offset ("2024-10-10T01:01:59+02:00"),
-- LocalDateTime strings that may lack one (tags) and UtcDateTime strings. The offset is the only
-- record of the user's local time, so it is kept next to every instant.
------------------------------------------------------------------------------------------------

CREATE FUNCTION oura.utc_offset_minutes(iso text) RETURNS smallint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
               WHEN iso ~ '\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*[Zz]$' THEN 0
               WHEN m IS NULL THEN NULL
               ELSE ((CASE m[1] WHEN '-' THEN -1 ELSE 1 END)
                     * (m[2]::int * 60 + coalesce(m[3], '0')::int))
           END::smallint
      FROM (SELECT regexp_match(iso, '\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([+-])(\d{2}):?(\d{2})?$') AS m) AS parsed
$$;
COMMENT ON FUNCTION oura.utc_offset_minutes(text) IS
    'UTC offset in minutes east of Greenwich written at the end of an ISO-8601 date-time (Z = 0); NULL when the string has none.';

-- STABLE, not IMMUTABLE: the text-to-timestamp casts are STABLE in PostgreSQL. The result does not
-- depend on the session time zone, because a string without an offset yields NULL instead.
CREATE FUNCTION oura.parse_localized(iso text) RETURNS timestamptz
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE WHEN oura.utc_offset_minutes(iso) IS NOT NULL THEN iso::timestamptz END
$$;
COMMENT ON FUNCTION oura.parse_localized(text) IS
    'Instant of an ISO-8601 date-time that carries an offset; NULL when it has none (the zone is unknown, so no instant is guessed).';

CREATE FUNCTION oura.parse_utc(iso text) RETURNS timestamptz
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE WHEN oura.utc_offset_minutes(iso) IS NOT NULL THEN iso::timestamptz
                ELSE iso::timestamp AT TIME ZONE 'UTC' END
$$;
COMMENT ON FUNCTION oura.parse_utc(text) IS
    'Instant of an Oura UtcDateTime: an offset-less string is read as UTC.';

CREATE FUNCTION oura.local_wall_time(iso text) RETURNS timestamp
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT regexp_replace(iso, '(\d{2}:\d{2}(:\d{2}(\.\d+)?)?)\s*([Zz]|[+-]\d{2}(:?\d{2})?)$', '\1')::timestamp
$$;
COMMENT ON FUNCTION oura.local_wall_time(text) IS
    'Wall-clock date-time as written, offset dropped: what the user''s clock showed.';

CREATE FUNCTION oura.sample_items(sample jsonb) RETURNS real[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN jsonb_typeof(sample -> 'items') = 'array' THEN
               ARRAY(SELECT e.v::real
                       FROM jsonb_array_elements_text(sample -> 'items') WITH ORDINALITY AS e (v, i)
                      ORDER BY e.i)
           END
$$;
COMMENT ON FUNCTION oura.sample_items(jsonb) IS
    'items of an Oura PublicSample as real[], order and JSON nulls kept; NULL when the sample is absent.';

------------------------------------------------------------------------------------------------
-- daily_summaries: one row per user and Oura day, merged from nine daily resources.
------------------------------------------------------------------------------------------------

CREATE TABLE oura.daily_summaries (
    user_id bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    day     date   NOT NULL,

    -- daily_readiness
    daily_readiness_id                             text,
    readiness_score                                smallint,
    readiness_temperature_deviation_celsius        real,
    readiness_temperature_trend_deviation_celsius  real,
    readiness_timestamp                            timestamptz,
    readiness_utc_offset_minutes                   smallint,
    readiness_activity_balance_score               smallint,
    readiness_body_temperature_score               smallint,
    readiness_hrv_balance_score                    smallint,
    readiness_previous_day_activity_score          smallint,
    readiness_previous_night_score                 smallint,
    readiness_recovery_index_score                 smallint,
    readiness_resting_heart_rate_score             smallint,
    readiness_sleep_balance_score                  smallint,
    readiness_sleep_regularity_score               smallint,

    -- daily_sleep
    daily_sleep_id                                 text,
    sleep_score                                    smallint,
    sleep_timestamp                                timestamptz,
    sleep_utc_offset_minutes                       smallint,
    sleep_deep_sleep_score                         smallint,
    sleep_efficiency_score                         smallint,
    sleep_latency_score                            smallint,
    sleep_rem_sleep_score                          smallint,
    sleep_restfulness_score                        smallint,
    sleep_timing_score                             smallint,
    sleep_total_sleep_score                        smallint,

    -- daily_activity
    daily_activity_id                              text,
    activity_score                                 smallint,
    activity_timestamp                             timestamptz,
    activity_utc_offset_minutes                    smallint,
    activity_meet_daily_targets_score              smallint,
    activity_move_every_hour_score                 smallint,
    activity_recovery_time_score                   smallint,
    activity_stay_active_score                     smallint,
    activity_training_frequency_score              smallint,
    activity_training_volume_score                 smallint,
    activity_active_calories_kcal                  integer,
    activity_total_calories_kcal                   integer,
    activity_target_calories_kcal                  integer,
    activity_steps                                 integer,
    activity_equivalent_walking_distance_meters    integer,
    activity_target_meters                         integer,
    activity_meters_to_target                      integer,
    activity_inactivity_alerts                     integer,
    activity_average_met_minutes                   real,
    activity_high_activity_met_minutes             integer,
    activity_medium_activity_met_minutes           integer,
    activity_low_activity_met_minutes              integer,
    activity_sedentary_met_minutes                 integer,
    activity_high_activity_time_seconds            integer,
    activity_medium_activity_time_seconds          integer,
    activity_low_activity_time_seconds             integer,
    activity_sedentary_time_seconds                integer,
    activity_resting_time_seconds                  integer,
    activity_non_wear_time_seconds                 integer,
    activity_met_1min                              real[],
    activity_met_start_at                          timestamptz,
    activity_met_interval_seconds                  real,
    activity_class_5min                            text,

    -- daily_spo2
    daily_spo2_id                                  text,
    spo2_average_pct                               real,
    spo2_breathing_disturbance_index               smallint,

    -- daily_stress
    daily_stress_id                                text,
    stress_day_summary                             text,
    stress_high_seconds                            integer,
    stress_recovery_high_seconds                   integer,

    -- daily_resilience
    daily_resilience_id                            text,
    resilience_level                               text,
    resilience_sleep_recovery_score                real,
    resilience_daytime_recovery_score              real,
    resilience_stress_score                        real,

    -- daily_cardiovascular_age
    daily_cardiovascular_age_id                    text,
    vascular_age_years                             smallint,
    pulse_wave_velocity_m_per_s                    real,

    -- vO2_max
    vo2_max_id                                     text,
    vo2_max_ml_kg_min                              real,
    vo2_max_timestamp                              timestamptz,
    vo2_max_utc_offset_minutes                     smallint,

    -- sleep_time
    sleep_time_id                                  text,
    sleep_time_recommendation                      text,
    sleep_time_status                              text,
    sleep_time_day_tz_seconds                      integer,
    sleep_time_optimal_bedtime_start_offset_seconds integer,
    sleep_time_optimal_bedtime_end_offset_seconds  integer,

    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, day)
);
COMMENT ON TABLE oura.daily_summaries IS
    'One row per user and Oura local day, merged from daily_readiness, daily_sleep, daily_activity, daily_spo2, daily_stress, daily_resilience, daily_cardiovascular_age, vO2_max and sleep_time. Each source fills its own columns and its *_id column; a NULL *_id means that source has nothing for the day.';
COMMENT ON COLUMN oura.daily_summaries.day IS 'Oura''s local day (the documents'' day field), never derived from UTC.';
COMMENT ON COLUMN oura.daily_summaries.daily_readiness_id IS 'Document id of the daily_readiness document these readiness_* columns come from.';
COMMENT ON COLUMN oura.daily_summaries.readiness_score IS 'Readiness score 1-100.';
COMMENT ON COLUMN oura.daily_summaries.readiness_temperature_deviation_celsius IS 'Body temperature deviation from the personal baseline, degrees Celsius.';
COMMENT ON COLUMN oura.daily_summaries.readiness_temperature_trend_deviation_celsius IS 'Temperature trend deviation, degrees Celsius.';
COMMENT ON COLUMN oura.daily_summaries.readiness_timestamp IS 'The document''s timestamp (usually local midnight of the day).';
COMMENT ON COLUMN oura.daily_summaries.readiness_utc_offset_minutes IS 'UTC offset written in readiness timestamp, minutes east of UTC.';
COMMENT ON COLUMN oura.daily_summaries.readiness_resting_heart_rate_score IS 'Contributor score 1-100 (not beats per minute). All *_score contributor columns are scores.';
COMMENT ON COLUMN oura.daily_summaries.daily_sleep_id IS 'Document id of the daily_sleep document these sleep_* columns come from.';
COMMENT ON COLUMN oura.daily_summaries.sleep_score IS 'Daily sleep score 1-100.';
COMMENT ON COLUMN oura.daily_summaries.sleep_total_sleep_score IS 'Contributor score 1-100, not a duration (all sleep_*_score columns are scores).';
COMMENT ON COLUMN oura.daily_summaries.daily_activity_id IS 'Document id of the daily_activity document these activity_* columns come from.';
COMMENT ON COLUMN oura.daily_summaries.activity_score IS 'Activity score 1-100. Oura''s activity day runs 24 h from 4 a.m. local time.';
COMMENT ON COLUMN oura.daily_summaries.activity_average_met_minutes IS 'Average MET minutes.';
COMMENT ON COLUMN oura.daily_summaries.activity_high_activity_met_minutes IS 'Sum of METs of the minutes classified as high activity.';
COMMENT ON COLUMN oura.daily_summaries.activity_met_1min IS 'MET per interval (met.items, normally one per minute), JSON nulls kept as NULL elements. Element i is at activity_met_start_at + (i-1) * activity_met_interval_seconds.';
COMMENT ON COLUMN oura.daily_summaries.activity_met_start_at IS 'met.timestamp: instant of the first activity_met_1min element.';
COMMENT ON COLUMN oura.daily_summaries.activity_met_interval_seconds IS 'met.interval in seconds (60 in production).';
COMMENT ON COLUMN oura.daily_summaries.activity_class_5min IS 'class_5_min as sent: one character per 5 minutes, 0=non-wear 1=rest 2=inactive 3=low 4=medium 5=high.';
COMMENT ON COLUMN oura.daily_summaries.daily_spo2_id IS 'Document id of the daily_spo2 document.';
COMMENT ON COLUMN oura.daily_summaries.spo2_average_pct IS 'spo2_percentage.average: average night-time blood oxygen saturation, percent.';
COMMENT ON COLUMN oura.daily_summaries.spo2_breathing_disturbance_index IS 'Breathing disturbance index 0-100.';
COMMENT ON COLUMN oura.daily_summaries.daily_stress_id IS 'Document id of the daily_stress document.';
COMMENT ON COLUMN oura.daily_summaries.stress_day_summary IS 'restored, normal or stressful (Oura may add values).';
COMMENT ON COLUMN oura.daily_summaries.stress_high_seconds IS 'Time in the high-stress zone, seconds.';
COMMENT ON COLUMN oura.daily_summaries.stress_recovery_high_seconds IS 'Time in the high-recovery zone (recovery_high), seconds.';
COMMENT ON COLUMN oura.daily_summaries.daily_resilience_id IS 'Document id of the daily_resilience document.';
COMMENT ON COLUMN oura.daily_summaries.resilience_level IS 'limited, adequate, solid, strong or exceptional (Oura may add values).';
COMMENT ON COLUMN oura.daily_summaries.resilience_sleep_recovery_score IS 'Resilience contributor, float 0-100.';
COMMENT ON COLUMN oura.daily_summaries.daily_cardiovascular_age_id IS 'Document id of the daily_cardiovascular_age document.';
COMMENT ON COLUMN oura.daily_summaries.vascular_age_years IS 'Predicted vascular age in years (18-100): an age, not an offset from the real age.';
COMMENT ON COLUMN oura.daily_summaries.pulse_wave_velocity_m_per_s IS 'Pulse wave velocity, metres per second.';
COMMENT ON COLUMN oura.daily_summaries.vo2_max_id IS 'Document id of the vO2_max document.';
COMMENT ON COLUMN oura.daily_summaries.vo2_max_ml_kg_min IS 'VO2 max estimate; the spec gives no unit, Oura''s app shows ml/kg/min. Declared integer by the spec, stored as real so a fractional value is kept.';
COMMENT ON COLUMN oura.daily_summaries.sleep_time_id IS 'Document id of the sleep_time document.';
COMMENT ON COLUMN oura.daily_summaries.sleep_time_day_tz_seconds IS 'optimal_bedtime.day_tz: the day''s UTC offset in seconds.';
COMMENT ON COLUMN oura.daily_summaries.sleep_time_optimal_bedtime_start_offset_seconds IS 'optimal_bedtime.start_offset: start of the optimal bedtime window, seconds from local midnight (negative = the evening before).';
COMMENT ON COLUMN oura.daily_summaries.sleep_time_optimal_bedtime_end_offset_seconds IS 'optimal_bedtime.end_offset: end of the optimal bedtime window, seconds from local midnight.';
COMMENT ON COLUMN oura.daily_summaries.updated_at IS 'Last time any column of the row changed.';

------------------------------------------------------------------------------------------------
-- Sleep periods and their 5-minute samples.
------------------------------------------------------------------------------------------------

CREATE TABLE oura.sleep_episodes (
    user_id                          bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    document_id                      text   NOT NULL,
    day                              date   NOT NULL,
    type                             text,
    period                           integer,
    bedtime_start                    timestamptz,
    bedtime_start_utc_offset_minutes smallint,
    bedtime_end                      timestamptz,
    bedtime_end_utc_offset_minutes   smallint,
    time_in_bed_seconds              integer,
    total_sleep_duration_seconds     integer,
    awake_time_seconds               integer,
    light_sleep_duration_seconds     integer,
    deep_sleep_duration_seconds      integer,
    rem_sleep_duration_seconds       integer,
    latency_seconds                  integer,
    efficiency_pct                   smallint,
    restless_periods                 integer,
    average_breath_per_min           real,
    average_heart_rate_bpm           real,
    lowest_heart_rate_bpm            smallint,
    average_hrv_ms                   real,
    low_battery_alert                boolean,
    readiness_score                                smallint,
    readiness_temperature_deviation_celsius        real,
    readiness_temperature_trend_deviation_celsius  real,
    readiness_activity_balance_score               smallint,
    readiness_body_temperature_score               smallint,
    readiness_hrv_balance_score                    smallint,
    readiness_previous_day_activity_score          smallint,
    readiness_previous_night_score                 smallint,
    readiness_recovery_index_score                 smallint,
    readiness_resting_heart_rate_score             smallint,
    readiness_sleep_balance_score                  smallint,
    readiness_sleep_regularity_score               smallint,
    readiness_score_delta            smallint,
    sleep_score_delta                smallint,
    sleep_algorithm_version          text,
    sleep_analysis_reason            text,
    ring_id                          text,
    sleep_phase_5_min                text,
    app_sleep_phase_5_min            text,
    sleep_phase_30_sec               text,
    movement_30_sec                  text,
    heart_rate_bpm                   real[],
    heart_rate_start_at              timestamptz,
    heart_rate_interval_seconds      real,
    hrv_ms                           real[],
    hrv_start_at                     timestamptz,
    hrv_interval_seconds             real,
    updated_at                       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, document_id)
);
COMMENT ON TABLE oura.sleep_episodes IS
    'One row per Oura sleep document (sleep period). Several per day are normal; type = long_sleep is "the night". Samples are in sleep_samples.';
COMMENT ON COLUMN oura.sleep_episodes.document_id IS 'Id of the sleep document.';
COMMENT ON COLUMN oura.sleep_episodes.day IS 'Oura''s local day the sleep belongs to (the day it ends).';
COMMENT ON COLUMN oura.sleep_episodes.type IS 'long_sleep (>3 h, counts to scores), sleep (nap), late_nap, rest (rejected), deleted.';
COMMENT ON COLUMN oura.sleep_episodes.period IS 'Oura''s sleep period identifier.';
COMMENT ON COLUMN oura.sleep_episodes.bedtime_start_utc_offset_minutes IS 'UTC offset written in bedtime_start, minutes east of UTC.';
COMMENT ON COLUMN oura.sleep_episodes.efficiency_pct IS 'Sleep efficiency 1-100.';
COMMENT ON COLUMN oura.sleep_episodes.average_heart_rate_bpm IS 'Oura''s average over 30-second samples; differs from the mean of heart_rate_bpm.';
COMMENT ON COLUMN oura.sleep_episodes.lowest_heart_rate_bpm IS 'Oura''s minimum over 30-second samples; differs from the minimum of heart_rate_bpm.';
COMMENT ON COLUMN oura.sleep_episodes.average_hrv_ms IS 'Average heart rate variability (RMSSD), milliseconds.';
COMMENT ON COLUMN oura.sleep_episodes.readiness_score IS 'The embedded readiness object of the sleep, if any; readiness_*_score columns are contributor scores 1-100.';
COMMENT ON COLUMN oura.sleep_episodes.readiness_score_delta IS 'Effect of this sleep on the readiness score.';
COMMENT ON COLUMN oura.sleep_episodes.sleep_score_delta IS 'Effect of this sleep on the sleep score.';
COMMENT ON COLUMN oura.sleep_episodes.ring_id IS 'Encrypted id of the ring that recorded the sleep.';
COMMENT ON COLUMN oura.sleep_episodes.sleep_phase_5_min IS 'Hypnogram, one character per 5 minutes from bedtime_start: 1=deep 2=light 3=REM 4=awake.';
COMMENT ON COLUMN oura.sleep_episodes.app_sleep_phase_5_min IS 'Hypnogram as the app shows it (same coding); Oura plans to remove the field.';
COMMENT ON COLUMN oura.sleep_episodes.sleep_phase_30_sec IS 'Hypnogram, one character per 30 seconds: 1=deep 2=light 3=REM 4=awake.';
COMMENT ON COLUMN oura.sleep_episodes.movement_30_sec IS 'One character per 30 seconds: 1=no motion 2=restless 3=tossing and turning 4=active.';
COMMENT ON COLUMN oura.sleep_episodes.heart_rate_bpm IS 'heart_rate.items (normally every 300 s), nulls kept; also unrolled into sleep_samples.';
COMMENT ON COLUMN oura.sleep_episodes.heart_rate_start_at IS 'heart_rate.timestamp: instant of the first heart_rate_bpm element.';
COMMENT ON COLUMN oura.sleep_episodes.hrv_ms IS 'hrv.items in milliseconds (normally every 300 s), nulls kept; also unrolled into sleep_samples.';

-- Nights of a user in a date range: the usual Grafana and API query.
CREATE INDEX sleep_episodes_user_day_idx ON oura.sleep_episodes (user_id, day);

CREATE TABLE oura.sleep_samples (
    user_id           bigint      NOT NULL,
    sleep_document_id text        NOT NULL,
    ts                timestamptz NOT NULL,
    hr_bpm            real,
    hrv_ms            real,
    sleep_phase       smallint,
    app_sleep_phase   smallint,
    PRIMARY KEY (user_id, sleep_document_id, ts),
    FOREIGN KEY (user_id, sleep_document_id)
        REFERENCES oura.sleep_episodes (user_id, document_id) ON DELETE CASCADE
);
COMMENT ON TABLE oura.sleep_samples IS
    'The 5-minute series of a sleep period: heart rate, HRV and hypnogram on one time axis. Replaced whenever its sleep document changes; removed with its sleep_episodes row.';
COMMENT ON COLUMN oura.sleep_samples.sleep_document_id IS 'Id of the sleep document (sleep_episodes.document_id).';
COMMENT ON COLUMN oura.sleep_samples.ts IS 'Sample instant: the PublicSample timestamp + (i-1) * interval; for the hypnogram bedtime_start + (i-1) * 5 min.';
COMMENT ON COLUMN oura.sleep_samples.hr_bpm IS 'Heart rate, beats per minute; NULL where Oura sent null or no heart-rate item falls on ts.';
COMMENT ON COLUMN oura.sleep_samples.hrv_ms IS 'Heart rate variability, milliseconds; NULL where Oura sent null.';
COMMENT ON COLUMN oura.sleep_samples.sleep_phase IS 'From sleep_phase_5_min: 1=deep 2=light 3=REM 4=awake.';
COMMENT ON COLUMN oura.sleep_samples.app_sleep_phase IS 'From app_sleep_phase_5_min, same coding.';

-- Time-range queries over all of a user's nights (the primary key starts with the sleep id).
CREATE INDEX sleep_samples_user_ts_idx ON oura.sleep_samples (user_id, ts);

------------------------------------------------------------------------------------------------
-- Time series Oura serves without document ids; the sync code writes them directly.
------------------------------------------------------------------------------------------------

CREATE TABLE oura.heart_rate_samples (
    user_id bigint      NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    ts      timestamptz NOT NULL,
    source  text        NOT NULL,
    bpm     smallint    NOT NULL,
    PRIMARY KEY (user_id, ts, source)
);
COMMENT ON TABLE oura.heart_rate_samples IS
    'Oura heartrate rows, one per sample: its own raw form (no document id). Sparse and irregular: minutes apart awake, 5 min at rest, seconds in a workout. Not partitioned, see docs/decisions.md.';
COMMENT ON COLUMN oura.heart_rate_samples.ts IS 'The row''s timestamp (UTC in the API). timestamp_unix is the same instant and is not stored.';
COMMENT ON COLUMN oura.heart_rate_samples.source IS 'awake, workout, rest, sleep, live or session (Oura may add values). Part of the key: one instant can carry two sources.';
COMMENT ON COLUMN oura.heart_rate_samples.bpm IS 'Heart rate, beats per minute.';

-- The primary key serves every per-user query (range, latest sample). This BRIN index, a few
-- pages even at billions of rows, serves what has no user: retention and all-user time ranges.
CREATE INDEX heart_rate_samples_ts_brin ON oura.heart_rate_samples USING brin (ts);

CREATE TABLE oura.ring_battery_levels (
    user_id    bigint      NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    ts         timestamptz NOT NULL,
    level      smallint    NOT NULL,
    charging   boolean,
    in_charger boolean,
    PRIMARY KEY (user_id, ts)
);
COMMENT ON TABLE oura.ring_battery_levels IS 'Oura ring_battery_level rows, one per sample: its own raw form.';
COMMENT ON COLUMN oura.ring_battery_levels.level IS 'Battery level, percent 0-100.';
COMMENT ON COLUMN oura.ring_battery_levels.charging IS 'Ring was charging; NULL when Oura did not say.';
COMMENT ON COLUMN oura.ring_battery_levels.in_charger IS 'Ring was in the charger; NULL when Oura did not say.';

------------------------------------------------------------------------------------------------
-- Other documents.
------------------------------------------------------------------------------------------------

CREATE TABLE oura.workouts (
    user_id                  bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    document_id              text   NOT NULL,
    day                      date   NOT NULL,
    activity                 text,
    intensity                text,
    source                   text,
    label                    text,
    calories_kcal            real,
    distance_meters          real,
    start_at                 timestamptz,
    start_utc_offset_minutes smallint,
    end_at                   timestamptz,
    end_utc_offset_minutes   smallint,
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, document_id)
);
COMMENT ON TABLE oura.workouts IS 'One row per Oura workout document.';
COMMENT ON COLUMN oura.workouts.activity IS 'Workout activity type as Oura names it (walking, cycling, ...).';
COMMENT ON COLUMN oura.workouts.intensity IS 'easy, moderate or hard.';
COMMENT ON COLUMN oura.workouts.source IS 'manual, autodetected, confirmed or workout_heart_rate.';
COMMENT ON COLUMN oura.workouts.label IS 'User-defined label.';
COMMENT ON COLUMN oura.workouts.start_at IS 'start_datetime as an instant; start_utc_offset_minutes keeps the offset it was written with.';
CREATE INDEX workouts_user_start_idx ON oura.workouts (user_id, start_at);

CREATE TABLE oura.sessions (
    user_id                       bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    document_id                   text   NOT NULL,
    day                           date   NOT NULL,
    type                          text,
    mood                          text,
    start_at                      timestamptz,
    start_utc_offset_minutes      smallint,
    end_at                        timestamptz,
    end_utc_offset_minutes        smallint,
    heart_rate_bpm                real[],
    heart_rate_start_at           timestamptz,
    heart_rate_interval_seconds   real,
    hrv_ms                        real[],
    hrv_start_at                  timestamptz,
    hrv_interval_seconds          real,
    motion_count                  real[],
    motion_count_start_at         timestamptz,
    motion_count_interval_seconds real,
    updated_at                    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, document_id)
);
COMMENT ON TABLE oura.sessions IS 'One row per Oura session (Moment: breathing, meditation, nap, ...), with its sample arrays.';
COMMENT ON COLUMN oura.sessions.type IS 'breathing, meditation, nap, relaxation, rest or body_status.';
COMMENT ON COLUMN oura.sessions.mood IS 'bad, worse, same, good or great (user-selected).';
COMMENT ON COLUMN oura.sessions.heart_rate_bpm IS 'heart_rate.items (normally every 5 s), nulls kept. Element i is at heart_rate_start_at + (i-1) * heart_rate_interval_seconds.';
COMMENT ON COLUMN oura.sessions.hrv_ms IS 'heart_rate_variability.items in milliseconds, nulls kept.';
COMMENT ON COLUMN oura.sessions.motion_count IS 'motion_count.items, nulls kept.';
CREATE INDEX sessions_user_start_idx ON oura.sessions (user_id, start_at);

CREATE TABLE oura.enhanced_tags (
    user_id                  bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    document_id              text   NOT NULL,
    start_day                date   NOT NULL,
    end_day                  date,
    tag_type_code            text,
    custom_name              text,
    comment                  text,
    start_at                 timestamptz,
    start_local              timestamp,
    start_utc_offset_minutes smallint,
    end_at                   timestamptz,
    end_local                timestamp,
    end_utc_offset_minutes   smallint,
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, document_id)
);
COMMENT ON TABLE oura.enhanced_tags IS 'One row per Oura enhanced_tag document (tags with optional duration).';
COMMENT ON COLUMN oura.enhanced_tags.tag_type_code IS 'Code of the tag type; NULL for text-only tags, custom for custom tag types.';
COMMENT ON COLUMN oura.enhanced_tags.custom_name IS 'Name of the tag when tag_type_code is custom.';
COMMENT ON COLUMN oura.enhanced_tags.start_at IS 'start_time as an instant; NULL when Oura sent it without an offset (the zone is unknown). start_local always holds the wall-clock time.';
COMMENT ON COLUMN oura.enhanced_tags.start_local IS 'start_time as written, offset dropped (what the user''s clock showed).';
COMMENT ON COLUMN oura.enhanced_tags.end_at IS 'end_time as an instant; NULL for tags without duration or without an offset.';
CREATE INDEX enhanced_tags_user_day_idx ON oura.enhanced_tags (user_id, start_day);

CREATE TABLE oura.tags (
    user_id            bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    document_id        text   NOT NULL,
    day                date   NOT NULL,
    text               text,
    tags               text[] NOT NULL DEFAULT '{}',
    ts                 timestamptz,
    ts_local           timestamp,
    utc_offset_minutes smallint,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, document_id)
);
COMMENT ON TABLE oura.tags IS 'One row per legacy Oura tag document (deprecated by Oura in favour of enhanced_tag).';
COMMENT ON COLUMN oura.tags.text IS 'Text of the note.';
COMMENT ON COLUMN oura.tags.tags IS 'Selected tags.';
COMMENT ON COLUMN oura.tags.ts IS 'timestamp as an instant; NULL when Oura sent it without an offset. ts_local always holds the wall-clock time.';
CREATE INDEX tags_user_day_idx ON oura.tags (user_id, day);

CREATE TABLE oura.rest_mode_periods (
    user_id                  bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    document_id              text   NOT NULL,
    start_day                date   NOT NULL,
    end_day                  date,
    start_at                 timestamptz,
    start_utc_offset_minutes smallint,
    end_at                   timestamptz,
    end_utc_offset_minutes   smallint,
    episodes                 jsonb  NOT NULL DEFAULT '[]',
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, document_id)
);
COMMENT ON TABLE oura.rest_mode_periods IS 'One row per Oura rest_mode_period document.';
COMMENT ON COLUMN oura.rest_mode_periods.end_day IS 'NULL while rest mode is still on.';
COMMENT ON COLUMN oura.rest_mode_periods.episodes IS 'episodes as sent: [{"tags": [...], "timestamp": "..."}].';
CREATE INDEX rest_mode_periods_user_day_idx ON oura.rest_mode_periods (user_id, start_day);

CREATE TABLE oura.ring_configurations (
    user_id          bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    document_id      text   NOT NULL,
    color            text,
    design           text,
    firmware_version text,
    hardware_type    text,
    set_up_at        timestamptz,
    size_us          smallint,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, document_id)
);
COMMENT ON TABLE oura.ring_configurations IS 'One row per ring Oura knows for the user.';
COMMENT ON COLUMN oura.ring_configurations.hardware_type IS 'gen1, gen2, gen2m, gen3, gen4, or5 (Oura may add values).';
COMMENT ON COLUMN oura.ring_configurations.set_up_at IS 'When the ring was set up (UTC in the API).';
COMMENT ON COLUMN oura.ring_configurations.size_us IS 'US ring size.';

CREATE TABLE oura.personal_info (
    user_id        bigint PRIMARY KEY REFERENCES oura.users (user_id) ON DELETE CASCADE,
    oura_user_id   text NOT NULL,
    age            smallint,
    weight_kg      real,
    height_meters  real,
    biological_sex text,
    email          text,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE oura.personal_info IS 'The user''s personal_info document. Fields stay NULL without the personal / email scopes.';
COMMENT ON COLUMN oura.personal_info.oura_user_id IS 'personal_info.id, which is also the document id of the source document.';
COMMENT ON COLUMN oura.personal_info.weight_kg IS 'weight; the spec gives no unit, Oura reports kilograms.';
COMMENT ON COLUMN oura.personal_info.height_meters IS 'height; the spec gives no unit, Oura reports metres.';
