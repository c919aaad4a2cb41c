-- Views the Grafana dashboards (dashboards/*.json) read, so that a panel's SQL says what it shows
-- rather than re-deriving "the night", "the person's own baseline" or "the tags of a day" each
-- time. All are plain views over the curated and pipeline tables (never the raw payloads), with
-- security_invoker: whoever reads them needs SELECT on the tables underneath, so a view can never
-- widen what a role may see. oura_reader gets SELECT on each explicitly (the default privileges of
-- 0006 only cover objects created by the same owner).

------------------------------------------------------------------------------------------------
-- nights: the main sleep of each user and day.
------------------------------------------------------------------------------------------------
-- Oura may record several long_sleep periods for one day (a broken night); the longest is "the
-- night" the app shows. Bedtimes are also given as the user's wall clock, in hours from the local
-- midnight that starts `day` (negative: the evening before), which is what regularity is about.
CREATE VIEW oura.nights WITH (security_invoker = true) AS
SELECT DISTINCT ON (e.user_id, e.day)
       e.user_id,
       e.day,
       e.document_id,
       e.bedtime_start,
       e.bedtime_end,
       e.time_in_bed_seconds,
       e.total_sleep_duration_seconds,
       e.awake_time_seconds,
       e.light_sleep_duration_seconds,
       e.deep_sleep_duration_seconds,
       e.rem_sleep_duration_seconds,
       e.latency_seconds,
       e.efficiency_pct,
       e.restless_periods,
       e.average_breath_per_min,
       e.average_heart_rate_bpm,
       e.lowest_heart_rate_bpm,
       e.average_hrv_ms,
       e.readiness_temperature_deviation_celsius,
       e.readiness_score_delta,
       e.sleep_score_delta,
       extract(epoch FROM (e.bedtime_start AT TIME ZONE make_interval(mins => e.bedtime_start_utc_offset_minutes))
                          - e.day::timestamp) / 3600.0 AS bedtime_start_local_hours,
       extract(epoch FROM (e.bedtime_end AT TIME ZONE make_interval(mins => e.bedtime_end_utc_offset_minutes))
                          - e.day::timestamp) / 3600.0 AS bedtime_end_local_hours
  FROM oura.sleep_episodes e
 WHERE e.type = 'long_sleep'
 ORDER BY e.user_id, e.day, e.total_sleep_duration_seconds DESC NULLS LAST, e.document_id;
COMMENT ON VIEW oura.nights IS
    'The main sleep (longest long_sleep period) of each user and Oura day, with bedtimes on the user''s wall clock.';
COMMENT ON COLUMN oura.nights.bedtime_start_local_hours IS
    'Bedtime start on the user''s wall clock, hours from the local midnight that starts day (-1.5 = 22:30 the evening before).';
COMMENT ON COLUMN oura.nights.bedtime_end_local_hours IS
    'Wake-up (bedtime end) on the user''s wall clock, hours from the local midnight that starts day (7.25 = 07:15).';

------------------------------------------------------------------------------------------------
-- daily_baselines: the key numbers of each day next to the person's own baseline.
------------------------------------------------------------------------------------------------
-- Baseline = the mean of the 30 days before (the day itself excluded, so a bad day does not pull
-- its own baseline down); trend = the mean of the 7 days ending on the day. Only user_id filters
-- reach inside the windows (they partition by it), so a panel's time filter never shortens the
-- baseline of the first days it shows.
CREATE VIEW oura.daily_baselines WITH (security_invoker = true) AS
SELECT s.user_id,
       s.day,
       s.readiness_score,
       avg(s.readiness_score) OVER b30                        AS readiness_baseline_30d,
       avg(s.readiness_score) OVER r7                         AS readiness_avg_7d,
       s.sleep_score,
       avg(s.sleep_score) OVER b30                            AS sleep_baseline_30d,
       avg(s.sleep_score) OVER r7                             AS sleep_avg_7d,
       s.activity_score,
       avg(s.activity_score) OVER b30                         AS activity_baseline_30d,
       avg(s.activity_score) OVER r7                          AS activity_avg_7d,
       s.activity_steps                                       AS steps,
       avg(s.activity_steps) OVER b30                         AS steps_baseline_30d,
       avg(s.activity_steps) OVER r7                          AS steps_avg_7d,
       n.total_sleep_duration_seconds                         AS total_sleep_seconds,
       avg(n.total_sleep_duration_seconds) OVER b30           AS total_sleep_baseline_30d,
       avg(n.total_sleep_duration_seconds) OVER r7            AS total_sleep_avg_7d,
       n.average_hrv_ms                                       AS hrv_ms,
       avg(n.average_hrv_ms) OVER b30                         AS hrv_baseline_30d,
       avg(n.average_hrv_ms) OVER r7                          AS hrv_avg_7d,
       n.lowest_heart_rate_bpm                                AS resting_hr_bpm,
       avg(n.lowest_heart_rate_bpm) OVER b30                  AS resting_hr_baseline_30d,
       avg(n.lowest_heart_rate_bpm) OVER r7                   AS resting_hr_avg_7d,
       s.readiness_temperature_deviation_celsius              AS temperature_deviation_celsius,
       s.readiness_temperature_trend_deviation_celsius        AS temperature_trend_deviation_celsius,
       n.average_breath_per_min                               AS breath_per_min,
       avg(n.average_breath_per_min) OVER b30                 AS breath_baseline_30d
  FROM oura.daily_summaries s
  LEFT JOIN oura.nights n ON n.user_id = s.user_id AND n.day = s.day
WINDOW b30 AS (PARTITION BY s.user_id ORDER BY s.day RANGE BETWEEN INTERVAL '30 days' PRECEDING AND INTERVAL '1 day' PRECEDING),
       r7  AS (PARTITION BY s.user_id ORDER BY s.day RANGE BETWEEN INTERVAL '6 days' PRECEDING AND CURRENT ROW);
COMMENT ON VIEW oura.daily_baselines IS
    'Per user and day: readiness, sleep and activity scores, steps, sleep time, HRV, resting (lowest night) heart rate, temperature and breathing, each with its 30-day personal baseline (mean of the 30 days before) and 7-day mean.';

------------------------------------------------------------------------------------------------
-- tag_days: every tag a person set, one row per tag and day, enhanced and legacy alike.
------------------------------------------------------------------------------------------------
CREATE VIEW oura.tag_days WITH (security_invoker = true) AS
SELECT t.user_id,
       t.start_day AS day,
       coalesce(nullif(t.custom_name, ''), regexp_replace(t.tag_type_code, '^tag_generic_', ''), 'note') AS tag,
       'enhanced_tag'::text AS source,
       t.start_at,
       t.end_at,
       t.comment
  FROM oura.enhanced_tags t
UNION ALL
SELECT g.user_id, g.day, x.tag, 'tag', g.ts, NULL::timestamptz, g.text
  FROM oura.tags g
 CROSS JOIN LATERAL unnest(g.tags) AS x (tag);
COMMENT ON VIEW oura.tag_days IS
    'One row per tag occurrence: enhanced tags (custom name, else the tag type without tag_generic_) and the tags of legacy tag notes.';

------------------------------------------------------------------------------------------------
-- tag_next_day: how the day after each tag went, against the person's baseline.
------------------------------------------------------------------------------------------------
CREATE VIEW oura.tag_next_day WITH (security_invoker = true) AS
SELECT t.user_id,
       t.day,
       t.tag,
       b.readiness_score                                   AS next_readiness_score,
       b.readiness_score - b.readiness_baseline_30d        AS next_readiness_vs_baseline,
       b.sleep_score                                       AS next_sleep_score,
       b.sleep_score - b.sleep_baseline_30d                AS next_sleep_vs_baseline,
       b.hrv_ms - b.hrv_baseline_30d                       AS next_hrv_vs_baseline_ms,
       b.resting_hr_bpm - b.resting_hr_baseline_30d        AS next_resting_hr_vs_baseline_bpm
  FROM oura.tag_days t
  JOIN oura.daily_baselines b ON b.user_id = t.user_id AND b.day = t.day + 1;
COMMENT ON VIEW oura.tag_next_day IS
    'For each tag occurrence, the next day''s readiness, sleep score, HRV and resting heart rate, and their distance from the 30-day baseline.';

------------------------------------------------------------------------------------------------
-- Pipeline: the per-resource counts of each sync run, and ingestion without the payloads.
------------------------------------------------------------------------------------------------
CREATE VIEW oura.sync_run_resources WITH (security_invoker = true) AS
SELECT r.id AS run_id,
       r.kind,
       r.status,
       r.started_at,
       r.finished_at,
       x.key AS resource,
       coalesce((x.value ->> 'inserted')::bigint, 0)  AS inserted,
       coalesce((x.value ->> 'updated')::bigint, 0)   AS updated,
       coalesce((x.value ->> 'deleted')::bigint, 0)   AS deleted,
       coalesce((x.value ->> 'unchanged')::bigint, 0) AS unchanged,
       coalesce((x.value ->> 'failures')::bigint, 0)  AS failures
  FROM oura.sync_runs r
 CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(r.summary -> 'resources') = 'object'
                                    THEN r.summary -> 'resources' ELSE '{}'::jsonb END) AS x;
COMMENT ON VIEW oura.sync_run_resources IS
    'One row per sync run and resource with the run''s counts (documents and samples inserted, updated, deleted, unchanged; failures).';

CREATE VIEW oura.document_ingest WITH (security_invoker = true) AS
SELECT d.user_id, d.resource, d.day, d.first_seen_at, d.updated_at, d.deleted_at
  FROM oura.oura_documents d;
COMMENT ON VIEW oura.document_ingest IS
    'When each raw document arrived and last changed, without its payload: what the pipeline dashboard counts.';

GRANT SELECT ON oura.nights, oura.daily_baselines, oura.tag_days, oura.tag_next_day,
                oura.sync_run_resources, oura.document_ingest TO oura_reader;
