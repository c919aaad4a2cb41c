-- Privileges of the two group roles, in this database.
--
-- oura_reader (Grafana, the /api/sql path): read everything in schema oura, nothing in
-- oura_secret, write nothing. oura_writer (granted to the services' login role): read and write
-- rows in both schemas, use the identity sequences, create temporary staging tables for bulk COPY.
-- Neither may create or alter objects; only the owner applying migrations does.

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO oura_reader, oura_writer', current_database());
    -- 0001 revoked TEMPORARY from PUBLIC; the services stage bulk rows in temp tables.
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO oura_writer', current_database());
END
$$;

-- oura_reader
GRANT USAGE ON SCHEMA oura TO oura_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA oura TO oura_reader;
-- Tables and views a later migration creates (as the same owner) are readable without a new grant.
ALTER DEFAULT PRIVILEGES IN SCHEMA oura GRANT SELECT ON TABLES TO oura_reader;

-- oura_writer
GRANT USAGE ON SCHEMA oura, oura_secret TO oura_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA oura, oura_secret TO oura_writer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA oura, oura_secret TO oura_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA oura, oura_secret
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO oura_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA oura, oura_secret
    GRANT USAGE, SELECT ON SEQUENCES TO oura_writer;

-- Belt and braces: nothing in oura_secret for anyone not named above, even if a default
-- privilege for PUBLIC is added some day.
REVOKE ALL ON ALL TABLES IN SCHEMA oura_secret FROM PUBLIC, oura_reader;
