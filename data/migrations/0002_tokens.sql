-- Tokens issued by the server, so that they can be listed and revoked.
-- Tokens issued offline (tagrpc token) are not recorded and cannot be
-- revoked: rotate the secret for those.

CREATE TABLE auth_token (
    id             TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL REFERENCES environment (id) ON DELETE CASCADE,
    client_types   TEXT NOT NULL,
    subject        TEXT NOT NULL DEFAULT '',
    idempotent     BOOLEAN NOT NULL DEFAULT FALSE,
    issued_at      TEXT NOT NULL,
    expires_at     TEXT NOT NULL DEFAULT '',
    revoked_at     TEXT NOT NULL DEFAULT ''
);

CREATE INDEX auth_token_environment ON auth_token (environment_id);
