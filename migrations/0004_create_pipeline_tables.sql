-- Pipeline state: the job queue, the webhook inbox, sync bookkeeping, backfills, webhook
-- subscriptions and table statistics. Our own state values are CHECKed; they change only with a
-- migration.

------------------------------------------------------------------------------------------------
-- jobs: durable work queue claimed with FOR UPDATE SKIP LOCKED under a lease.
------------------------------------------------------------------------------------------------

CREATE TABLE oura.jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text        NOT NULL CHECK (kind <> ''),
    user_id          bigint REFERENCES oura.users (user_id) ON DELETE CASCADE,
    payload          jsonb       NOT NULL DEFAULT '{}',
    state            text        NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
    priority         smallint    NOT NULL DEFAULT 100,
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     integer     NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
    run_after        timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    lease_generation bigint      NOT NULL DEFAULT 0,
    locked_by        text,
    last_error       text,
    dedupe_key       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    CHECK (state <> 'running' OR lease_until IS NOT NULL)
);
COMMENT ON TABLE oura.jobs IS
    'Durable work queue (webhook documents, backfill chunks, ...). Claimed with FOR UPDATE SKIP LOCKED under a lease; a job''s data rows, cursor and state change commit together.';
COMMENT ON COLUMN oura.jobs.kind IS 'What the job does; each consumer claims only its own kinds.';
COMMENT ON COLUMN oura.jobs.user_id IS 'User the job works for; NULL for application-wide jobs.';
COMMENT ON COLUMN oura.jobs.state IS
    'pending: waiting for run_after (also after a failed attempt that will be retried); running: leased; succeeded; failed: stopped on an error not worth retrying; dead: max_attempts used up (dead letter); cancelled. Only pending and running are live.';
COMMENT ON COLUMN oura.jobs.priority IS 'Lower runs first.';
COMMENT ON COLUMN oura.jobs.run_after IS 'Not claimed before this instant; retries push it out with backoff and jitter.';
COMMENT ON COLUMN oura.jobs.lease_until IS 'While running: the claim expires at this instant and the job may be claimed again.';
COMMENT ON COLUMN oura.jobs.lease_generation IS
    'Fencing token: incremented by every claim. The completing write must match the generation it claimed with, so a worker whose lease expired cannot overwrite the newer claimant.';
COMMENT ON COLUMN oura.jobs.locked_by IS 'Worker that holds the lease (pod name and thread), for operators.';
COMMENT ON COLUMN oura.jobs.last_error IS 'Error of the latest failed attempt, kept in the dead letter.';
COMMENT ON COLUMN oura.jobs.dedupe_key IS 'At most one live (pending or running) job per (kind, dedupe_key); NULL = no deduplication.';

-- Enqueue deduplication: INSERT ... ON CONFLICT DO NOTHING against live jobs only, so a finished
-- job never blocks the same work from being queued again.
CREATE UNIQUE INDEX jobs_live_dedupe_key ON oura.jobs (kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state IN ('pending', 'running');

-- The claim: WHERE state = 'pending' AND kind = ANY(..) AND run_after <= now()
-- ORDER BY priority, run_after, id LIMIT n FOR UPDATE SKIP LOCKED. Kind leads so one consumer
-- never walks another's backlog; the partial predicate keeps the index as small as the backlog.
CREATE INDEX jobs_claim_idx ON oura.jobs (kind, priority, run_after, id) WHERE state = 'pending';

-- Expired leases (state = 'running' AND lease_until < now()) are found without a scan.
CREATE INDEX jobs_lease_idx ON oura.jobs (lease_until) WHERE state = 'running';

-- Retention of finished jobs, oldest first.
CREATE INDEX jobs_finished_idx ON oura.jobs (finished_at)
    WHERE state IN ('succeeded', 'failed', 'dead', 'cancelled');

-- Deleting a user cascades here; also "jobs of this user" on the status page.
CREATE INDEX jobs_user_idx ON oura.jobs (user_id) WHERE user_id IS NOT NULL;

------------------------------------------------------------------------------------------------
-- webhook_inbox: every accepted delivery, committed before the 2xx.
------------------------------------------------------------------------------------------------

CREATE TABLE oura.webhook_inbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    event_type   text        NOT NULL,
    data_type    text        NOT NULL,
    object_id    text        NOT NULL,
    event_time   timestamptz NOT NULL,
    oura_user_id text        NOT NULL,
    body         jsonb       NOT NULL,
    processed_at timestamptz,
    job_id       bigint REFERENCES oura.jobs (id) ON DELETE SET NULL,
    CONSTRAINT webhook_inbox_delivery_key UNIQUE (event_type, data_type, object_id, event_time, oura_user_id)
);
COMMENT ON TABLE oura.webhook_inbox IS
    'Verified webhook deliveries. Oura retries and duplicates deliveries for about an hour; the unique key makes a repeat an INSERT ... ON CONFLICT DO NOTHING. Rows are kept for days, longer than Oura''s retry period.';
COMMENT ON COLUMN oura.webhook_inbox.event_type IS 'create, update or delete.';
COMMENT ON COLUMN oura.webhook_inbox.data_type IS 'Webhook data type as Oura spells it (vo2_max in lower case, unlike the REST path vO2_max).';
COMMENT ON COLUMN oura.webhook_inbox.object_id IS 'Id of the document the event is about.';
COMMENT ON COLUMN oura.webhook_inbox.oura_user_id IS 'Oura user id (users.oura_user_id), the event''s user_id field.';
COMMENT ON COLUMN oura.webhook_inbox.body IS 'The delivery body as parsed JSON (the signature was checked over the raw bytes before this row was written).';
COMMENT ON COLUMN oura.webhook_inbox.processed_at IS 'When the job that applies the event finished; NULL = still to do.';
COMMENT ON COLUMN oura.webhook_inbox.job_id IS 'Job enqueued for this delivery.';

-- Inbox lag (oldest unprocessed delivery) without a scan.
CREATE INDEX webhook_inbox_unprocessed_idx ON oura.webhook_inbox (received_at) WHERE processed_at IS NULL;
-- Retention by age.
CREATE INDEX webhook_inbox_received_idx ON oura.webhook_inbox (received_at);
-- Job retention deletes jobs; the ON DELETE SET NULL finds the inbox rows through this.
CREATE INDEX webhook_inbox_job_idx ON oura.webhook_inbox (job_id) WHERE job_id IS NOT NULL;

------------------------------------------------------------------------------------------------
-- Sync bookkeeping.
------------------------------------------------------------------------------------------------

CREATE TABLE oura.sync_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('poller', 'backfill', 'webhook', 'admin')),
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text        NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
    summary     jsonb       NOT NULL DEFAULT '{}',
    error       text
);
COMMENT ON TABLE oura.sync_runs IS 'One row per poller pass, backfill, webhook batch or admin action: when, outcome, counts.';
COMMENT ON COLUMN oura.sync_runs.status IS 'partial: finished, but some user x resource pairs failed (see summary and sync_state).';
COMMENT ON COLUMN oura.sync_runs.summary IS 'Counts per resource and outcome, free-form JSON.';
CREATE INDEX sync_runs_kind_started_idx ON oura.sync_runs (kind, started_at DESC);

CREATE TABLE oura.sync_state (
    user_id                  bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    resource                 text   NOT NULL,
    status                   text   NOT NULL DEFAULT 'never'
                             CHECK (status IN ('ok', 'error', 'scope_missing', 'forbidden', 'never')),
    last_attempt_at          timestamptz,
    last_success_at          timestamptz,
    last_error               text,
    last_error_at            timestamptz,
    consecutive_failures     integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    last_sample_at           timestamptz,
    success_window_start_day date,
    success_window_end_day   date,
    success_window_start_at  timestamptz,
    success_window_end_at    timestamptz,
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, resource)
);
COMMENT ON TABLE oura.sync_state IS 'Per user and resource: how the last sync went and where the data ends.';
COMMENT ON COLUMN oura.sync_state.resource IS 'REST collection name, as in oura_documents.resource.';
COMMENT ON COLUMN oura.sync_state.status IS
    'ok; error (transient, retried); scope_missing (401 for a scope the grant lacks: not retried until the user re-consents); forbidden (403: membership or permission); never (not attempted yet).';
COMMENT ON COLUMN oura.sync_state.last_sample_at IS 'Time series (heartrate, ring_battery_level): instant of the newest stored sample; the next poll starts here.';
COMMENT ON COLUMN oura.sync_state.success_window_start_day IS 'Date-mode resources: first local day of the last successful window.';
COMMENT ON COLUMN oura.sync_state.success_window_end_day IS 'Date-mode resources: last local day of the last successful window.';
COMMENT ON COLUMN oura.sync_state.success_window_start_at IS 'Datetime-mode resources: start of the last successful window.';
COMMENT ON COLUMN oura.sync_state.success_window_end_at IS 'Datetime-mode resources: end of the last successful window.';

CREATE TABLE oura.backfills (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           bigint  NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    resource          text    NOT NULL,
    from_day          date    NOT NULL,
    to_day            date    NOT NULL,
    chunk_days        integer NOT NULL DEFAULT 30 CHECK (chunk_days > 0),
    state             text    NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    chunks_total      integer NOT NULL DEFAULT 0 CHECK (chunks_total >= 0),
    chunks_done       integer NOT NULL DEFAULT 0 CHECK (chunks_done >= 0),
    chunks_failed     integer NOT NULL DEFAULT 0 CHECK (chunks_failed >= 0),
    documents_written bigint  NOT NULL DEFAULT 0 CHECK (documents_written >= 0),
    requested_by      text,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (from_day <= to_day)
);
COMMENT ON TABLE oura.backfills IS 'A requested history copy (user x resource x day range), executed as chunk jobs of chunk_days each.';
COMMENT ON COLUMN oura.backfills.resource IS 'REST collection name; datetime-mode resources (heartrate) are chunked at <= 30 days regardless of chunk_days.';
COMMENT ON COLUMN oura.backfills.from_day IS 'First local day, inclusive.';
COMMENT ON COLUMN oura.backfills.to_day IS 'Last local day, inclusive.';
COMMENT ON COLUMN oura.backfills.documents_written IS 'Documents and samples written so far.';
COMMENT ON COLUMN oura.backfills.requested_by IS 'Who asked: operator name, admin route caller, or the system.';
CREATE INDEX backfills_user_resource_idx ON oura.backfills (user_id, resource);
CREATE INDEX backfills_active_idx ON oura.backfills (created_at) WHERE state IN ('pending', 'running');

------------------------------------------------------------------------------------------------
-- Application-wide webhook subscriptions and statistics.
------------------------------------------------------------------------------------------------

CREATE TABLE oura.webhook_subscriptions (
    id              text        PRIMARY KEY,
    callback_url    text        NOT NULL,
    event_type      text        NOT NULL,
    data_type       text        NOT NULL,
    expiration_time timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    renewed_at      timestamptz,
    last_error      text,
    last_error_at   timestamptz,
    CONSTRAINT webhook_subscriptions_target_key UNIQUE (callback_url, event_type, data_type)
);
COMMENT ON TABLE oura.webhook_subscriptions IS
    'Our mirror of the application''s Oura webhook subscriptions (per application, not per user). The poller renews those expiring within 14 days.';
COMMENT ON COLUMN oura.webhook_subscriptions.id IS 'Oura''s subscription id (uuid).';
COMMENT ON COLUMN oura.webhook_subscriptions.data_type IS 'Webhook data type as Oura spells it (vo2_max).';
COMMENT ON COLUMN oura.webhook_subscriptions.expiration_time IS 'When Oura stops delivering unless renewed (about 90 days after creation or renewal).';
COMMENT ON COLUMN oura.webhook_subscriptions.last_error IS 'Last failed create/renew attempt; NULL after a success.';

CREATE TABLE oura.table_stats (
    table_name   text PRIMARY KEY,
    row_estimate bigint      NOT NULL,
    total_bytes  bigint      NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE oura.table_stats IS
    'Size of each table, refreshed by the poller from the catalog so /metrics and the status page need no catalog access.';
COMMENT ON COLUMN oura.table_stats.table_name IS 'Schema-qualified table name, e.g. oura.heart_rate_samples.';
COMMENT ON COLUMN oura.table_stats.row_estimate IS 'pg_class.reltuples (an estimate).';
COMMENT ON COLUMN oura.table_stats.total_bytes IS 'pg_total_relation_size: heap, indexes and TOAST.';
