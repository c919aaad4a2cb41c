-- The services' /readyz reads the newest applied migration from oura_meta.schema_migrations (the
-- runner's bookkeeping). The services connect as members of oura_writer, which had no access to
-- oura_meta, so every pod would have stayed unready. They may read the version, nothing else there.
GRANT USAGE ON SCHEMA oura_meta TO oura_writer;
GRANT SELECT ON oura_meta.schema_migrations TO oura_writer;
