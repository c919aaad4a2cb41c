-- The job queue gains two things its consumers need.
--
-- 1. A parked state. A backfill chunk of a user whose grant is dead cannot succeed until the user
--    reconnects; retrying it would only burn its attempts into the dead letter. 'waiting_token'
--    holds such jobs, unclaimable, until the user reconnects and they are resumed. Parked work is still
--    live work: the same dedupe_key must not be queued a second time beside it, so the live-key
--    index covers it too.
-- 2. A wake-up. Every job that becomes claimable now (inserted, resumed, made pending again with a
--    due run_after) sends NOTIFY oura_jobs with its kind as payload, so an idle worker LISTENing
--    starts it within milliseconds instead of at its next slow poll. A trigger rather than the
--    application, so jobs inserted by plain SQL wake workers too. PostgreSQL folds identical
--    notifications of one transaction into one, so a bulk enqueue sends one per kind.

ALTER TABLE oura.jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE oura.jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('pending', 'running', 'waiting_token', 'succeeded', 'failed', 'dead', 'cancelled'));
COMMENT ON COLUMN oura.jobs.state IS
    'pending: waiting for run_after (also after a failed attempt that will be retried); running: leased; waiting_token: parked until the user reconnects (the user''s grant is dead; attempts not spent); succeeded; failed: stopped on an error not worth retrying; dead: max_attempts used up (dead letter); cancelled. pending, running and waiting_token are live.';

DROP INDEX oura.jobs_live_dedupe_key;
CREATE UNIQUE INDEX jobs_live_dedupe_key ON oura.jobs (kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state IN ('pending', 'running', 'waiting_token');

-- Resuming a user's parked jobs finds them without a scan.
CREATE INDEX jobs_parked_user_idx ON oura.jobs (user_id) WHERE state = 'waiting_token';

CREATE FUNCTION oura.notify_job_ready() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('oura_jobs', NEW.kind);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION oura.notify_job_ready() IS
    'NOTIFY oura_jobs, payload = kind, for a job that has just become claimable: idle workers wake at once.';

CREATE TRIGGER jobs_notify_ready
    AFTER INSERT OR UPDATE OF state, run_after ON oura.jobs
    FOR EACH ROW
    WHEN (NEW.state = 'pending' AND NEW.run_after <= now())
    EXECUTE FUNCTION oura.notify_job_ready();
