-- Secrets: OAuth tokens and authorization states. Encrypted by the application (AES-256-GCM,
-- versioned key from a mounted secret, AAD = user id, column and key version); the database only
-- ever holds ciphertext. oura_reader gets nothing here (0006).

CREATE TABLE oura_secret.oauth_tokens (
    user_id       bigint PRIMARY KEY REFERENCES oura.users (user_id) ON DELETE CASCADE,
    access_token  bytea   NOT NULL,
    refresh_token bytea,
    key_version   integer NOT NULL CHECK (key_version > 0),
    expires_at    timestamptz,
    scopes        text[]  NOT NULL DEFAULT '{}',
    token_type    text    NOT NULL DEFAULT 'bearer',
    refreshed_at  timestamptz,
    refresh_count integer NOT NULL DEFAULT 0 CHECK (refresh_count >= 0),
    invalid_at    timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE oura_secret.oauth_tokens IS
    'One OAuth grant per user. Refresh tokens rotate and are single use: a refresh locks this row (SELECT ... FOR UPDATE) and stores the new pair in the same transaction.';
COMMENT ON COLUMN oura_secret.oauth_tokens.access_token IS 'AES-256-GCM blob made by the application (nonce, ciphertext, tag); never plaintext.';
COMMENT ON COLUMN oura_secret.oauth_tokens.refresh_token IS 'AES-256-GCM blob like access_token; NULL if Oura issued none.';
COMMENT ON COLUMN oura_secret.oauth_tokens.key_version IS 'Version of the encryption key both blobs were sealed with (part of the AAD); lets keys rotate.';
COMMENT ON COLUMN oura_secret.oauth_tokens.expires_at IS 'Access token expiry, from expires_in at issue.';
COMMENT ON COLUMN oura_secret.oauth_tokens.scopes IS 'Scopes actually granted (the user can untick some).';
COMMENT ON COLUMN oura_secret.oauth_tokens.invalid_at IS 'When the grant was found dead (invalid_grant after re-reading the row); the user must re-consent. NULL = usable.';
COMMENT ON COLUMN oura_secret.oauth_tokens.last_error IS 'Last refresh error, without secrets.';
-- The poller refreshes tokens close to expiry.
CREATE INDEX oauth_tokens_expires_idx ON oura_secret.oauth_tokens (expires_at) WHERE invalid_at IS NULL;

CREATE TABLE oura_secret.oauth_states (
    state_sha256     bytea PRIMARY KEY CHECK (octet_length(state_sha256) = 32),
    code_verifier    bytea   NOT NULL,
    key_version      integer NOT NULL CHECK (key_version > 0),
    redirect_uri     text    NOT NULL,
    requested_scopes text[]  NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,
    CHECK (expires_at > created_at)
);
COMMENT ON TABLE oura_secret.oauth_states IS
    'Pending authorizations: server-side state and PKCE verifier, expiring and single use (used_at is set in the transaction that accepts the callback).';
COMMENT ON COLUMN oura_secret.oauth_states.state_sha256 IS 'SHA-256 of the state parameter; the state itself is never stored, so a database read cannot forge a callback.';
COMMENT ON COLUMN oura_secret.oauth_states.code_verifier IS 'PKCE code verifier, AES-256-GCM blob made by the application.';
COMMENT ON COLUMN oura_secret.oauth_states.key_version IS 'Encryption key version of code_verifier.';
COMMENT ON COLUMN oura_secret.oauth_states.redirect_uri IS 'redirect_uri sent to the authorize endpoint; the token exchange must repeat it exactly.';
-- The poller deletes expired states.
CREATE INDEX oauth_states_expires_idx ON oura_secret.oauth_states (expires_at);
