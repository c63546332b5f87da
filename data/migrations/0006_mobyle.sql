-- Mobyle2: users, projects and their members, servers and services.
-- Who may read and edit what is declared once per object type, as
-- conditions on these tables (data/mobyle.go).

CREATE TABLE mobyle_user (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL DEFAULT '',
    type                TEXT NOT NULL,
    authentication_type TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,
    status_message      TEXT NOT NULL DEFAULT '',
    is_admin            BOOLEAN NOT NULL DEFAULT FALSE,
    groups_list         TEXT NOT NULL DEFAULT '',
    token_hash          TEXT NOT NULL UNIQUE
);

CREATE TABLE mobyle_project (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    owner  TEXT NOT NULL REFERENCES mobyle_user (id),
    public BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE mobyle_member (
    project_id TEXT NOT NULL REFERENCES mobyle_project (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES mobyle_user (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

CREATE INDEX mobyle_member_by_user ON mobyle_member (user_id);

CREATE TABLE mobyle_server (
    name   TEXT PRIMARY KEY,
    url    TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE mobyle_service (
    name       TEXT NOT NULL,
    project_id TEXT NOT NULL DEFAULT '',
    server     TEXT NOT NULL REFERENCES mobyle_server (name) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    exported   BOOLEAN NOT NULL DEFAULT FALSE,
    disabled   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (name, project_id, server)
);
