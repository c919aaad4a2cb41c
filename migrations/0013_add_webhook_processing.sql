-- What the webhook edge (ingest-webhook) needs beyond the inbox of 0004.
--
-- 1. How each delivery ended: the job consumer records an outcome (and, for the unusual ones, why)
--    when it marks the inbox row processed, so an operator can tell an applied event from one a
--    newer event superseded or one whose document Oura no longer had.
-- 2. Event-time order per document. Deliveries arrive out of order and jobs run concurrently; a
--    late `update` applied after a `delete` would resurrect the document. Each document remembers
--    the newest event applied to it, and an older one is recorded as superseded instead of applied.
--    Keyed by the Oura user id, so deliveries for users who have not connected yet fit too.
-- 3. Deliveries for Oura users we do not know yet are kept without a job; they are queued when the
--    user connects (OAuth callback), found through a partial index.

ALTER TABLE oura.webhook_inbox
    ADD COLUMN outcome text CHECK (outcome IN ('applied', 'deleted', 'superseded', 'unsupported', 'not_found', 'failed')),
    ADD COLUMN note text;
COMMENT ON COLUMN oura.webhook_inbox.outcome IS
    'Set with processed_at: applied (document fetched and written), deleted (tombstoned on a delete event), superseded (a newer event of the same document was applied first), unsupported (a data type without a REST collection), not_found (Oura answered 404 on every attempt; treated as deleted), failed (the job stopped on an error; see note).';
COMMENT ON COLUMN oura.webhook_inbox.note IS 'Why, for the outcomes that need one (not_found, failed, unsupported); never a secret.';

CREATE INDEX webhook_inbox_waiting_user_idx ON oura.webhook_inbox (oura_user_id)
    WHERE job_id IS NULL AND processed_at IS NULL;

CREATE TABLE oura.webhook_document_events (
    oura_user_id text        NOT NULL,
    data_type    text        NOT NULL,
    object_id    text        NOT NULL,
    event_time   timestamptz NOT NULL,
    event_type   text        NOT NULL CHECK (event_type IN ('create', 'update', 'delete')),
    applied_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (oura_user_id, data_type, object_id)
);
COMMENT ON TABLE oura.webhook_document_events IS
    'Per document: the newest webhook event applied to it. An event older than this one is superseded (a late update never resurrects a delete). Pruned with the inbox.';
COMMENT ON COLUMN oura.webhook_document_events.event_time IS 'event_time of the newest applied event; at a tie a delete wins.';
CREATE INDEX webhook_document_events_applied_idx ON oura.webhook_document_events (applied_at);
