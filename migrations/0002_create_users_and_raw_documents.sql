-- Users and the raw, lossless document store every curated table is derived from.

CREATE TABLE oura.users (
    user_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    oura_user_id text UNIQUE CHECK (oura_user_id <> ''),
    email        text,
    display_name text,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'revoked')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE oura.users IS
    'One row per Oura account the platform copies. user_id is ours and is what every other table references.';
COMMENT ON COLUMN oura.users.oura_user_id IS
    'Oura''s user id: personal_info.id, also the user_id field of webhook events. NULL until personal_info was fetched once.';
COMMENT ON COLUMN oura.users.status IS
    'active: synced; paused: kept but not synced; revoked: the grant is gone (data kept until the user is deleted).';

CREATE TABLE oura.oura_documents (
    user_id        bigint NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    resource       text NOT NULL CHECK (resource ~ '^[A-Za-z0-9_]{1,64}$'),
    document_id    text NOT NULL CHECK (document_id <> ''),
    day            date,
    start_at       timestamptz,
    end_at         timestamptz,
    payload        jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    payload_sha256 bytea NOT NULL CHECK (octet_length(payload_sha256) = 32),
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    PRIMARY KEY (user_id, resource, document_id)
);
COMMENT ON TABLE oura.oura_documents IS
    'Every document fetched from Oura, as received. Curated tables are projections of the live rows (deleted_at IS NULL) and can be rebuilt from here. Resources without a projection are stored all the same.';
COMMENT ON COLUMN oura.oura_documents.resource IS
    'REST collection name as in the URL path: daily_sleep, vO2_max (capital O), personal_info, ring_configuration, ...';
COMMENT ON COLUMN oura.oura_documents.document_id IS
    'The document''s id field. For personal_info it is the Oura user id.';
COMMENT ON COLUMN oura.oura_documents.day IS
    'Oura''s local day of the document exactly as the payload gives it (day, or start_day for tags and rest mode); never computed from UTC. NULL for documents without a day (ring_configuration, personal_info). The daily_summaries projections find the other documents of a day through this column.';
COMMENT ON COLUMN oura.oura_documents.start_at IS 'Start instant of documents that span time (sleep bedtime_start, workout/session start_datetime, tags, rest mode).';
COMMENT ON COLUMN oura.oura_documents.end_at IS 'End instant of documents that span time, where there is one.';
COMMENT ON COLUMN oura.oura_documents.payload_sha256 IS
    'SHA-256 of the payload as stored; an upsert whose hash is unchanged rewrites nothing.';
COMMENT ON COLUMN oura.oura_documents.updated_at IS
    'Last time the payload changed (not merely re-fetched). Among several live documents of one day the most recently changed one feeds daily_summaries.';
COMMENT ON COLUMN oura.oura_documents.deleted_at IS
    'Set when Oura reports the document deleted; the row is kept as a tombstone, its curated rows are removed.';

-- Reconciliation windows, backfill checks and the daily_summaries projections look documents up
-- by user, resource and local day.
CREATE INDEX oura_documents_user_resource_day_idx ON oura.oura_documents (user_id, resource, day);

-- Tombstones are few; retention finds them without scanning the table.
CREATE INDEX oura_documents_deleted_idx ON oura.oura_documents (deleted_at) WHERE deleted_at IS NOT NULL;
