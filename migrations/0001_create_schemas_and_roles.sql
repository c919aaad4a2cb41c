-- Schemas and cluster-wide roles.
--
-- Applied by the database owner inside one transaction (the runner wraps it). Roles belong to the
-- cluster, not the database, and several databases (tests, environments) share a cluster, so a
-- role that already exists is left as it is. Grants are per database and live in 0006.

-- oura: users, raw documents, curated health tables, pipeline tables. Grafana may read all of it.
CREATE SCHEMA oura;
COMMENT ON SCHEMA oura IS
    'Users, raw Oura documents, curated health tables and pipeline state. Readable by oura_reader.';

-- oura_secret: OAuth tokens and authorization states. Only the services (oura_writer) may touch it.
CREATE SCHEMA oura_secret;
COMMENT ON SCHEMA oura_secret IS
    'OAuth tokens and authorization states (encrypted by the application). Never granted to oura_reader.';

-- Create-if-missing. The duplicate handler covers two databases of one cluster migrating at the
-- same moment: both may see the role missing and the loser must not fail its migration.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oura_reader') THEN
        CREATE ROLE oura_reader NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oura_writer') THEN
        CREATE ROLE oura_writer NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- Nothing reaches the secret schema unless granted by name.
REVOKE ALL ON SCHEMA oura_secret FROM PUBLIC;

-- Hardening for the user-SQL endpoint (DESIGN §5): without TEMPORARY a read-only session cannot
-- create temp tables, and without CREATE on public it cannot plant objects that shadow ours.
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
