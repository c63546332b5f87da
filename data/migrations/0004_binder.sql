-- Binder: builds advanced by a worker, the templates they make, and the
-- applications deployed from them. A build or deployment a worker is
-- working on holds a lease (lease_until); a worker that stops lets it
-- expire, and the next worker takes the job up again.

CREATE TABLE binder_build (
    name        TEXT PRIMARY KEY,
    repository  TEXT NOT NULL,
    status      TEXT NOT NULL,
    phase       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    start_time  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    lease_until TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE binder_template (
    name          TEXT PRIMARY KEY,
    image_source  TEXT NOT NULL,
    port          INTEGER NOT NULL,
    time_created  TEXT NOT NULL,
    time_modified TEXT NOT NULL
);

CREATE TABLE binder_app (
    id            TEXT PRIMARY KEY,
    template_name TEXT NOT NULL REFERENCES binder_template (name) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    location      TEXT NOT NULL DEFAULT '',
    cull_timeout  INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    lease_until   TEXT NOT NULL DEFAULT ''
);

CREATE INDEX binder_app_by_template ON binder_app (template_name, created_at);

CREATE TABLE binder_preload (
    template_name TEXT PRIMARY KEY REFERENCES binder_template (name) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    time          TEXT NOT NULL
);
