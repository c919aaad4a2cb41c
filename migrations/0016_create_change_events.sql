-- Change events: what /api/events and the /api/events/stream Server-Sent Events report, and the
-- one NOTIFY channel (oura_changes) that tells query-api to drop its /api/sql cache.
--
-- Every ingestion path (webhook job, poller, backfill, oura-admin) writes through the same store
-- functions into these tables, so triggers here cover them all without each path remembering to
-- announce its commits. NOTIFY is delivered at commit and never for a rolled-back transaction, and
-- PostgreSQL folds equal notifications of one transaction into one: a poller transaction writing a
-- thousand documents wakes each listener once.

CREATE TABLE oura.change_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint      NOT NULL REFERENCES oura.users (user_id) ON DELETE CASCADE,
    resource    text        NOT NULL,
    document_id text,
    change      text        NOT NULL CHECK (change IN ('created', 'updated', 'deleted', 'samples')),
    rows        integer     NOT NULL DEFAULT 1 CHECK (rows > 0)
);
COMMENT ON TABLE oura.change_events IS
    'One row per raw document written (created, updated, deleted) and one per user and statement of time-series samples. The id orders events for Server-Sent Events (Last-Event-ID). query-api trims rows older than OURA_QUERY_EVENTS_RETENTION.';
COMMENT ON COLUMN oura.change_events.rows IS 'Samples written by the statement (change = samples); 1 for documents.';
CREATE INDEX change_events_at_idx ON oura.change_events (at);
CREATE INDEX change_events_user_idx ON oura.change_events (user_id);

-- Documents: an insert is "created"; an update that sets deleted_at is "deleted", else "updated".
-- Statement-level with transition tables: one INSERT ... SELECT per statement, not one per row.
CREATE FUNCTION oura.record_document_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO oura.change_events (user_id, resource, document_id, change)
    SELECT user_id, resource, document_id, 'created' FROM new_rows;
    PERFORM pg_notify('oura_changes', '');
    RETURN NULL;
END
$$;

CREATE FUNCTION oura.record_document_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO oura.change_events (user_id, resource, document_id, change)
    SELECT user_id, resource, document_id, CASE WHEN deleted_at IS NOT NULL THEN 'deleted' ELSE 'updated' END
      FROM new_rows;
    PERFORM pg_notify('oura_changes', '');
    RETURN NULL;
END
$$;

-- PostgreSQL allows a transition table only on a trigger with a single event: two triggers.
CREATE TRIGGER oura_documents_insert_events AFTER INSERT ON oura.oura_documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oura.record_document_inserts();
CREATE TRIGGER oura_documents_update_events AFTER UPDATE ON oura.oura_documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oura.record_document_updates();

-- Time series have no document ids: one event per user and statement with the number of samples.
CREATE FUNCTION oura.record_sample_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO oura.change_events (user_id, resource, change, rows)
    SELECT user_id, TG_ARGV[0], 'samples', count(*)::integer FROM new_rows GROUP BY user_id;
    PERFORM pg_notify('oura_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER heart_rate_samples_insert_events AFTER INSERT ON oura.heart_rate_samples
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oura.record_sample_writes('heartrate');
CREATE TRIGGER heart_rate_samples_update_events AFTER UPDATE ON oura.heart_rate_samples
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oura.record_sample_writes('heartrate');
CREATE TRIGGER ring_battery_levels_insert_events AFTER INSERT ON oura.ring_battery_levels
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oura.record_sample_writes('ring_battery_level');
CREATE TRIGGER ring_battery_levels_update_events AFTER UPDATE ON oura.ring_battery_levels
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oura.record_sample_writes('ring_battery_level');

-- Every other table a reader can query (curated projections, pipeline state, users): a write of any
-- kind only announces itself, so the /api/sql cache is never stale. Tables created later need the
-- same trigger (a test lists the tables without it).
CREATE FUNCTION oura.notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('oura_changes', '');
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'oura' AND c.relkind IN ('r', 'p')
           -- request_budgets changes with every Oura request a worker makes: it is no data anyone
           -- queries, and announcing it would empty the cache many times a second.
           AND c.relname NOT IN ('oura_documents', 'heart_rate_samples', 'ring_battery_levels', 'change_events', 'request_budgets')
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON oura.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION oura.notify_changes()', t || '_notify_changes', t);
    END LOOP;
END
$$;

-- Erasing a user removes their documents: the cascade from users covers change_events.
-- Deletes of raw documents and samples (erasure, retention) also invalidate caches.
CREATE TRIGGER oura_documents_notify_deletes AFTER DELETE OR TRUNCATE ON oura.oura_documents
    FOR EACH STATEMENT EXECUTE FUNCTION oura.notify_changes();
CREATE TRIGGER heart_rate_samples_notify_deletes AFTER DELETE OR TRUNCATE ON oura.heart_rate_samples
    FOR EACH STATEMENT EXECUTE FUNCTION oura.notify_changes();
CREATE TRIGGER ring_battery_levels_notify_deletes AFTER DELETE OR TRUNCATE ON oura.ring_battery_levels
    FOR EACH STATEMENT EXECUTE FUNCTION oura.notify_changes();

-- Erasure (DELETE /admin/users/{id}/data, oura-admin users erase): every row of one person in one
-- transaction, counted per table. The counts are taken with the user's row locked FOR UPDATE: every
-- write that references the user takes a KEY SHARE lock on that row first, so no row can appear
-- between counting and deleting. The cascade from oura.users removes the rows; tables a later
-- migration adds with a user_id column are found in the catalog, counted and cleared too, and the
-- webhook inbox (keyed by Oura's user id) is cleared by that id. Runs with the caller's rights.
CREATE FUNCTION oura.erase_user(p_user_id bigint) RETURNS TABLE (table_name text, rows bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint;
    oura_id text;
BEGIN
    SELECT u.oura_user_id INTO oura_id FROM oura.users u WHERE u.user_id = p_user_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOR t IN
        SELECT n2.nspname AS schema_name, c.relname AS rel
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n2 ON n2.oid = c.relnamespace
         WHERE n2.nspname IN ('oura', 'oura_secret') AND c.relkind IN ('r', 'p') AND a.attname = 'user_id'
           AND NOT a.attisdropped AND c.relname <> 'users'
         ORDER BY 1, 2
    LOOP
        EXECUTE format('SELECT count(*) FROM %I.%I WHERE user_id = $1', t.schema_name, t.rel) INTO n USING p_user_id;
        table_name := t.schema_name || '.' || t.rel;
        rows := n;
        RETURN NEXT;
    END LOOP;
    SELECT count(*) INTO n FROM oura.webhook_inbox w WHERE oura_id IS NOT NULL AND w.oura_user_id = oura_id;
    table_name := 'oura.webhook_inbox';
    rows := n;
    RETURN NEXT;
    DELETE FROM oura.webhook_inbox w WHERE oura_id IS NOT NULL AND w.oura_user_id = oura_id;
    -- A backfill requested for several users keeps its row for the others, without this one.
    UPDATE oura.backfills b SET user_ids = array_remove(b.user_ids, p_user_id) WHERE p_user_id = ANY (b.user_ids);
    -- Children before the user row; the cascade takes what references it, this takes the rest.
    FOR t IN
        SELECT n2.nspname AS schema_name, c.relname AS rel
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n2 ON n2.oid = c.relnamespace
         WHERE n2.nspname IN ('oura', 'oura_secret') AND c.relkind IN ('r', 'p') AND a.attname = 'user_id'
           AND NOT a.attisdropped AND c.relname <> 'users'
    LOOP
        EXECUTE format('DELETE FROM %I.%I WHERE user_id = $1', t.schema_name, t.rel) USING p_user_id;
    END LOOP;
    DELETE FROM oura.users u WHERE u.user_id = p_user_id;
    table_name := 'oura.users';
    rows := 1;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION oura.erase_user(bigint) IS
    'Deletes every row of one user (health data, raw documents, pipeline state, tokens, webhook inbox, the user row) and answers the rows per table. Call inside the caller''s transaction.';
REVOKE ALL ON FUNCTION oura.erase_user(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oura.erase_user(bigint) TO oura_writer;
