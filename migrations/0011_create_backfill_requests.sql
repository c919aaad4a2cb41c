-- Backfills become requests over many users and resources, executed as chunk jobs in oura.jobs.
--
-- 0004's oura.backfills described one user x one resource and was never written by any code; an
-- operator asks for "these users (or all) x these resources x this window", and a new user's
-- initial history is one such request. The table is replaced (it holds no rows anywhere).
--
-- A request is one oura.backfills row; each of its chunks (user x resource x window) is an
-- oura.backfill_chunks row naming the job that fetches it. Chunk state is the job's state (one
-- truth: the queue); the chunk row keeps what the job wrote (rows, requests) once it finished.
-- Two requests whose chunks coincide share the job (the queue dedupes live work by key), so the
-- same window is never fetched twice at once.

DROP TABLE oura.backfills;

CREATE TABLE oura.backfills (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_key   text        NOT NULL,
    all_users     boolean     NOT NULL,
    user_ids      bigint[]    NOT NULL,
    resources     text[]      NOT NULL,
    from_day      date        NOT NULL,
    to_day        date        NOT NULL,
    state         text        NOT NULL DEFAULT 'running'
                  CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
    chunks_total  integer     NOT NULL DEFAULT 0 CHECK (chunks_total >= 0),
    requested_by  text        NOT NULL DEFAULT 'operator',
    initial_for_user bigint REFERENCES oura.users (user_id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (from_day <= to_day)
);
COMMENT ON TABLE oura.backfills IS
    'A requested history copy: users (or all active users at request time) x resources x a day window, executed as backfill_chunk jobs (see backfill_chunks).';
COMMENT ON COLUMN oura.backfills.request_key IS
    'Canonical form of the request (users or all, window, resources): an equal request while one is running returns the running one.';
COMMENT ON COLUMN oura.backfills.user_ids IS 'Users the request was planned for (all_users: the active users when it was made).';
COMMENT ON COLUMN oura.backfills.resources IS 'REST collection names the request covers.';
COMMENT ON COLUMN oura.backfills.from_day IS 'First local day, inclusive.';
COMMENT ON COLUMN oura.backfills.to_day IS 'Last local day, inclusive.';
COMMENT ON COLUMN oura.backfills.state IS
    'running: chunks still live (pending, running or waiting for the user''s token); succeeded: every chunk succeeded; failed: every chunk finished, some dead or failed (retry-failed runs them again); cancelled.';
COMMENT ON COLUMN oura.backfills.requested_by IS 'Who asked: an operator, the admin route''s caller, or "initial" for a new user''s history.';
COMMENT ON COLUMN oura.backfills.initial_for_user IS 'Set on the one initial backfill of a user.';

CREATE UNIQUE INDEX backfills_running_request_key ON oura.backfills (request_key) WHERE state = 'running';
CREATE UNIQUE INDEX backfills_initial_user_key ON oura.backfills (initial_for_user) WHERE initial_for_user IS NOT NULL;
CREATE INDEX backfills_created_idx ON oura.backfills (created_at DESC);

CREATE TABLE oura.backfill_chunks (
    backfill_id   bigint  NOT NULL REFERENCES oura.backfills (id) ON DELETE CASCADE,
    chunk_no      integer NOT NULL CHECK (chunk_no >= 0),
    user_id       bigint  NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    resource      text    NOT NULL,
    from_day      date    NOT NULL,
    to_day        date    NOT NULL,
    job_id        bigint REFERENCES oura.jobs (id) ON DELETE SET NULL,
    rows_written  bigint  NOT NULL DEFAULT 0 CHECK (rows_written >= 0),
    requests      bigint  NOT NULL DEFAULT 0 CHECK (requests >= 0),
    finished_at   timestamptz,
    PRIMARY KEY (backfill_id, chunk_no),
    CHECK (from_day <= to_day)
);
COMMENT ON TABLE oura.backfill_chunks IS
    'One user x resource x window of a backfill; its state is its job''s (oura.jobs), newest windows have the lowest chunk_no and run first.';
COMMENT ON COLUMN oura.backfill_chunks.job_id IS 'The job that fetches the chunk (shared with another backfill whose chunk is the same); retry-failed points it at a new job.';
COMMENT ON COLUMN oura.backfill_chunks.rows_written IS 'Documents and samples inserted, updated or tombstoned by the chunk''s successful run.';
COMMENT ON COLUMN oura.backfill_chunks.requests IS 'Pages fetched from Oura by the chunk''s successful run.';

CREATE INDEX backfill_chunks_job_idx ON oura.backfill_chunks (job_id);

-- A user seen for the first time gets an initial backfill once; the marker is on the user so a
-- finished (and later pruned) backfill row is not needed to remember it. Users present before this
-- migration never had one and get theirs at the next poller run or `oura-admin users add`.
ALTER TABLE oura.users ADD COLUMN initial_backfill_at timestamptz;
COMMENT ON COLUMN oura.users.initial_backfill_at IS 'When the user''s initial history backfill was requested; NULL = not yet.';
