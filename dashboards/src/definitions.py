"""The dashboards as data: one entry per panel (what it answers, its query, its unit).

Read dashboards/README.md first. Queries read only what oura_reader may read: the curated tables
and the views of migration 0017 (nights, daily_baselines, tag_days, tag_next_day,
sync_run_resources, document_ingest), never oura_documents.payload. `$user` is the person;
Grafana's macros carry the time range. Per-day rows use `$__time(day::timestamp)`: Oura's local
day, drawn at its midnight.
"""

from dashlib import (ABOVE_BASELINE_STEPS, BARS, BLUE, GREEN, GREY, LINE, ORANGE, POINTS, PURPLE,
                     RED, SCORE_STEPS, YELLOW, Panel, Row, dashboard, steps)

U = "user_id = $user"
DAYS = f"{U} AND $__timeFilter(day)"
# "As of the end of the range": the latest value on or before the range's last day, so a sparse
# measurement (VO2 max every week or two) shows its last known value instead of "No data".
AS_OF = f"{U} AND day <= $__timeTo()::date"

BPM = "suffix: bpm"
KCAL = "suffix: kcal"
PER_MIN = "suffix: /min"
YEARS = "suffix: years"

BASELINE = {"custom.lineStyle": {"fill": "dash", "dash": [10, 10]}, "color": {"mode": "fixed", "fixedColor": GREY},
            "custom.fillOpacity": 0}
TREND = {"custom.lineStyle": {"fill": "dot", "dash": [0, 10]}, "custom.fillOpacity": 0}
STAGE_COLORS = {"deep": "dark-blue", "light": "blue", "REM": "purple", "awake": "orange"}


def value_colors(colors):
    return [{"type": "value", "options": {v: {"color": c, "index": i} for i, (v, c) in enumerate(colors.items())}}]


def latest(table, column, alias, where=DAYS):
    """The newest non-null value of one column in the range (a stat's query)."""
    return (f"SELECT {column} AS \"{alias}\" FROM oura.{table} WHERE {where} AND {column} IS NOT NULL "
            f"ORDER BY day DESC LIMIT 1")


def baseline_series(metric, baseline, trend, label, scale=""):
    """A metric per day beside its 30-day personal baseline and its 7-day mean."""
    return (f"SELECT $__time(day::timestamp), {metric}{scale} AS \"{label}\", {baseline}{scale} AS \"30-day baseline\", "
            f"{trend}{scale} AS \"7-day mean\" FROM oura.daily_baselines WHERE {DAYS} ORDER BY 1")


BASELINE_OVERRIDES = {"30-day baseline": BASELINE, "7-day mean": TREND}


def weekly_buckets(source_sql, value_sql):
    """Weeks of the range (from its start) with a LEFT JOIN to events, so a week without any shows 0."""
    return (f"SELECT $__timeGroupAlias(w.week, '1w'), {value_sql} FROM generate_series("
            f"$__timeFrom()::timestamptz, $__timeTo()::timestamptz, interval '1 week') AS w (week) "
            f"LEFT JOIN ({source_sql}) e ON e.at >= w.week AND e.at < w.week + interval '1 week' GROUP BY 1 ORDER BY 1")


# --------------------------------------------------------------------------------------------
overview = dashboard(
    "oura-overview", "Oura · Overview",
    "The latest scores and how the last weeks compare with the person's own baseline.",
    ["overview"],
    [
        Row("Today, against your own baseline"),
        Panel("stat", "Readiness", "Latest readiness score in the range (1-100). 85+ is optimal, below 70 asks you to take it easy.",
              latest("daily_summaries", "readiness_score", "Readiness"), "none", thresholds=SCORE_STEPS),
        Panel("stat", "Sleep score", "Latest daily sleep score (1-100).",
              latest("daily_summaries", "sleep_score", "Sleep score"), "none", thresholds=SCORE_STEPS),
        Panel("stat", "Activity score", "Latest activity score (1-100). Oura's activity day runs from 4 a.m. local time.",
              latest("daily_summaries", "activity_score", "Activity score"), "none", thresholds=SCORE_STEPS),
        Panel("stat", "Readiness vs your baseline",
              "Latest readiness minus your mean of the 30 days before it. Red: more than 5 points below your usual.",
              "SELECT readiness_score - readiness_baseline_30d AS \"Readiness vs baseline\" FROM oura.daily_baselines "
              f"WHERE {DAYS} AND readiness_score IS NOT NULL ORDER BY day DESC LIMIT 1",
              "none", decimals=1, thresholds=ABOVE_BASELINE_STEPS),
        Panel("stat", "HRV vs your baseline",
              "Last night's average HRV as a percentage above (+) or below (-) your 30-day mean. A drop of 10 % or more often comes with strain, illness or alcohol.",
              "SELECT 100.0 * (hrv_ms / nullif(hrv_baseline_30d, 0) - 1) AS \"HRV vs baseline\" FROM oura.daily_baselines "
              f"WHERE {DAYS} AND hrv_ms IS NOT NULL ORDER BY day DESC LIMIT 1",
              "percent", decimals=0, thresholds=steps(RED, (-20, ORANGE), (-10, YELLOW), (-3, GREEN))),
        Panel("stat", "Resting heart rate vs your baseline",
              "Last night's lowest heart rate minus your 30-day mean. A few beats above your usual is an early sign of strain or illness.",
              "SELECT resting_hr_bpm - resting_hr_baseline_30d AS \"Resting HR vs baseline\" FROM oura.daily_baselines "
              f"WHERE {DAYS} AND resting_hr_bpm IS NOT NULL ORDER BY day DESC LIMIT 1",
              BPM, decimals=1, thresholds=steps(GREEN, (1, YELLOW), (3, ORANGE), (5, RED))),
        Panel("stat", "Sleep last night", "Total sleep of the latest night (deep + light + REM).",
              latest("daily_baselines", "total_sleep_seconds", "Sleep"), "s",
              thresholds=steps(RED, (6 * 3600, YELLOW), (7 * 3600, GREEN))),
        Panel("stat", "Temperature deviation", "Latest body temperature deviation from your long-term baseline, °C. Above +0.5 °C is worth a look.",
              latest("daily_baselines", "temperature_deviation_celsius", "Temperature deviation"), "celsius", decimals=2,
              thresholds=steps(BLUE, (-0.5, GREEN), (0.5, ORANGE), (1.0, RED))),
        Panel("stat", "Steps today", "Steps of the latest activity day in the range.",
              latest("daily_baselines", "steps", "Steps"), "short", thresholds=steps(ORANGE, (5000, YELLOW), (8000, GREEN))),
        Panel("stat", "Days at or above baseline",
              "Share of days in the range whose readiness was at least your 30-day baseline. Around half is normal; much less means a stretch of strain.",
              "SELECT 100.0 * count(*) FILTER (WHERE readiness_score >= readiness_baseline_30d) / nullif(count(readiness_score), 0) "
              f"AS \"Days at or above baseline\" FROM oura.daily_baselines WHERE {DAYS}",
              "percent", decimals=0, min=0, max=100, thresholds=steps(RED, (30, YELLOW), (45, GREEN))),
        Row("Trends"),
        Panel("timeseries", "Scores", "Readiness, sleep and activity score per day (1-100).",
              "SELECT $__time(day::timestamp), readiness_score AS \"Readiness\", sleep_score AS \"Sleep\", "
              f"activity_score AS \"Activity\" FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1",
              "none", min=0, max=100),
        Panel("timeseries", "Readiness against your baseline",
              "Readiness per day, your mean of the 30 days before each day (dashed) and the 7-day mean (dotted). Days well under the dashed line are days to recover.",
              baseline_series("readiness_score", "readiness_baseline_30d", "readiness_avg_7d", "Readiness"),
              "none", overrides=BASELINE_OVERRIDES),
        Panel("timeseries", "Sleep time against your baseline",
              "Hours of sleep per night (deep + light + REM), with your 30-day baseline and 7-day mean.",
              baseline_series("total_sleep_seconds", "total_sleep_baseline_30d", "total_sleep_avg_7d", "Sleep", " / 3600.0"),
              "h", decimals=1, overrides=BASELINE_OVERRIDES),
        Panel("timeseries", "Resting heart rate against your baseline",
              "Lowest heart rate of each night, with your 30-day baseline and 7-day mean. A rise over several nights often comes before you feel ill.",
              baseline_series("resting_hr_bpm", "resting_hr_baseline_30d", "resting_hr_avg_7d", "Resting heart rate"),
              BPM, overrides=BASELINE_OVERRIDES),
        Panel("timeseries", "HRV against your baseline",
              "Average heart rate variability (RMSSD) of each night, with your 30-day baseline and 7-day mean. Higher than your usual is better.",
              baseline_series("hrv_ms", "hrv_baseline_30d", "hrv_avg_7d", "HRV"), "ms", overrides=BASELINE_OVERRIDES),
        Panel("timeseries", "Activity score against your baseline",
              "Activity score per day with your 30-day baseline and 7-day mean.",
              baseline_series("activity_score", "activity_baseline_30d", "activity_avg_7d", "Activity"),
              "none", overrides=BASELINE_OVERRIDES),
        Panel("table", "Last 7 days against the 30 days before",
              "Means of the last 7 days of the range beside the 30 days before them, and the change. Units: scores 1-100, sleep in hours, HRV in ms, heart rate in bpm, temperature in °C.",
              "WITH w AS (SELECT * FROM oura.daily_baselines WHERE user_id = $user AND day > $__timeTo()::date - 37 "
              "AND day <= $__timeTo()::date), a AS (SELECT "
              "avg(readiness_score) FILTER (WHERE day > $__timeTo()::date - 7) AS r7, avg(readiness_score) FILTER (WHERE day <= $__timeTo()::date - 7) AS r30, "
              "avg(sleep_score) FILTER (WHERE day > $__timeTo()::date - 7) AS s7, avg(sleep_score) FILTER (WHERE day <= $__timeTo()::date - 7) AS s30, "
              "avg(total_sleep_seconds) FILTER (WHERE day > $__timeTo()::date - 7) / 3600 AS t7, avg(total_sleep_seconds) FILTER (WHERE day <= $__timeTo()::date - 7) / 3600 AS t30, "
              "avg(hrv_ms) FILTER (WHERE day > $__timeTo()::date - 7) AS h7, avg(hrv_ms) FILTER (WHERE day <= $__timeTo()::date - 7) AS h30, "
              "avg(resting_hr_bpm) FILTER (WHERE day > $__timeTo()::date - 7) AS p7, avg(resting_hr_bpm) FILTER (WHERE day <= $__timeTo()::date - 7) AS p30, "
              "avg(temperature_deviation_celsius) FILTER (WHERE day > $__timeTo()::date - 7) AS c7, avg(temperature_deviation_celsius) FILTER (WHERE day <= $__timeTo()::date - 7) AS c30 "
              "FROM w) SELECT v.metric AS \"Metric\", round(v.last7::numeric, 2) AS \"Last 7 days\", round(v.prior::numeric, 2) AS \"30 days before\", "
              "round((v.last7 - v.prior)::numeric, 2) AS \"Change\" FROM a CROSS JOIN LATERAL (VALUES "
              "('Readiness', r7::float8, r30::float8), ('Sleep score', s7, s30), ('Sleep (h)', t7, t30), ('HRV (ms)', h7, h30), "
              "('Resting heart rate (bpm)', p7, p30), ('Temperature deviation (°C)', c7, c30)) AS v (metric, last7, prior)",
              "none", w=12),
    ])

# --------------------------------------------------------------------------------------------
LAST_NIGHT = ("(SELECT document_id FROM oura.nights WHERE user_id = $user AND $__timeFilter(day) "
              "ORDER BY day DESC LIMIT 1)")
NIGHTS = f"FROM oura.nights WHERE {DAYS}"

sleep = dashboard(
    "oura-sleep", "Oura · Sleep",
    "Nights in detail: stages, hypnogram, efficiency, latency, timing and regularity, heart rate and HRV during sleep, breathing, naps.",
    ["sleep"],
    [
        Row("Last night"),
        Panel("stat", "Efficiency", "Share of time in bed spent asleep, latest night. 85 % or more is good.",
              latest("nights", "efficiency_pct", "Efficiency"), "percent", thresholds=steps(RED, (75, YELLOW), (85, GREEN))),
        Panel("stat", "Latency", "Time it took to fall asleep, latest night. 10-20 minutes is typical; under 5 can mean a sleep debt.",
              latest("nights", "latency_seconds", "Latency"), "s", thresholds=steps(YELLOW, (300, GREEN), (1800, ORANGE))),
        Panel("stat", "Deep sleep", "Deep sleep of the latest night.",
              latest("nights", "deep_sleep_duration_seconds", "Deep sleep"), "s", color=BLUE),
        Panel("stat", "REM sleep", "REM sleep of the latest night.", latest("nights", "rem_sleep_duration_seconds", "REM sleep"), "s", color=PURPLE),
        Panel("stat", "Time in bed", "From going to bed to getting up, latest night.",
              latest("nights", "time_in_bed_seconds", "Time in bed"), "s", color=GREY),
        Panel("stat", "Restless periods", "Periods of restlessness in the latest night.",
              latest("nights", "restless_periods", "Restless periods"), "short", color=ORANGE),
        Panel("state-timeline", "Last night's hypnogram",
              "Sleep stages of the latest night, 5-minute resolution: deep, light, REM, awake. Shows the last 2 days whatever the dashboard's range.",
              "SELECT s.ts AS \"time\", CASE s.sleep_phase WHEN 1 THEN 'deep' WHEN 2 THEN 'light' WHEN 3 THEN 'REM' "
              "WHEN 4 THEN 'awake' END AS \"Stage\" FROM oura.sleep_samples s WHERE s.user_id = $user "
              f"AND s.sleep_document_id = {LAST_NIGHT} AND s.sleep_phase IS NOT NULL ORDER BY 1",
              "none", h=5, mappings=value_colors(STAGE_COLORS), time_from="2d"),
        Panel("timeseries", "Last night's heart rate", "Heart rate during the latest night, every 5 minutes. It usually falls to its lowest in the first half of the night.",
              f"SELECT ts AS \"time\", hr_bpm AS \"Heart rate\" FROM oura.sleep_samples WHERE user_id = $user AND sleep_document_id = {LAST_NIGHT} "
              "AND hr_bpm IS NOT NULL ORDER BY 1", BPM, time_from="2d"),
        Panel("timeseries", "Last night's HRV", "Heart rate variability during the latest night, every 5 minutes.",
              f"SELECT ts AS \"time\", hrv_ms AS \"HRV\" FROM oura.sleep_samples WHERE user_id = $user AND sleep_document_id = {LAST_NIGHT} "
              "AND hrv_ms IS NOT NULL ORDER BY 1", "ms", color=PURPLE, time_from="2d"),
        Row("Nights"),
        Panel("timeseries", "Sleep stages per night", "Deep, light and REM sleep and time awake in bed, per night, stacked.",
              "SELECT $__time(day::timestamp), deep_sleep_duration_seconds AS \"Deep\", light_sleep_duration_seconds AS \"Light\", "
              f"rem_sleep_duration_seconds AS \"REM\", awake_time_seconds AS \"Awake\" {NIGHTS} ORDER BY 1",
              "s", draw=BARS, stack=True,
              overrides={"Deep": {"color": {"mode": "fixed", "fixedColor": "dark-blue"}},
                         "Light": {"color": {"mode": "fixed", "fixedColor": "blue"}},
                         "REM": {"color": {"mode": "fixed", "fixedColor": "purple"}},
                         "Awake": {"color": {"mode": "fixed", "fixedColor": "orange"}}}),
        Panel("piechart", "Share of sleep stages", "Deep, light and REM as a share of all sleep in the range.",
              "SELECT v.stage AS \"Stage\", v.seconds AS \"Time\" FROM (SELECT sum(deep_sleep_duration_seconds) AS d, "
              f"sum(light_sleep_duration_seconds) AS l, sum(rem_sleep_duration_seconds) AS r {NIGHTS}) t "
              "CROSS JOIN LATERAL (VALUES ('Deep', t.d), ('Light', t.l), ('REM', t.r)) AS v (stage, seconds)", "s"),
        Panel("timeseries", "Efficiency", "Share of time in bed asleep, per night. The green band starts at 85 %.",
              f"SELECT $__time(day::timestamp), efficiency_pct AS \"Efficiency\" {NIGHTS} ORDER BY 1",
              "percent", max=100, thresholds=steps(RED, (75, YELLOW), (85, GREEN)), threshold_line=True),
        Panel("timeseries", "Latency", "Minutes to fall asleep, per night.",
              f"SELECT $__time(day::timestamp), latency_seconds AS \"Latency\" {NIGHTS} ORDER BY 1", "s", draw=BARS),
        Panel("timeseries", "Bedtime and wake-up", "When you went to bed and woke up on your own clock, in hours from midnight (-1.5 = 22:30 the evening before, 7.25 = 07:15). Flat lines are regular sleep.",
              "SELECT $__time(day::timestamp), bedtime_start_local_hours AS \"Bedtime\", bedtime_end_local_hours AS \"Wake-up\" "
              f"{NIGHTS} ORDER BY 1", "h", decimals=1, draw=POINTS),
        Panel("stat", "Bedtime regularity", "Standard deviation of your bedtime over the range. Under 30 minutes is regular; over an hour is a jet lag of its own.",
              f"SELECT 60 * stddev_samp(bedtime_start_local_hours) AS \"Bedtime spread\" {NIGHTS}", "m", decimals=0,
              thresholds=steps(GREEN, (30, YELLOW), (60, RED))),
        Panel("stat", "Wake-up regularity", "Standard deviation of your wake-up time over the range.",
              f"SELECT 60 * stddev_samp(bedtime_end_local_hours) AS \"Wake-up spread\" {NIGHTS}", "m", decimals=0,
              thresholds=steps(GREEN, (30, YELLOW), (60, RED))),
        Panel("stat", "Naps", "Naps (Oura sleep types sleep and late_nap) in the range.",
              f"SELECT count(*) AS \"Naps\" FROM oura.sleep_episodes WHERE {DAYS} AND type IN ('sleep', 'late_nap')", "short", color=BLUE),
        Panel("stat", "Average sleep", "Mean total sleep per night over the range.",
              f"SELECT avg(total_sleep_duration_seconds) AS \"Average sleep\" {NIGHTS}", "s",
              thresholds=steps(RED, (6 * 3600, YELLOW), (7 * 3600, GREEN))),
        Panel("timeseries", "Optimal bedtime against actual bedtime",
              "Oura's recommended bedtime window (from sleep_time) and when you actually went to bed, hours from midnight (negative = the evening before).",
              "SELECT $__time(s.day::timestamp), s.sleep_time_optimal_bedtime_start_offset_seconds / 3600.0 AS \"Window start\", "
              "s.sleep_time_optimal_bedtime_end_offset_seconds / 3600.0 AS \"Window end\", n.bedtime_start_local_hours AS \"Actual bedtime\" "
              "FROM oura.daily_summaries s LEFT JOIN oura.nights n ON n.user_id = s.user_id AND n.day = s.day "
              "WHERE s.user_id = $user AND $__timeFilter(s.day) ORDER BY 1", "h", decimals=1,
              overrides={"Window start": BASELINE, "Window end": BASELINE, "Actual bedtime": {"custom.drawStyle": "points"}}),
        Panel("timeseries", "Heart rate per night", "Average and lowest heart rate of each night (Oura computes both from 30-second data).",
              "SELECT $__time(day::timestamp), average_heart_rate_bpm AS \"Average\", lowest_heart_rate_bpm AS \"Lowest\" "
              f"{NIGHTS} ORDER BY 1", BPM),
        Panel("timeseries", "Respiratory rate", "Breaths per minute during each night, with your 30-day baseline. A lasting rise of 1-2 breaths can mean illness.",
              "SELECT $__time(day::timestamp), breath_per_min AS \"Breathing\", breath_baseline_30d AS \"30-day baseline\" "
              f"FROM oura.daily_baselines WHERE {DAYS} ORDER BY 1", PER_MIN, decimals=1,
              overrides={"30-day baseline": BASELINE}),
        Panel("timeseries", "Sleep score contributors", "The seven contributors of the daily sleep score (each 1-100).",
              "SELECT $__time(day::timestamp), sleep_total_sleep_score AS \"Total sleep\", sleep_efficiency_score AS \"Efficiency\", "
              "sleep_restfulness_score AS \"Restfulness\", sleep_rem_sleep_score AS \"REM\", sleep_deep_sleep_score AS \"Deep\", "
              "sleep_latency_score AS \"Latency\", sleep_timing_score AS \"Timing\" "
              f"FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1", "none", min=0, max=100),
        Panel("timeseries", "Night sleep and naps per week", "Sleep per week: the main nights and naps (sleep and late_nap periods) apart.",
              weekly_buckets(f"SELECT bedtime_start AS at, type, total_sleep_duration_seconds AS secs FROM oura.sleep_episodes WHERE {DAYS}",
                             "coalesce(sum(e.secs) FILTER (WHERE e.type = 'long_sleep'), 0) AS \"Night sleep\", "
                             "coalesce(sum(e.secs) FILTER (WHERE e.type IN ('sleep', 'late_nap')), 0) AS \"Naps\""),
              "s", draw=BARS, stack=True),
    ])
# --------------------------------------------------------------------------------------------
READINESS_CONTRIBUTORS = [
    ("readiness_hrv_balance_score", "HRV balance"), ("readiness_resting_heart_rate_score", "Resting heart rate"),
    ("readiness_body_temperature_score", "Body temperature"), ("readiness_recovery_index_score", "Recovery index"),
    ("readiness_previous_night_score", "Previous night"), ("readiness_sleep_balance_score", "Sleep balance"),
    ("readiness_sleep_regularity_score", "Sleep regularity"), ("readiness_activity_balance_score", "Activity balance"),
    ("readiness_previous_day_activity_score", "Previous day activity")]


def columns(pairs):
    return ", ".join(f"{c} AS \"{label}\"" for c, label in pairs)


readiness = dashboard(
    "oura-readiness", "Oura · Readiness & Recovery",
    "Readiness and every contributor, HRV balance, temperature, and resilience with its contributors.",
    ["readiness"],
    [
        Row("Readiness"),
        Panel("timeseries", "Contributors: body signals", "HRV balance, resting heart rate, body temperature and recovery index contributor scores (1-100).",
              f"SELECT $__time(day::timestamp), {columns(READINESS_CONTRIBUTORS[:4])} FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1",
              "none", min=0, max=100),
        Panel("timeseries", "Contributors: sleep", "Previous night, sleep balance and sleep regularity contributor scores (1-100).",
              f"SELECT $__time(day::timestamp), {columns(READINESS_CONTRIBUTORS[4:7])} FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1",
              "none", min=0, max=100),
        Panel("timeseries", "Contributors: activity", "Activity balance and previous day activity contributor scores (1-100).",
              f"SELECT $__time(day::timestamp), {columns(READINESS_CONTRIBUTORS[7:])} FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1",
              "none", min=0, max=100),
        Panel("bargauge", "Contributors on average", "Mean of each readiness contributor over the range: the lowest bars are what holds your readiness back.",
              "SELECT v.contributor AS \"Contributor\", round(v.score::numeric, 1) AS \"Mean score\" FROM (SELECT "
              + ", ".join(f"avg({c}) AS c{i}" for i, (c, _) in enumerate(READINESS_CONTRIBUTORS))
              + f" FROM oura.daily_summaries WHERE {DAYS}) a CROSS JOIN LATERAL (VALUES "
              + ", ".join(f"('{label}', a.c{i})" for i, (_, label) in enumerate(READINESS_CONTRIBUTORS))
              + ") AS v (contributor, score) ORDER BY 2",
              "none", min=0, max=100, thresholds=SCORE_STEPS),
        Panel("timeseries", "HRV balance against its 30-day mean",
              "The HRV balance contributor per day and its mean over the 30 days before: HRV balance compares your recent HRV with your long-term average.",
              "SELECT $__time(day::timestamp), hrv AS \"HRV balance\", base AS \"30-day baseline\" FROM (SELECT day, "
              "readiness_hrv_balance_score AS hrv, avg(readiness_hrv_balance_score) OVER (ORDER BY day RANGE BETWEEN "
              "INTERVAL '30 days' PRECEDING AND INTERVAL '1 day' PRECEDING) AS base FROM oura.daily_summaries "
              "WHERE user_id = $user AND day > $__timeFrom()::date - 31 AND day <= $__timeTo()::date) t "
              "WHERE $__timeFilter(day) ORDER BY 1", "none", overrides={"30-day baseline": BASELINE}),
        Panel("stat", "Worst contributor today", "The lowest readiness contributor of the latest day, and its score.",
              "SELECT v.contributor AS \"Contributor\", v.score AS \"Score\" FROM (SELECT * FROM oura.daily_summaries "
              f"WHERE {DAYS} AND readiness_score IS NOT NULL ORDER BY day DESC LIMIT 1) s CROSS JOIN LATERAL (VALUES "
              + ", ".join(f"('{label}', s.{c})" for c, label in READINESS_CONTRIBUTORS)
              + ") AS v (contributor, score) WHERE v.score IS NOT NULL ORDER BY v.score LIMIT 1",
              "none", w=6, thresholds=SCORE_STEPS,
              options={"textMode": "value_and_name", "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": True}}),
        Panel("table", "Hardest days and what pulled them down",
              "The ten days of the range with the lowest readiness, with their lowest contributor.",
              "SELECT s.day AS \"Day\", s.readiness_score AS \"Readiness\", w.contributor AS \"Lowest contributor\", w.score AS \"Its score\" "
              f"FROM oura.daily_summaries s CROSS JOIN LATERAL (SELECT v.contributor, v.score FROM (VALUES "
              + ", ".join(f"('{label}', s.{c})" for c, label in READINESS_CONTRIBUTORS)
              + ") AS v (contributor, score) WHERE v.score IS NOT NULL ORDER BY v.score LIMIT 1) w "
              "WHERE s.user_id = $user AND $__timeFilter(s.day) AND s.readiness_score IS NOT NULL ORDER BY 2, 1 LIMIT 10",
              "none", w=18),
        Row("Temperature"),
        Panel("timeseries", "Temperature deviation and trend",
              "Body temperature deviation from your baseline (°C) and Oura's trend deviation. The shaded band marks ±0.5 °C; above it is worth a look (cycle, illness, alcohol, heat).",
              "SELECT $__time(day::timestamp), readiness_temperature_deviation_celsius AS \"Deviation\", "
              "readiness_temperature_trend_deviation_celsius AS \"Trend\" "
              f"FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1", "celsius", decimals=2,
              thresholds=steps(BLUE, (-0.5, GREEN), (0.5, ORANGE), (1.0, RED)), threshold_line=True),
        Panel("stat", "Temperature trend", "Latest temperature trend deviation, °C.",
              latest("daily_summaries", "readiness_temperature_trend_deviation_celsius", "Trend deviation"), "celsius", decimals=2,
              thresholds=steps(BLUE, (-0.5, GREEN), (0.5, ORANGE), (1.0, RED))),
        Panel("stat", "Nights with a raised temperature", "Nights in the range with a deviation above +0.5 °C.",
              f"SELECT count(*) FILTER (WHERE readiness_temperature_deviation_celsius > 0.5) AS \"Raised nights\" FROM oura.daily_summaries WHERE {DAYS}",
              "short", thresholds=steps(GREEN, (1, YELLOW), (4, ORANGE))),
        Panel("timeseries", "Readiness against your baseline, day by day",
              "Each day's readiness minus your mean of the 30 days before it: green bars are days above your usual, orange and red ones below.",
              "SELECT $__time(day::timestamp), readiness_score - readiness_baseline_30d AS \"Readiness vs baseline\" "
              f"FROM oura.daily_baselines WHERE {DAYS} ORDER BY 1", "none", draw=BARS, decimals=1, w=8,
              thresholds=ABOVE_BASELINE_STEPS, overrides={"Readiness vs baseline": {"color": {"mode": "thresholds"}}}),
        Row("Resilience"),
        Panel("timeseries", "Resilience contributors", "Sleep recovery, daytime recovery and stress contributors of resilience (0-100).",
              "SELECT $__time(day::timestamp), resilience_sleep_recovery_score AS \"Sleep recovery\", "
              "resilience_daytime_recovery_score AS \"Daytime recovery\", resilience_stress_score AS \"Stress\" "
              f"FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1", "none", min=0, max=100),
        Panel("stat", "Resilience", "Latest resilience level: limited, adequate, solid, strong or exceptional.",
              latest("daily_summaries", "resilience_level", "Resilience"), "none", w=4,
              options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "/^Resilience$/", "values": False}},
              mappings=value_colors({"limited": "red", "adequate": "orange", "solid": "yellow", "strong": "green", "exceptional": "dark-green"})),
        Panel("piechart", "Days by resilience level", "How many days of the range had each resilience level.",
              f"SELECT resilience_level AS \"Level\", count(*) AS \"Days\" FROM oura.daily_summaries WHERE {DAYS} "
              "AND resilience_level IS NOT NULL GROUP BY 1 ORDER BY 2 DESC", "short", w=8),
        Panel("state-timeline", "Resilience level per day", "Your resilience level day by day.",
              f"SELECT $__time(day::timestamp), resilience_level AS \"Resilience\" FROM oura.daily_summaries WHERE {DAYS} "
              "AND resilience_level IS NOT NULL ORDER BY 1", "none", h=5,
              mappings=value_colors({"limited": "red", "adequate": "orange", "solid": "yellow", "strong": "green", "exceptional": "dark-green"})),
    ])

# --------------------------------------------------------------------------------------------
WORKOUTS = f"FROM oura.workouts WHERE user_id = $user AND $__timeFilter(start_at)"

activity = dashboard(
    "oura-activity", "Oura · Activity & Workouts",
    "Steps, calories, MET minutes, time by activity level, inactivity, and workouts by type and intensity.",
    ["activity"],
    [
        Row("Latest day"),
        Panel("stat", "Steps, latest day", "Steps of the latest day against your 30-day mean: red when under 70 % of your usual.",
              "SELECT steps AS \"Steps\", 100.0 * steps / nullif(steps_baseline_30d, 0) AS \"% of your usual\" FROM oura.daily_baselines "
              f"WHERE {DAYS} AND steps IS NOT NULL ORDER BY day DESC LIMIT 1", "short",
              overrides={"% of your usual": {"unit": "percent", "decimals": 0,
                                             "thresholds": steps(RED, (70, YELLOW), (90, GREEN))}},
              options={"colorMode": "value"}, w=6),
        Panel("stat", "Active calories", "Calories burnt through activity on the latest day.",
              latest("daily_summaries", "activity_active_calories_kcal", "Active calories"), KCAL, color=ORANGE),
        Panel("stat", "Walking distance", "Distance equivalent to the day's activity, walked.",
              latest("daily_summaries", "activity_equivalent_walking_distance_meters", "Distance"), "lengthm", color=BLUE),
        Panel("stat", "Inactivity alerts", "Inactivity alerts of the latest day.",
              latest("daily_summaries", "activity_inactivity_alerts", "Inactivity alerts"), "short",
              thresholds=steps(GREEN, (2, YELLOW), (4, RED))),
        Panel("stat", "Workouts in range", "Workouts recorded in the range.",
              f"SELECT count(*) AS \"Workouts\" {WORKOUTS}", "short", color=GREEN, w=6),
        Row("Days"),
        Panel("timeseries", "Steps", "Steps per day with your 30-day baseline and 7-day mean.",
              "SELECT $__time(day::timestamp), steps AS \"Steps\", steps_baseline_30d AS \"30-day baseline\", steps_avg_7d AS \"7-day mean\" "
              f"FROM oura.daily_baselines WHERE {DAYS} ORDER BY 1", "short",
              overrides={"Steps": {"custom.drawStyle": "bars", "custom.fillOpacity": 60}, **BASELINE_OVERRIDES}),
        Panel("timeseries", "Calories", "Active and total calories per day, and Oura's active-calorie target.",
              "SELECT $__time(day::timestamp), activity_active_calories_kcal AS \"Active\", activity_total_calories_kcal AS \"Total\", "
              f"activity_target_calories_kcal AS \"Target\" FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1", KCAL,
              overrides={"Target": BASELINE}),
        Panel("timeseries", "MET minutes by intensity", "MET minutes per day in high, medium and low activity, stacked. WHO's 150 minutes of moderate activity a week is about 600 MET minutes.",
              "SELECT $__time(day::timestamp), activity_high_activity_met_minutes AS \"High\", activity_medium_activity_met_minutes AS \"Medium\", "
              f"activity_low_activity_met_minutes AS \"Low\" FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1",
              "suffix: MET·min", draw=BARS, stack=True),
        Panel("timeseries", "Time by activity level", "Hours per day at each activity level, stacked, non-wear included.",
              "SELECT $__time(day::timestamp), activity_high_activity_time_seconds AS \"High\", activity_medium_activity_time_seconds AS \"Medium\", "
              "activity_low_activity_time_seconds AS \"Low\", activity_sedentary_time_seconds AS \"Sedentary\", "
              "activity_resting_time_seconds AS \"Resting\", activity_non_wear_time_seconds AS \"Non-wear\" "
              f"FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1", "s", draw=BARS, stack=True),
        Panel("timeseries", "Inactivity alerts", "Inactivity alerts per day: each is an hour without moving.",
              f"SELECT $__time(day::timestamp), activity_inactivity_alerts AS \"Alerts\" FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1",
              "short", draw=BARS, w=8),
        Panel("timeseries", "Activity score contributors", "The six contributors of the activity score (1-100).",
              "SELECT $__time(day::timestamp), activity_stay_active_score AS \"Stay active\", activity_move_every_hour_score AS \"Move every hour\", "
              "activity_meet_daily_targets_score AS \"Meet daily targets\", activity_training_frequency_score AS \"Training frequency\", "
              "activity_training_volume_score AS \"Training volume\", activity_recovery_time_score AS \"Recovery time\" "
              f"FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1", "none", min=0, max=100, w=16),
        Panel("timeseries", "Latest day, minute by minute", "MET level of each minute of the latest activity day (1 = at rest). Shows the last day whatever the dashboard's range.",
              "SELECT m.at AS \"time\", m.met AS \"MET\" FROM (SELECT s.activity_met_start_at + (x.i - 1) * s.activity_met_interval_seconds "
              "* interval '1 second' AS at, x.met FROM oura.daily_summaries s CROSS JOIN LATERAL unnest(s.activity_met_1min) "
              "WITH ORDINALITY AS x (met, i) WHERE s.user_id = $user AND s.day >= $__timeFrom()::date - 1 AND s.day <= $__timeTo()::date) m "
              "WHERE $__timeFilter(m.at) ORDER BY 1", "none", decimals=1, w=24, time_from="1d"),
        Row("Workouts"),
        Panel("timeseries", "Workouts per week by type", "Number of workouts each week, by activity.",
              f"SELECT $__timeGroupAlias(start_at, '1w'), activity AS metric, count(*) AS value {WORKOUTS} GROUP BY 1, 2 ORDER BY 1",
              "short", draw=BARS, stack=True),
        Panel("timeseries", "Workout time per week by intensity", "Time spent in workouts each week, by intensity (easy, moderate, hard).",
              "SELECT $__timeGroupAlias(start_at, '1w'), intensity AS metric, sum(extract(epoch FROM end_at - start_at)) AS value "
              f"{WORKOUTS} GROUP BY 1, 2 ORDER BY 1", "s", draw=BARS, stack=True),
        Panel("piechart", "Workout time by activity", "Share of workout time per activity over the range.",
              f"SELECT activity AS \"Activity\", sum(extract(epoch FROM end_at - start_at)) AS \"Time\" {WORKOUTS} GROUP BY 1 ORDER BY 2 DESC", "s", w=8),
        Panel("table", "Workouts", "Every workout of the range, newest first.",
              "SELECT start_at AS \"Start\", activity AS \"Activity\", intensity AS \"Intensity\", "
              "extract(epoch FROM end_at - start_at) AS \"Duration\", calories_kcal AS \"Calories\", distance_meters AS \"Distance\", "
              f"source AS \"Source\" {WORKOUTS} ORDER BY start_at DESC", "none", w=16,
              overrides={"Start": {"unit": "dateTimeAsLocal"}, "Duration": {"unit": "s"}, "Calories": {"unit": KCAL, "decimals": 0},
                         "Distance": {"unit": "lengthm", "decimals": 0}}),
    ])

# --------------------------------------------------------------------------------------------
HR = "FROM oura.heart_rate_samples WHERE user_id = $user AND $__timeFilter(ts)"
# The hourly rollup (migration 0018): ~24 rows a day instead of ~1,000 samples, for panels over
# days to years. An hour counts when it starts inside the range.
HOURLY = "FROM oura.heart_rate_hourly WHERE user_id = $user AND $__timeFilter(hour)"

heart = dashboard(
    "oura-heart", "Oura · Heart",
    "Heart rate through the day and night: daily range, by source, the last 24 hours, resting heart rate, workouts.",
    ["heart"],
    [
        Panel("stat", "Latest heart rate", "The newest heart-rate sample in the range.",
              f"SELECT bpm AS \"Heart rate\" {HR} ORDER BY ts DESC LIMIT 1", BPM, color=RED),
        Panel("stat", "Lowest in range", "Lowest heart rate of the range, any source.",
              f"SELECT min(bpm_min) AS \"Lowest\" {HOURLY}", BPM, color=BLUE),
        Panel("stat", "Highest in range", "Highest heart rate of the range, any source (workouts usually).",
              f"SELECT max(bpm_max) AS \"Highest\" {HOURLY}", BPM, color=ORANGE),
        Panel("stat", "Resting heart rate, latest night", "Lowest heart rate of the latest night against your 30-day mean.",
              "SELECT resting_hr_bpm AS \"Resting\", resting_hr_bpm - resting_hr_baseline_30d AS \"vs baseline\" FROM oura.daily_baselines "
              f"WHERE {DAYS} AND resting_hr_bpm IS NOT NULL ORDER BY day DESC LIMIT 1", BPM, w=8,
              overrides={"vs baseline": {"decimals": 1, "thresholds": steps(GREEN, (1, YELLOW), (3, ORANGE), (5, RED))}},
              options={"colorMode": "value"}),
        Panel("piechart", "Samples by source", "Where the range's heart-rate samples came from: awake, sleep, rest, workout, session, live.",
              f"SELECT source AS \"Source\", sum(samples) AS \"Samples\" {HOURLY} GROUP BY 1 ORDER BY 2 DESC", "short", w=4, h=4),
        Panel("timeseries", "Daily heart-rate range", "Lowest, mean and highest heart rate of each day (UTC days).",
              f"SELECT $__timeGroupAlias(hour, '1d', NULL), min(bpm_min) AS \"Lowest\", sum(bpm_sum)::float8 / sum(samples) AS \"Mean\", "
              f"max(bpm_max) AS \"Highest\" {HOURLY} GROUP BY 1 ORDER BY 1",
              BPM, overrides={"Lowest": {"color": {"mode": "fixed", "fixedColor": "blue"}},
                              "Highest": {"color": {"mode": "fixed", "fixedColor": "red"}}}),
        Panel("timeseries", "Heart rate by source", "Daily mean heart rate per source: sleep lowest, workouts highest.",
              f"SELECT $__timeGroupAlias(hour, '1d'), source AS metric, sum(bpm_sum)::float8 / sum(samples) AS value {HOURLY} GROUP BY 1, 2 ORDER BY 1", BPM),
        Panel("timeseries", "Last 24 hours", "Heart rate over the last 24 hours of the range, 5-minute means.",
              f"SELECT $__timeGroupAlias(ts, '5m'), avg(bpm) AS \"Heart rate\" {HR} AND ts > $__timeTo()::timestamptz - interval '24 hours' "
              "GROUP BY 1 ORDER BY 1", BPM, w=24, color=RED),
        Panel("timeseries", "Resting heart rate per week", "Weekly mean and lowest of your nightly lowest heart rate: the long trend of your fitness and recovery.",
              f"SELECT $__timeGroupAlias(day::timestamp, '1w'), avg(lowest_heart_rate_bpm) AS \"Weekly mean\", min(lowest_heart_rate_bpm) AS \"Weekly lowest\" "
              f"{NIGHTS} GROUP BY 1 ORDER BY 1", BPM),
        Panel("barchart", "Heart rate by hour of day", "Mean heart rate for each hour of your day (your clock, from the UTC offset of your latest daily data) over the range.",
              "SELECT lpad(h::text, 2, '0') || ':00' AS \"Hour\", sum(bpm_sum)::float8 / sum(samples) AS \"Mean heart rate\" FROM (SELECT extract(hour FROM hour AT TIME ZONE "
              "make_interval(mins => coalesce((SELECT readiness_utc_offset_minutes FROM oura.daily_summaries WHERE user_id = $user "
              "AND readiness_utc_offset_minutes IS NOT NULL ORDER BY day DESC LIMIT 1), 0)))::int AS h, bpm_sum, samples "
              f"{HOURLY} AND source IN ('awake', 'sleep', 'rest')) t GROUP BY h ORDER BY h", BPM, x_field="Hour"),
        Panel("table", "Heart rate in workouts", "Mean and peak heart rate of the latest 50 workouts of the range, from the workout samples.",
              "SELECT w.start_at AS \"Start\", w.activity AS \"Activity\", w.intensity AS \"Intensity\", h.mean AS \"Mean\", h.peak AS \"Peak\" "
              "FROM (SELECT * FROM oura.workouts WHERE user_id = $user AND $__timeFilter(start_at) ORDER BY start_at DESC LIMIT 50) w "
              "CROSS JOIN LATERAL (SELECT avg(bpm) AS mean, max(bpm) AS peak FROM oura.heart_rate_samples "
              "WHERE user_id = $user AND ts >= w.start_at AND ts < w.end_at AND source = 'workout') h "
              "WHERE h.peak IS NOT NULL ORDER BY 1 DESC",
              BPM, w=24, overrides={"Start": {"unit": "dateTimeAsLocal"}, "Mean": {"decimals": 0}}),
    ])

# --------------------------------------------------------------------------------------------
STRESS_COLORS = {"restored": "green", "normal": "blue", "stressful": "red"}

stress = dashboard(
    "oura-stress-health", "Oura · Stress & Health",
    "Daytime stress and recovery, blood oxygen and breathing, cardiovascular age, pulse wave velocity and VO2 max.",
    ["stress", "health"],
    [
        Row("Stress"),
        Panel("stat", "High stress, latest day", "Time in the high-stress zone on the latest day.",
              latest("daily_summaries", "stress_high_seconds", "High stress"), "s", thresholds=steps(GREEN, (3600, YELLOW), (3 * 3600, RED))),
        Panel("stat", "Recovery, latest day", "Time in the high-recovery zone on the latest day.",
              latest("daily_summaries", "stress_recovery_high_seconds", "Recovery"), "s", thresholds=steps(ORANGE, (1800, YELLOW), (3600, GREEN))),
        Panel("stat", "Stress against your average", "Latest day's high-stress time as a percentage of your mean over the range.",
              f"SELECT 100.0 * (SELECT stress_high_seconds FROM oura.daily_summaries WHERE {DAYS} AND stress_high_seconds IS NOT NULL "
              f"ORDER BY day DESC LIMIT 1) / nullif((SELECT avg(stress_high_seconds) FROM oura.daily_summaries WHERE {DAYS}), 0) AS \"Of your average\"",
              "percent", decimals=0, thresholds=steps(GREEN, (110, YELLOW), (150, RED))),
        Panel("piechart", "Days by summary", "How the days of the range were summed up: restored, normal or stressful.",
              f"SELECT stress_day_summary AS \"Summary\", count(*) AS \"Days\" FROM oura.daily_summaries WHERE {DAYS} "
              "AND stress_day_summary IS NOT NULL GROUP BY 1 ORDER BY 2 DESC", "short", w=6, h=4),
        Panel("stat", "Stressful days", "Days summed up as stressful in the range.",
              f"SELECT count(*) FILTER (WHERE stress_day_summary = 'stressful') AS \"Stressful days\" FROM oura.daily_summaries WHERE {DAYS}",
              "short", thresholds=steps(GREEN, (3, YELLOW), (7, RED)), w=6),
        Panel("timeseries", "Stress and recovery per day", "Time in high stress and in high recovery per day. More recovery than stress is the goal.",
              "SELECT $__time(day::timestamp), stress_high_seconds AS \"High stress\", stress_recovery_high_seconds AS \"Recovery\" "
              f"FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1", "s", draw=BARS,
              overrides={"High stress": {"color": {"mode": "fixed", "fixedColor": "red"}},
                         "Recovery": {"color": {"mode": "fixed", "fixedColor": "green"}}}),
        Panel("state-timeline", "Day summary", "Each day's stress summary.",
              f"SELECT $__time(day::timestamp), stress_day_summary AS \"Summary\" FROM oura.daily_summaries WHERE {DAYS} "
              "AND stress_day_summary IS NOT NULL ORDER BY 1", "none", h=5, w=12, mappings=value_colors(STRESS_COLORS)),
        Row("Blood oxygen and breathing"),
        Panel("stat", "SpO2, latest night", "Average blood oxygen saturation of the latest night.",
              latest("daily_summaries", "spo2_average_pct", "SpO2"), "percent", decimals=1, thresholds=steps(RED, (92, YELLOW), (95, GREEN))),
        Panel("stat", "Breathing disturbance, latest night", "Breathing disturbance index of the latest night (0-100): under 5 is few disturbances.",
              latest("daily_summaries", "spo2_breathing_disturbance_index", "Breathing disturbance"), "none",
              thresholds=steps(GREEN, (5, YELLOW), (15, RED))),
        Panel("timeseries", "Blood oxygen (SpO2)", "Average night-time SpO2 per night. The band below 95 % marks low values.",
              f"SELECT $__time(day::timestamp), spo2_average_pct AS \"SpO2\" FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1",
              "percent", decimals=1, thresholds=steps(RED, (92, YELLOW), (95, GREEN)), threshold_line=True, w=8),
        Panel("timeseries", "Breathing disturbance index", "Breathing disturbances per night (0-100).",
              f"SELECT $__time(day::timestamp), spo2_breathing_disturbance_index AS \"Breathing disturbance\" FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1",
              "none", draw=BARS, thresholds=steps(GREEN, (5, YELLOW), (15, RED)), threshold_line=True, w=8),
        Panel("timeseries", "Moments per week", "Guided sessions (Oura Moments: breathing, meditation, nap, relaxation, rest, body status) per week, by total minutes.",
              weekly_buckets("SELECT start_at AS at, extract(epoch FROM end_at - start_at) AS secs FROM oura.sessions "
                             "WHERE user_id = $user AND $__timeFilter(start_at)",
                             "coalesce(sum(e.secs), 0) AS \"Time in Moments\", count(e.at) AS \"Moments\""),
              "s", draw=BARS, w=12, overrides={"Moments": {"unit": "short", "custom.drawStyle": "points", "custom.axisPlacement": "right"}}),
        Row("Heart health"),
        Panel("stat", "Cardiovascular age", "Latest vascular age estimate (an age in years).",
              latest("daily_summaries", "vascular_age_years", "Vascular age", AS_OF), YEARS, color=PURPLE),
        Panel("stat", "Cardiovascular age vs your age", "Latest vascular age minus your age: negative means your arteries behave younger than you are.",
              "SELECT s.vascular_age_years - p.age AS \"Vascular minus real age\" FROM oura.daily_summaries s JOIN oura.personal_info p "
              f"ON p.user_id = s.user_id WHERE s.user_id = $user AND s.day <= $__timeTo()::date AND s.vascular_age_years IS NOT NULL "
              "ORDER BY s.day DESC LIMIT 1", YEARS, thresholds=steps(GREEN, (1, YELLOW), (5, RED))),
        Panel("stat", "VO2 max", "Latest VO2 max estimate (ml/kg/min) as of the end of the range; Oura measures it every week or two.",
              latest("daily_summaries", "vo2_max_ml_kg_min", "VO2 max", AS_OF), "suffix: ml/kg/min", decimals=1, color=GREEN),
        Panel("timeseries", "Cardiovascular age against your age", "Vascular age per day beside your age from personal info.",
              "SELECT $__time(s.day::timestamp), s.vascular_age_years AS \"Vascular age\", p.age AS \"Your age\" FROM oura.daily_summaries s "
              "LEFT JOIN oura.personal_info p ON p.user_id = s.user_id WHERE s.user_id = $user AND $__timeFilter(s.day) ORDER BY 1",
              YEARS, overrides={"Your age": BASELINE}),
        Panel("timeseries", "Pulse wave velocity", "How fast the pulse travels along the arteries (m/s): stiffer arteries carry it faster.",
              f"SELECT $__time(day::timestamp), pulse_wave_velocity_m_per_s AS \"Pulse wave velocity\" FROM oura.daily_summaries WHERE {DAYS} ORDER BY 1",
              "velocityms", decimals=2),
        Panel("timeseries", "VO2 max", "The VO2 max estimate in effect each day (the latest measurement on or before it), and the days it was measured.",
              "SELECT $__time(d.day::timestamp), v.vo2 AS \"VO2 max\", CASE WHEN d.vo2_max_id IS NOT NULL THEN d.vo2_max_ml_kg_min END AS \"Measured\" "
              "FROM oura.daily_summaries d CROSS JOIN LATERAL (SELECT x.vo2_max_ml_kg_min AS vo2 FROM oura.daily_summaries x "
              "WHERE x.user_id = d.user_id AND x.day <= d.day AND x.vo2_max_ml_kg_min IS NOT NULL ORDER BY x.day DESC LIMIT 1) v "
              "WHERE d.user_id = $user AND $__timeFilter(d.day) ORDER BY 1", "suffix: ml/kg/min", decimals=1, w=24,
              overrides={"Measured": {"custom.drawStyle": "points", "custom.pointSize": 9}}),
    ])

# --------------------------------------------------------------------------------------------
TAGS = "FROM oura.tag_days WHERE user_id = $user AND $__timeFilter(day)"

tags = dashboard(
    "oura-tags-insights", "Oura · Tags & Insights",
    "What you tagged and what followed, weekday patterns, and which of your numbers move together.",
    ["tags", "insights"],
    [
        Panel("table", "Tag timeline", "Every tag of the range, newest first: enhanced tags and legacy tag notes.",
              f"SELECT day AS \"Day\", tag AS \"Tag\", start_at AS \"Time\", comment AS \"Comment\", source AS \"Source\" {TAGS} ORDER BY day DESC, start_at DESC NULLS LAST",
              "none", w=12, overrides={"Time": {"unit": "dateTimeAsLocal"}}),
        Panel("timeseries", "Tags per week", "How often each tag was set, per week.",
              f"SELECT $__timeGroupAlias(day::timestamp, '1w'), tag AS metric, count(*) AS value {TAGS} GROUP BY 1, 2 ORDER BY 1",
              "short", draw=BARS, stack=True),
        Panel("table", "The day after each tag",
              "For each tag: how often it was set and, on the next day, readiness, sleep score, HRV and resting heart rate against your 30-day baseline (positive readiness and HRV, negative heart rate are good).",
              "SELECT tag AS \"Tag\", count(*) AS \"Times\", round(avg(next_readiness_score), 1) AS \"Next-day readiness\", "
              "round(avg(next_readiness_vs_baseline), 1) AS \"Readiness vs baseline\", round(avg(next_sleep_vs_baseline), 1) AS \"Sleep vs baseline\", "
              "round(avg(next_hrv_vs_baseline_ms)::numeric, 1) AS \"HRV vs baseline (ms)\", round(avg(next_resting_hr_vs_baseline_bpm), 1) AS \"Resting HR vs baseline (bpm)\" "
              "FROM oura.tag_next_day WHERE user_id = $user AND $__timeFilter(day) GROUP BY 1 ORDER BY 4",
              "none", w=24, overrides={"Readiness vs baseline": {"thresholds": ABOVE_BASELINE_STEPS,
                                                                 "custom.cellOptions": {"type": "color-text"}}}),
        Panel("barchart", "Next-day readiness by tag", "Mean next-day readiness against your baseline after each tag: bars below zero mark tags followed by worse days.",
              "SELECT tag AS \"Tag\", avg(next_readiness_vs_baseline) AS \"Readiness vs baseline\" FROM oura.tag_next_day "
              "WHERE user_id = $user AND $__timeFilter(day) AND next_readiness_vs_baseline IS NOT NULL GROUP BY 1 ORDER BY 2",
              "none", decimals=1, x_field="Tag", thresholds=steps(RED, (0, GREEN)), color=None),
        Panel("barchart", "Scores by weekday", "Mean readiness, sleep and activity score for each weekday of the range.",
              "SELECT to_char(day, 'Dy') AS \"Weekday\", avg(readiness_score) AS \"Readiness\", avg(sleep_score) AS \"Sleep\", "
              f"avg(activity_score) AS \"Activity\" FROM oura.daily_summaries WHERE {DAYS} GROUP BY extract(isodow FROM day), 1 "
              "ORDER BY extract(isodow FROM day)", "none", decimals=0, x_field="Weekday"),
        Panel("barchart", "Steps by weekday", "Mean steps for each weekday of the range.",
              "SELECT to_char(day, 'Dy') AS \"Weekday\", avg(activity_steps) AS \"Steps\" "
              f"FROM oura.daily_summaries WHERE {DAYS} GROUP BY extract(isodow FROM day), 1 ORDER BY extract(isodow FROM day)",
              "short", decimals=0, x_field="Weekday"),
        Panel("barchart", "Sleep score by bedtime", "Mean sleep score by the half hour you went to bed: where your best nights start.",
              "SELECT to_char(time '00:00' + make_interval(mins => ((floor(n.bedtime_start_local_hours * 2)::int * 30) % 1440 + 1440) % 1440), "
              "'HH24:MI') AS \"Bedtime\", avg(s.sleep_score) AS \"Sleep score\" FROM oura.nights n JOIN oura.daily_summaries s "
              "ON s.user_id = n.user_id AND s.day = n.day WHERE n.user_id = $user AND $__timeFilter(n.day) "
              "GROUP BY floor(n.bedtime_start_local_hours * 2), 1 ORDER BY floor(n.bedtime_start_local_hours * 2)",
              "none", decimals=0, x_field="Bedtime"),
        Panel("table", "Correlations", "Pearson correlation over the range (-1 to 1) between pairs of your numbers, with the number of days. |r| above 0.3 is a noticeable link; it says nothing about cause.",
              "WITH d AS (SELECT b.day, b.readiness_score, b.sleep_score, b.steps, b.hrv_ms, b.resting_hr_bpm, n.bedtime_start_local_hours AS bedtime, "
              "s.stress_high_seconds, lead(b.readiness_score) OVER (ORDER BY b.day) AS next_readiness, "
              "lead(b.sleep_score) OVER (ORDER BY b.day) AS next_sleep FROM oura.daily_baselines b "
              "LEFT JOIN oura.nights n ON n.user_id = b.user_id AND n.day = b.day "
              "LEFT JOIN oura.daily_summaries s ON s.user_id = b.user_id AND s.day = b.day "
              "WHERE b.user_id = $user AND $__timeFilter(b.day)) "
              "SELECT v.pair AS \"Pair\", round(v.r::numeric, 2) AS \"r\", v.n AS \"Days\" FROM (SELECT "
              "corr(sleep_score, readiness_score) AS a1, count(sleep_score * readiness_score) AS n1, "
              "corr(hrv_ms, readiness_score) AS a2, count(hrv_ms * readiness_score) AS n2, "
              "corr(resting_hr_bpm, readiness_score) AS a3, count(resting_hr_bpm * readiness_score) AS n3, "
              "corr(steps, next_sleep) AS a4, count(steps * next_sleep) AS n4, "
              "corr(bedtime, sleep_score) AS a5, count(bedtime * sleep_score) AS n5, "
              "corr(stress_high_seconds, next_readiness) AS a6, count(stress_high_seconds * next_readiness) AS n6, "
              "corr(steps, next_readiness) AS a7, count(steps * next_readiness) AS n7 FROM d) c "
              "CROSS JOIN LATERAL (VALUES ('Sleep score → readiness', c.a1, c.n1), ('HRV → readiness', c.a2, c.n2), "
              "('Resting heart rate → readiness', c.a3, c.n3), ('Steps → next night''s sleep score', c.a4, c.n4), "
              "('Bedtime (later) → sleep score', c.a5, c.n5), ('High stress → next-day readiness', c.a6, c.n6), "
              "('Steps → next-day readiness', c.a7, c.n7)) AS v (pair, r, n) ORDER BY abs(v.r) DESC NULLS LAST",
              "none", w=12, overrides={"r": {"decimals": 2, "min": -1, "max": 1}}),
        Panel("state-timeline", "Rest mode", "Days you had rest mode on (Oura pauses activity goals while you recover).",
              "SELECT $__time(d.day::timestamp), CASE WHEN EXISTS (SELECT 1 FROM oura.rest_mode_periods r WHERE r.user_id = d.user_id "
              "AND r.start_day <= d.day AND (r.end_day IS NULL OR r.end_day >= d.day)) THEN 'rest mode' ELSE 'normal' END AS \"Mode\" "
              "FROM oura.daily_summaries d WHERE d.user_id = $user AND $__timeFilter(d.day) ORDER BY 1", "none", h=4,
              mappings=value_colors({"rest mode": "purple", "normal": "transparent"})),
    ])

# --------------------------------------------------------------------------------------------
DAILY_SOURCES = [("daily_readiness_id", "Readiness"), ("daily_sleep_id", "Daily sleep"), ("daily_activity_id", "Activity"),
                 ("daily_spo2_id", "SpO2"), ("daily_stress_id", "Stress"), ("daily_resilience_id", "Resilience"),
                 ("daily_cardiovascular_age_id", "Cardiovascular age"), ("vo2_max_id", "VO2 max"), ("sleep_time_id", "Sleep time")]
JOB_STATES = ["pending", "running", "waiting_token", "succeeded", "failed", "dead", "cancelled"]
FAILING = "('error', 'scope_missing', 'forbidden')"

pipeline = dashboard(
    "oura-pipeline", "Oura · Pipeline",
    "Is the copy of everyone's data fresh and complete? Freshness per person and resource, rows ingested, sync runs, jobs, webhooks, coverage, table sizes.",
    ["pipeline"],
    [
        Row("Freshness"),
        Panel("stat", "Oldest successful sync", "Longest time since any person × resource last synced successfully. The poller runs hourly: over 2 hours means something is stuck.",
              "SELECT coalesce(max(extract(epoch FROM now() - s.last_success_at)), 0) AS \"Oldest success\" FROM oura.sync_state s "
              "JOIN oura.users u ON u.user_id = s.user_id WHERE u.status = 'active'", "s",
              thresholds=steps(GREEN, (2 * 3600, YELLOW), (24 * 3600, RED))),
        Panel("stat", "Resources failing", "Person × resource pairs whose last sync failed (error, missing scope or forbidden).",
              f"SELECT count(*) FILTER (WHERE status IN {FAILING}) AS \"Failing\" FROM oura.sync_state", "short",
              thresholds=steps(GREEN, (1, RED))),
        Panel("stat", "People to reconnect", "People whose Oura grant was revoked: they must connect again before anything syncs.",
              "SELECT count(*) FILTER (WHERE status = 'revoked') AS \"To reconnect\" FROM oura.users", "short",
              thresholds=steps(GREEN, (1, RED))),
        Panel("stat", "People", "Active people whose data the platform copies.",
              "SELECT count(*) FILTER (WHERE status = 'active') AS \"Active people\" FROM oura.users", "short", color=BLUE),
        Panel("stat", "Last poller run", "Time since the last poller run started.",
              "SELECT coalesce(extract(epoch FROM now() - max(started_at)), 0) AS \"Since last run\" FROM oura.sync_runs WHERE kind = 'poller'",
              "s", thresholds=steps(GREEN, (2 * 3600, YELLOW), (6 * 3600, RED))),
        Panel("stat", "Failed runs in range", "Sync runs in the range that failed, were partial or died.",
              "SELECT count(*) FILTER (WHERE status IN ('failed', 'partial', 'abandoned')) AS \"Failed runs\" FROM oura.sync_runs "
              "WHERE $__timeFilter(started_at)", "short", thresholds=steps(GREEN, (1, ORANGE), (3, RED))),
        Panel("table", "Freshness per person and resource", "Every person × resource: status, time since the last success, failures in a row and the last error. Sorted stalest first.",
              "SELECT coalesce(u.display_name, u.email, u.oura_user_id, 'user ' || u.user_id) AS \"Person\", s.resource AS \"Resource\", "
              "s.status AS \"Status\", extract(epoch FROM now() - s.last_success_at) AS \"Since last success\", "
              "s.consecutive_failures AS \"Failures in a row\", s.last_sample_at AS \"Newest sample\", s.last_error AS \"Last error\" "
              "FROM oura.sync_state s JOIN oura.users u ON u.user_id = s.user_id ORDER BY 4 DESC NULLS FIRST, 1, 2",
              "none", w=24, h=10,
              overrides={"Since last success": {"unit": "s", "thresholds": steps(GREEN, (2 * 3600, YELLOW), (24 * 3600, RED)),
                                                "custom.cellOptions": {"type": "color-background"}},
                         "Newest sample": {"unit": "dateTimeAsLocal"},
                         "Status": {"mappings": value_colors({"ok": "green", "error": "red", "scope_missing": "orange",
                                                             "forbidden": "red", "never": "text"}),
                                    "custom.cellOptions": {"type": "color-text"}}}),
        Row("Ingestion"),
        Panel("timeseries", "Rows written per hour, by resource", "Documents and samples inserted, updated or deleted by sync runs, per hour of the run's start.",
              "SELECT $__timeGroupAlias(started_at, '1h', 0), resource AS metric, sum(inserted + updated + deleted) AS value "
              "FROM oura.sync_run_resources WHERE $__timeFilter(started_at) GROUP BY 1, 2 ORDER BY 1", "short", draw=BARS, stack=True),
        Panel("timeseries", "Sync run duration", "How long each sync run took, by kind (poller, backfill, webhook, admin).",
              "SELECT $__time(started_at), kind AS metric, extract(epoch FROM coalesce(finished_at, now()) - started_at) AS value "
              "FROM oura.sync_runs WHERE $__timeFilter(started_at) ORDER BY 1", "s", draw=POINTS),
        Panel("timeseries", "Documents first seen per day", "New documents stored per day, by resource (from the raw store's arrival times, no payloads read).",
              "SELECT $__timeGroupAlias(first_seen_at, '1d'), resource AS metric, count(*) AS value FROM oura.document_ingest "
              "WHERE $__timeFilter(first_seen_at) GROUP BY 1, 2 ORDER BY 1", "short", draw=BARS, stack=True),
        Panel("timeseries", "Heart-rate samples per day", "Heart-rate samples stored per day for this person: gaps are days the ring was off or not synced.",
              f"SELECT $__timeGroupAlias(hour, '1d', 0), sum(samples) AS \"Samples\" {HOURLY} GROUP BY 1 ORDER BY 1", "short", draw=BARS),
        Panel("table", "Recent sync runs", "The latest 50 sync runs of the range with their outcome.",
              "SELECT started_at AS \"Started\", kind AS \"Kind\", status AS \"Status\", extract(epoch FROM finished_at - started_at) AS \"Duration\", "
              "(summary ->> 'failures')::int AS \"Failures\", error AS \"Error\" FROM oura.sync_runs WHERE $__timeFilter(started_at) "
              "ORDER BY started_at DESC LIMIT 50", "none",
              overrides={"Started": {"unit": "dateTimeAsLocal"}, "Duration": {"unit": "s"}}),
        Panel("bargauge", "Coverage per resource", "Share of the range's days on which each daily resource has data for this person. VO2 max is measured only every week or two.",
              "SELECT v.resource AS \"Resource\", 100.0 * v.days / greatest($__timeTo()::date - $__timeFrom()::date + 1, 1) AS \"Days covered\" "
              "FROM (SELECT " + ", ".join(f"count({c}) AS c{i}" for i, (c, _) in enumerate(DAILY_SOURCES))
              + f" FROM oura.daily_summaries WHERE {DAYS}) a CROSS JOIN LATERAL (VALUES "
              + ", ".join(f"('{label}', a.c{i})" for i, (_, label) in enumerate(DAILY_SOURCES))
              + ") AS v (resource, days) ORDER BY 2", "percent", min=0, max=100,
              thresholds=steps(RED, (50, YELLOW), (90, GREEN))),
        Panel("timeseries", "Ring battery", "Ring battery level (hourly mean) for this person: a ring that is never charged stops sending data.",
              "SELECT $__timeGroupAlias(ts, '1h'), avg(level) AS \"Battery\" FROM oura.ring_battery_levels "
              "WHERE user_id = $user AND $__timeFilter(ts) GROUP BY 1 ORDER BY 1", "percent", min=0, max=100,
              thresholds=steps(RED, (20, YELLOW), (40, GREEN)), threshold_line=True),
        Row("Jobs and webhooks"),
        Panel("bargauge", "Jobs by state", "Jobs of the durable queue by state. Dead jobs used up their attempts and need an operator.",
              "SELECT s.state AS \"State\", count(j.id) AS \"Jobs\" FROM (VALUES "
              + ", ".join(f"('{s}', {i})" for i, s in enumerate(JOB_STATES))
              + ") AS s (state, ord) LEFT JOIN oura.jobs j ON j.state = s.state GROUP BY s.state, s.ord ORDER BY s.ord", "short",
              thresholds=steps(GREEN)),
        Panel("stat", "Oldest due job", "Age of the oldest pending job that is due: a backlog the workers do not keep up with.",
              "SELECT coalesce(extract(epoch FROM now() - min(run_after)), 0) AS \"Oldest due job\" FROM oura.jobs "
              "WHERE state = 'pending' AND run_after <= now()", "s", thresholds=steps(GREEN, (300, YELLOW), (3600, RED))),
        Panel("stat", "Dead jobs", "Jobs in the dead letter (max attempts used up, last error kept).",
              "SELECT count(*) AS \"Dead jobs\" FROM oura.jobs WHERE state = 'dead'", "short", thresholds=steps(GREEN, (1, RED))),
        Panel("stat", "Webhook inbox lag", "Age of the oldest webhook delivery not yet applied; 0 when the inbox is empty.",
              "SELECT coalesce(extract(epoch FROM now() - min(received_at)), 0) AS \"Inbox lag\" FROM oura.webhook_inbox WHERE processed_at IS NULL",
              "s", thresholds=steps(GREEN, (60, YELLOW), (600, RED))),
        Panel("stat", "Subscriptions expiring soon", "Webhook subscriptions that expire within 14 days (the poller renews them) or have a renewal error.",
              "SELECT count(*) FILTER (WHERE expiration_time < now() + interval '14 days' OR last_error IS NOT NULL) AS \"Expiring\" "
              "FROM oura.webhook_subscriptions", "short", thresholds=steps(GREEN, (1, ORANGE))),
        Panel("timeseries", "Webhook deliveries per day", "Deliveries received per day and the mean time from receipt to applied.",
              "SELECT $__timeGroupAlias(g.day, '1d'), count(w.id) AS \"Deliveries\", avg(extract(epoch FROM w.processed_at - w.received_at)) AS \"Mean lag\" "
              "FROM generate_series(date_trunc('day', $__timeFrom()::timestamptz), $__timeTo()::timestamptz, interval '1 day') AS g (day) "
              "LEFT JOIN oura.webhook_inbox w ON w.received_at >= g.day AND w.received_at < g.day + interval '1 day' GROUP BY 1 ORDER BY 1",
              "short", draw=BARS, overrides={"Mean lag": {"unit": "s", "custom.drawStyle": "line", "custom.axisPlacement": "right"}}),
        Panel("bargauge", "Backfills by state", "History copies (backfills) by state, with their chunks.",
              "SELECT s.state AS \"State\", count(b.id) AS \"Backfills\" FROM (VALUES ('pending', 0), ('running', 1), ('succeeded', 2), "
              "('failed', 3), ('cancelled', 4)) AS s (state, ord) LEFT JOIN oura.backfills b ON b.state = s.state "
              "GROUP BY s.state, s.ord ORDER BY s.ord", "short", w=6),
        Panel("table", "Table sizes", "Rows (estimate) and bytes on disk of each table, as the poller last measured them.",
              "SELECT table_name AS \"Table\", row_estimate AS \"Rows\", total_bytes AS \"Size\", refreshed_at AS \"Measured\" "
              "FROM oura.table_stats ORDER BY total_bytes DESC", "none", w=18,
              overrides={"Rows": {"unit": "short"}, "Size": {"unit": "bytes"}, "Measured": {"unit": "dateTimeAsLocal"}}),
    ])

DASHBOARDS = {
    "overview": overview, "sleep": sleep, "readiness": readiness, "activity": activity, "heart": heart,
    "stress-health": stress, "tags-insights": tags, "pipeline": pipeline,
}
