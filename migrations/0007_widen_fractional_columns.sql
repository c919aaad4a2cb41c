-- Oura's fractional numbers keep their precision. 0003 stored them as real, which keeps about 7
-- significant digits: a workout distance of 46.89835310974273 m came back as 46.898354. Every
-- curated column that receives a JSON number Oura does not promise to be an integer becomes
-- double precision (15-17 digits, the precision of the JSON number itself), and so does every
-- sample array. Integer fields stay integer: their casts stay strict, so 85.5 for a score is
-- reported rather than rounded.
--
-- No view, rule or index depends on these columns (checked when this was written); the grants of
-- 0006 are on the tables and survive a column type change, as do the column comments.
-- Each ALTER TABLE rewrites its table once, whatever the number of columns it changes.

-- sample_items cannot change its result type in place (CREATE OR REPLACE refuses); no object
-- depends on it, the projections call it by name.
DROP FUNCTION oura.sample_items(jsonb);
CREATE FUNCTION oura.sample_items(sample jsonb) RETURNS double precision[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN jsonb_typeof(sample -> 'items') = 'array' THEN
               ARRAY(SELECT e.v::double precision
                       FROM jsonb_array_elements_text(sample -> 'items') WITH ORDINALITY AS e (v, i)
                      ORDER BY e.i)
           END
$$;
COMMENT ON FUNCTION oura.sample_items(jsonb) IS
    'items of an Oura PublicSample as double precision[], order and JSON nulls kept; NULL when the sample is absent.';

ALTER TABLE oura.daily_summaries
    ALTER COLUMN readiness_temperature_deviation_celsius       TYPE double precision,
    ALTER COLUMN readiness_temperature_trend_deviation_celsius TYPE double precision,
    ALTER COLUMN activity_average_met_minutes                  TYPE double precision,
    ALTER COLUMN activity_met_1min                             TYPE double precision[],
    ALTER COLUMN activity_met_interval_seconds                 TYPE double precision,
    ALTER COLUMN spo2_average_pct                              TYPE double precision,
    ALTER COLUMN resilience_sleep_recovery_score               TYPE double precision,
    ALTER COLUMN resilience_daytime_recovery_score             TYPE double precision,
    ALTER COLUMN resilience_stress_score                       TYPE double precision,
    ALTER COLUMN pulse_wave_velocity_m_per_s                   TYPE double precision,
    ALTER COLUMN vo2_max_ml_kg_min                             TYPE double precision;
COMMENT ON COLUMN oura.daily_summaries.vo2_max_ml_kg_min IS 'VO2 max estimate; the spec gives no unit, Oura''s app shows ml/kg/min. Declared integer by the spec, stored as double precision so a fractional value is kept.';

ALTER TABLE oura.sleep_episodes
    ALTER COLUMN average_breath_per_min                        TYPE double precision,
    ALTER COLUMN average_heart_rate_bpm                        TYPE double precision,
    ALTER COLUMN average_hrv_ms                                TYPE double precision,
    ALTER COLUMN readiness_temperature_deviation_celsius       TYPE double precision,
    ALTER COLUMN readiness_temperature_trend_deviation_celsius TYPE double precision,
    ALTER COLUMN heart_rate_bpm                                TYPE double precision[],
    ALTER COLUMN heart_rate_interval_seconds                   TYPE double precision,
    ALTER COLUMN hrv_ms                                        TYPE double precision[],
    ALTER COLUMN hrv_interval_seconds                          TYPE double precision;

ALTER TABLE oura.sleep_samples
    ALTER COLUMN hr_bpm TYPE double precision,
    ALTER COLUMN hrv_ms TYPE double precision;

ALTER TABLE oura.workouts
    ALTER COLUMN calories_kcal   TYPE double precision,
    ALTER COLUMN distance_meters TYPE double precision;

ALTER TABLE oura.sessions
    ALTER COLUMN heart_rate_bpm                TYPE double precision[],
    ALTER COLUMN heart_rate_interval_seconds   TYPE double precision,
    ALTER COLUMN hrv_ms                        TYPE double precision[],
    ALTER COLUMN hrv_interval_seconds          TYPE double precision,
    ALTER COLUMN motion_count                  TYPE double precision[],
    ALTER COLUMN motion_count_interval_seconds TYPE double precision;

ALTER TABLE oura.personal_info
    ALTER COLUMN weight_kg     TYPE double precision,
    ALTER COLUMN height_meters TYPE double precision;
