-- Beaker integrations held by the server's own (adhoc) providers: each a
-- JSON document with its resources, per session.

CREATE TABLE beaker_integration (
    uuid       TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    provider   TEXT NOT NULL,
    doc        TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX beaker_integration_by_session ON beaker_integration (session_id, provider);
