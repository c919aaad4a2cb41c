-- The hourly heart-rate rollup (0018) followed each write by recomputing the hours it touched from
-- heart_rate_samples. Inside the trigger that recompute is a cached plan; while the table grows
-- from empty faster than autovacuum analyzes it, the plan can scan every sample once per hour
-- touched: a backfill of one person-year of heart rate then spent 30-110 s per 28-day chunk under
-- the per-person lock (bench/backfill_bench.sh: 143-220 s instead of 13 s).
--
-- Now each statement applies its difference instead: per (user, UTC hour, source), the count and
-- sum move by what the statement added and took away, and min and max widen by what it added. Only
-- when samples changed or went away are min and max read again, from those hours' samples through
-- the primary key (never a sequential scan: see the function's setting). An INSERT reads nothing
-- but its own rows.
--
-- An INSERT ... ON CONFLICT DO UPDATE fires both the UPDATE and the INSERT statement triggers, with
-- disjoint transition tables; counts and sums come only from those tables, so nothing is counted
-- twice, and re-reading min and max is idempotent whichever trigger runs first.
-- Concurrency is as before: a transaction-level advisory lock per person, taken in user_id order,
-- and READ COMMITTED statements after it see every earlier writer's committed rows.

CREATE FUNCTION oura.heart_rate_hourly_apply(users bigint[], hours timestamptz[], sources text[], counts bigint[],
                                             sums bigint[], lows smallint[], highs smallint[], reread boolean)
RETURNS void
LANGUAGE plpgsql
-- Statistics lag a fast-growing table; an index range per hour is always the right plan here.
SET enable_seqscan = off
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('oura.heart_rate_hourly'), (u % 2147483647)::int)
       FROM (SELECT DISTINCT u FROM unnest(users) AS x (u) ORDER BY 1) AS ordered;
    WITH d AS (
        SELECT * FROM unnest(users, hours, sources, counts, sums, lows, highs) AS d (u, h, s, n, total, lo, hi)
    ), emptied AS (
        DELETE FROM oura.heart_rate_hourly r USING d
         WHERE r.user_id = d.u AND r.hour = d.h AND r.source = d.s AND r.samples + d.n <= 0
    ), moved AS (
        UPDATE oura.heart_rate_hourly r
           SET samples = r.samples + d.n, bpm_sum = r.bpm_sum + d.total,
               bpm_min = least(r.bpm_min, d.lo), bpm_max = greatest(r.bpm_max, d.hi)
          FROM d
         WHERE r.user_id = d.u AND r.hour = d.h AND r.source = d.s AND r.samples + d.n > 0
    )
    INSERT INTO oura.heart_rate_hourly (user_id, hour, source, samples, bpm_sum, bpm_min, bpm_max)
    SELECT d.u, d.h, d.s, d.n, d.total, d.lo, d.hi
      FROM d
     WHERE d.n > 0
       AND NOT EXISTS (SELECT 1 FROM oura.heart_rate_hourly r WHERE r.user_id = d.u AND r.hour = d.h AND r.source = d.s);
    IF reread THEN
        UPDATE oura.heart_rate_hourly r
           SET bpm_min = m.lo, bpm_max = m.hi
          FROM unnest(users, hours, sources) AS k (u, h, s)
         CROSS JOIN LATERAL (
               SELECT min(bpm) AS lo, max(bpm) AS hi FROM oura.heart_rate_samples
                WHERE user_id = k.u AND ts >= k.h AND ts < k.h + interval '1 hour' AND source = k.s) AS m
         WHERE r.user_id = k.u AND r.hour = k.h AND r.source = k.s AND m.lo IS NOT NULL
           AND (r.bpm_min, r.bpm_max) IS DISTINCT FROM (m.lo, m.hi);
    END IF;
END
$$;
COMMENT ON FUNCTION oura.heart_rate_hourly_apply(bigint[], timestamptz[], text[], bigint[], bigint[], smallint[], smallint[], boolean) IS
    'Moves heart_rate_hourly by one statement''s difference per (users[i], hours[i], sources[i]): counts[i] samples, sums[i] bpm, widening to lows[i]/highs[i]; with reread, min and max are read again from the samples. Under per-user advisory locks.';

-- Each trigger folds its transition table(s) into one row per (user, hour, source).
CREATE OR REPLACE FUNCTION oura.heart_rate_hourly_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM oura.heart_rate_hourly_apply(array_agg(u), array_agg(h), array_agg(s), array_agg(n), array_agg(total),
                                         array_agg(lo), array_agg(hi), false)
       FROM (SELECT user_id AS u, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') AS h, source AS s,
                    count(*) AS n, sum(bpm) AS total, min(bpm) AS lo, max(bpm) AS hi
               FROM changed_rows GROUP BY 1, 2, 3) AS g
     HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION oura.heart_rate_hourly_after_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM oura.heart_rate_hourly_apply(array_agg(u), array_agg(h), array_agg(s), array_agg(n), array_agg(total),
                                         array_agg(lo), array_agg(hi), true)
       FROM (SELECT u, h, s, sum(n)::bigint AS n, sum(total)::bigint AS total, min(lo) AS lo, max(hi) AS hi
               FROM (SELECT user_id AS u, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') AS h, source AS s,
                            1 AS n, bpm::bigint AS total, bpm AS lo, bpm AS hi FROM changed_rows
                     UNION ALL
                     SELECT user_id, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00'), source,
                            -1, -bpm::bigint, NULL::smallint, NULL::smallint FROM removed_rows) AS rows
              GROUP BY 1, 2, 3) AS g
     HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION oura.heart_rate_hourly_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM oura.heart_rate_hourly_apply(array_agg(u), array_agg(h), array_agg(s), array_agg(n), array_agg(total),
                                         array_agg(lo), array_agg(hi), true)
       FROM (SELECT user_id AS u, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') AS h, source AS s,
                    -count(*) AS n, -sum(bpm) AS total, NULL::smallint AS lo, NULL::smallint AS hi
               FROM removed_rows GROUP BY 1, 2, 3) AS g
     HAVING count(*) > 0;
    RETURN NULL;
END
$$;

-- Nothing calls the full recompute any more.
DROP FUNCTION oura.heart_rate_hourly_recompute(bigint[], timestamptz[]);
