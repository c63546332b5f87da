-- Projects, environments and their settings.
-- Portable between SQLite and PostgreSQL: ids are UUIDs in text form, which
-- both compare and index alike; setting values are JSON in text.

CREATE TABLE project (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE environment (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES project (id),
    name        TEXT NOT NULL,
    repo_url    TEXT NOT NULL DEFAULT '',
    repo_branch TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    icon        TEXT NOT NULL DEFAULT '',
    halted      BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (project_id, name)
);

CREATE TABLE environment_setting (
    environment_id TEXT NOT NULL REFERENCES environment (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    value          TEXT NOT NULL,
    PRIMARY KEY (environment_id, name)
);
