-- An hourly rollup of heart rate, so the dashboards' day-by-day and year-long heart-rate panels
-- read ~24 rows per day instead of ~1,000 samples (bench/dashboards_bench.sh: the daily range of
-- one person-year took 180-420 ms from the samples at 5 people x 5 years; the target is 100 ms).
--
-- Kept exact by statement-level triggers on heart_rate_samples, so every writer (poller, backfill
-- worker, retention, a user's deletion) keeps it right without knowing it exists: after each
-- INSERT, UPDATE or DELETE statement, the hours it touched are recomputed from the samples. Not a
-- materialized view: the services' role may not REFRESH one (only the owner can), and a full
-- refresh would re-read every sample.
--
-- Concurrency: two transactions writing samples of the same person could each recompute an hour
-- without seeing the other's uncommitted rows. The recompute therefore takes a transaction-level
-- advisory lock per person first; the second waits for the first to commit, and its recompute
-- statements (READ COMMITTED: a fresh snapshot each) then see the first one's rows too. Locks are
-- taken in user_id order, so multi-person statements (retention) cannot deadlock on them.
-- Hours are UTC hours (date_bin from a UTC origin): independent of the session's TimeZone.

CREATE TABLE oura.heart_rate_hourly (
    user_id bigint      NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    hour    timestamptz NOT NULL,
    source  text        NOT NULL,
    samples integer     NOT NULL CHECK (samples > 0),
    bpm_sum bigint      NOT NULL,
    bpm_min smallint    NOT NULL,
    bpm_max smallint    NOT NULL,
    PRIMARY KEY (user_id, hour, source)
);
COMMENT ON TABLE oura.heart_rate_hourly IS
    'heart_rate_samples per user, UTC hour and source: count, sum, min and max of bpm (mean = bpm_sum / samples). Maintained by triggers on heart_rate_samples; never written directly.';
COMMENT ON COLUMN oura.heart_rate_hourly.hour IS 'Start of the UTC hour.';
COMMENT ON COLUMN oura.heart_rate_hourly.bpm_sum IS 'Sum of bpm over the hour''s samples of this source; divide by samples for the mean.';

CREATE FUNCTION oura.heart_rate_hourly_recompute(users bigint[], hours timestamptz[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('oura.heart_rate_hourly'), (u % 2147483647)::int)
       FROM (SELECT DISTINCT u FROM unnest(users) AS x (u) ORDER BY 1) AS ordered;
    DELETE FROM oura.heart_rate_hourly r
     USING unnest(users, hours) AS t (u, h)
     WHERE r.user_id = t.u AND r.hour = t.h;
    INSERT INTO oura.heart_rate_hourly (user_id, hour, source, samples, bpm_sum, bpm_min, bpm_max)
    SELECT t.u, t.h, s.source, count(*), sum(s.bpm), min(s.bpm), max(s.bpm)
      FROM unnest(users, hours) AS t (u, h)
      JOIN oura.heart_rate_samples s ON s.user_id = t.u AND s.ts >= t.h AND s.ts < t.h + interval '1 hour'
     GROUP BY t.u, t.h, s.source;
END
$$;
COMMENT ON FUNCTION oura.heart_rate_hourly_recompute(bigint[], timestamptz[]) IS
    'Recomputes the heart_rate_hourly rows of the (users[i], hours[i]) pairs (distinct) from heart_rate_samples, under per-user advisory locks.';

-- One function per event: a trigger function may only name the transition tables its trigger has.
CREATE FUNCTION oura.heart_rate_hourly_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM oura.heart_rate_hourly_recompute(array_agg(u), array_agg(h))
       FROM (SELECT DISTINCT user_id AS u, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') AS h FROM changed_rows) AS k
     HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION oura.heart_rate_hourly_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM oura.heart_rate_hourly_recompute(array_agg(u), array_agg(h))
       FROM (SELECT DISTINCT user_id AS u, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') AS h FROM removed_rows) AS k
     HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION oura.heart_rate_hourly_after_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM oura.heart_rate_hourly_recompute(array_agg(u), array_agg(h))
       FROM (SELECT user_id AS u, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') AS h FROM changed_rows
             UNION
             SELECT user_id, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') FROM removed_rows) AS k
     HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER heart_rate_hourly_insert AFTER INSERT ON oura.heart_rate_samples
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION oura.heart_rate_hourly_after_insert();
CREATE TRIGGER heart_rate_hourly_update AFTER UPDATE ON oura.heart_rate_samples
    REFERENCING OLD TABLE AS removed_rows NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION oura.heart_rate_hourly_after_update();
CREATE TRIGGER heart_rate_hourly_delete AFTER DELETE ON oura.heart_rate_samples
    REFERENCING OLD TABLE AS removed_rows FOR EACH STATEMENT EXECUTE FUNCTION oura.heart_rate_hourly_after_delete();

-- What is already stored.
INSERT INTO oura.heart_rate_hourly (user_id, hour, source, samples, bpm_sum, bpm_min, bpm_max)
SELECT user_id, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00'), source, count(*), sum(bpm), min(bpm), max(bpm)
  FROM oura.heart_rate_samples
 GROUP BY 1, 2, 3;

GRANT SELECT ON oura.heart_rate_hourly TO oura_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON oura.heart_rate_hourly TO oura_writer;

-- The pipeline dashboard's "documents first seen per day" reads arrivals by time; without this it
-- scanned every document (218 ms p95 at 5 people x 5 years). Documents are a few thousand per
-- person-year, so the index costs the writer little.
CREATE INDEX oura_documents_first_seen_idx ON oura.oura_documents (first_seen_at);
