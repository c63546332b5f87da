-- Collections of key/value items (OpenFn Lightning) and the tokens that
-- reach them. Items keep their insertion order in an auto-increment id,
-- which an upsert leaves alone: paging by id never meets an item twice.
-- Times are text of fixed width (microseconds, UTC), so they order and
-- compare as text. The PostgreSQL version differs only in the id column.

CREATE TABLE collection (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX collection_by_project ON collection (project_id, name);

CREATE TABLE collection_item (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id TEXT NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    created       TEXT NOT NULL,
    updated       TEXT NOT NULL,
    UNIQUE (collection_id, key)
);

CREATE INDEX collection_item_scan ON collection_item (collection_id, id);

CREATE TABLE collection_token (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    project_id TEXT NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    label      TEXT NOT NULL DEFAULT '',
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT ''
);

CREATE INDEX collection_token_by_project ON collection_token (project_id, created_at);
