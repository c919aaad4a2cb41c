-- The role behind query-api's POST /api/sql (DESIGN §5: privileges are the boundary).
--
-- oura_sql is a group role for the login role the SQL pool connects as. It is NOINHERIT and a
-- member of oura_reader: a login role granted oura_sql therefore holds no privileges of its own
-- (nothing flows through a NOINHERIT role) and reaches the health data only after
-- `SET LOCAL ROLE oura_reader`, which query-api issues inside every request's read-only
-- transaction. A user statement that runs `RESET ROLE` or ends the transaction drops back to a role
-- that can read nothing of ours. Like 0001, the role belongs to the cluster and is created once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oura_sql') THEN
        CREATE ROLE oura_sql NOLOGIN NOINHERIT;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

GRANT oura_reader TO oura_sql;
