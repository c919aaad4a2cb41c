-- Single-use codes that log a browser into query-api's /status page without anyone typing a token
-- (deploy/demo.sh and `oura-admin status-link` print one): only the SHA-256 of a code is stored,
-- it expires within minutes, and redeeming it spends it. Owner-created tables in oura_secret are
-- readable and writable by oura_writer through 0006's default privileges, and by no one else.
CREATE TABLE oura_secret.status_login_codes (
    code_sha256 text PRIMARY KEY CHECK (code_sha256 ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL CHECK (expires_at > created_at),
    used_at     timestamptz
);
COMMENT ON TABLE oura_secret.status_login_codes IS
    'Single-use, short-lived /status login codes (SHA-256 only). Spent on first use; pruned when expired.';
