package data

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// ErrForbidden is returned when a viewer may not read or edit a row that
// exists.
var ErrForbidden = errors.New("data: forbidden")

// Viewer is who asks, as access rules see them.
type Viewer struct {
	UserID string // "": anonymous
	Admin  bool   // an administrator acting in admin mode
}

// Policy declares, once for an object type, which of its rows a viewer
// may read and edit: SQL conditions on its table, aliased t, with their
// values. "" allows every row. Lists apply them in the query, so a list
// never holds a row its viewer may not read; single reads and edits check
// them on the row.
type Policy struct {
	Table string
	ID    string // the key column
	Read  func(Viewer) (string, []any)
	Edit  func(Viewer) (string, []any)
}

const none = "1 = 0"

// projectMember is the condition that the viewer is a project's member,
// with one of roles when any are given, or its owner.
func projectMember(alias string, roles ...string) string {
	cond := "EXISTS (SELECT 1 FROM mobyle_member m WHERE m.project_id = " + alias + ".id AND m.user_id = ?"
	if len(roles) > 0 {
		cond += " AND m.role IN ('" + strings.Join(roles, "', '") + "')"
	}
	return "(" + alias + ".owner = ? OR " + cond + "))"
}

// projectRead is who reads a project, the table aliased alias.
func projectRead(alias string, v Viewer) (string, []any) {
	switch {
	case v.Admin:
		return "", nil
	case v.UserID == "":
		return alias + ".public = TRUE", nil
	}
	return "(" + alias + ".public = TRUE OR " + projectMember(alias) + ")", []any{v.UserID, v.UserID}
}

// Mobyle2's rules, as its own code states them.
var (
	// ProjectPolicy: anonymous callers read public projects; users read
	// those and the ones they belong to, and edit where they own, manage
	// or contribute (watchers read only); administrators in admin mode
	// read and edit all.
	ProjectPolicy = Policy{
		Table: "mobyle_project", ID: "id",
		Read: func(v Viewer) (string, []any) { return projectRead("t", v) },
		Edit: func(v Viewer) (string, []any) {
			switch {
			case v.Admin:
				return "", nil
			case v.UserID == "":
				return none, nil
			}
			return projectMember("t", "manager", "contributor"), []any{v.UserID, v.UserID}
		},
	}
	// UserPolicy: a user reads themself; administrators in admin mode all.
	UserPolicy = Policy{
		Table: "mobyle_user", ID: "id",
		Read: func(v Viewer) (string, []any) {
			switch {
			case v.Admin:
				return "", nil
			case v.UserID == "":
				return none, nil
			}
			return "t.id = ?", []any{v.UserID}
		},
		Edit: func(v Viewer) (string, []any) {
			if v.Admin {
				return "", nil
			}
			return none, nil
		},
	}
	// ServicePolicy: server-level services are everyone's; a project's
	// services are read by whoever reads the project.
	ServicePolicy = Policy{
		Table: "mobyle_service", ID: "name",
		Read: func(v Viewer) (string, []any) {
			cond, args := projectRead("p", v)
			if cond == "" {
				return "", nil
			}
			return "(t.project_id = '' OR EXISTS (SELECT 1 FROM mobyle_project p WHERE p.id = t.project_id AND " + cond + "))", args
		},
		Edit: func(v Viewer) (string, []any) {
			if v.Admin {
				return "", nil
			}
			return none, nil
		},
	}
)

// where joins a policy condition to a query's own.
func where(own string, cond string) string {
	switch {
	case own == "" && cond == "":
		return ""
	case own == "":
		return " WHERE " + cond
	case cond == "":
		return " WHERE " + own
	}
	return " WHERE " + own + " AND " + cond
}

// check says whether the row of a policy's table with that key exists
// (ErrNotFound if not) and the rule allows the viewer (ErrForbidden if
// not).
func (db *DB) check(ctx context.Context, p Policy, rule func(Viewer) (string, []any), v Viewer, key string) error {
	cond, args := rule(v)
	if cond == "" {
		cond = "1 = 1"
	}
	var ok bool
	err := db.x.GetContext(ctx, &ok, db.q(`SELECT CASE WHEN `+cond+` THEN TRUE ELSE FALSE END FROM `+p.Table+` t WHERE t.`+p.ID+` = ?`), append(args, key)...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound(fmt.Sprintf("no %s %q", strings.TrimPrefix(p.Table, "mobyle_"), key))
	case err != nil:
		return fmt.Errorf("data: check access to %s %s: %w", p.Table, key, err)
	case !ok:
		return ErrForbidden
	}
	return nil
}

// MobyleUser is a user of Mobyle2.
type MobyleUser struct {
	ID                 string `db:"id"`
	Email              string `db:"email"`
	Type               string `db:"type"`
	AuthenticationType string `db:"authentication_type"`
	Status             string `db:"status"`
	StatusMessage      string `db:"status_message"`
	IsAdmin            bool   `db:"is_admin"`
	Groups             string `db:"groups_list"`
	TokenHash          string `db:"token_hash"`
}

// CreateMobyleUser stores a user and returns the token that speaks for
// them (not stored: only its hash is).
func (db *DB) CreateMobyleUser(ctx context.Context, u MobyleUser) (MobyleUser, string, error) {
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return u, "", err
	}
	secret := "mob_" + base64.RawURLEncoding.EncodeToString(raw[:])
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	u.TokenHash = tokenHash(secret)
	_, err := db.x.NamedExecContext(ctx, `INSERT INTO mobyle_user (id, email, type, authentication_type, status, status_message, is_admin, groups_list, token_hash)
		VALUES (:id, :email, :type, :authentication_type, :status, :status_message, :is_admin, :groups_list, :token_hash)`, u)
	if violated(err) == uniqueViolation {
		return u, "", conflict(fmt.Sprintf("a user with id %s exists", u.ID))
	}
	if err != nil {
		return u, "", fmt.Errorf("data: create user: %w", err)
	}
	return u, secret, nil
}

// MobyleUserByToken finds the user a token speaks for, or ErrNotFound.
func (db *DB) MobyleUserByToken(ctx context.Context, secret string) (MobyleUser, error) {
	var u MobyleUser
	err := db.x.GetContext(ctx, &u, db.q(`SELECT * FROM mobyle_user WHERE token_hash = ?`), tokenHash(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("no user has that token")
	}
	return u, err
}

// MobyleUsers lists the users the viewer may read, by id.
func (db *DB) MobyleUsers(ctx context.Context, v Viewer) ([]MobyleUser, error) {
	cond, args := UserPolicy.Read(v)
	out := []MobyleUser{}
	if err := db.x.SelectContext(ctx, &out, db.q(`SELECT t.* FROM mobyle_user t`+where("", cond)+` ORDER BY t.id`), args...); err != nil {
		return nil, fmt.Errorf("data: list users: %w", err)
	}
	return out, nil
}

// MobyleUser returns a user the viewer may read.
func (db *DB) MobyleUser(ctx context.Context, v Viewer, id string) (MobyleUser, error) {
	var u MobyleUser
	if err := db.check(ctx, UserPolicy, UserPolicy.Read, v, id); err != nil {
		return u, err
	}
	err := db.x.GetContext(ctx, &u, db.q(`SELECT * FROM mobyle_user WHERE id = ?`), id)
	return u, err
}

// MobyleMember is a user's role in a project.
type MobyleMember struct {
	ProjectID string `db:"project_id"`
	UserID    string `db:"user_id"`
	Role      string `db:"role"` // manager, contributor or watcher
}

// MobyleProject is a project with its members.
type MobyleProject struct {
	ID      string `db:"id"`
	Name    string `db:"name"`
	Owner   string `db:"owner"`
	Public  bool   `db:"public"`
	Members []MobyleMember
}

// CreateMobyleProject stores a project owned by its owner.
func (db *DB) CreateMobyleProject(ctx context.Context, p MobyleProject) (MobyleProject, error) {
	if p.ID == "" {
		p.ID = uuid.NewString()
	}
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO mobyle_project (id, name, owner, public) VALUES (?, ?, ?, ?)`), p.ID, p.Name, p.Owner, p.Public)
	if violated(err) == foreignKeyViolation {
		return p, notFound(fmt.Sprintf("no user %q", p.Owner))
	}
	if err != nil {
		return p, fmt.Errorf("data: create project: %w", err)
	}
	return p, nil
}

func (db *DB) withMembers(ctx context.Context, ps []MobyleProject) error {
	for i := range ps {
		if err := db.x.SelectContext(ctx, &ps[i].Members, db.q(`SELECT * FROM mobyle_member WHERE project_id = ? ORDER BY user_id`), ps[i].ID); err != nil {
			return fmt.Errorf("data: members of %s: %w", ps[i].ID, err)
		}
	}
	return nil
}

// MobyleProjects lists the projects the viewer may read, by name.
func (db *DB) MobyleProjects(ctx context.Context, v Viewer) ([]MobyleProject, error) {
	cond, args := ProjectPolicy.Read(v)
	out := []MobyleProject{}
	if err := db.x.SelectContext(ctx, &out, db.q(`SELECT t.id, t.name, t.owner, t.public FROM mobyle_project t`+where("", cond)+` ORDER BY t.name, t.id`), args...); err != nil {
		return nil, fmt.Errorf("data: list projects: %w", err)
	}
	return out, db.withMembers(ctx, out)
}

// MobyleProject returns a project the viewer may read.
func (db *DB) MobyleProject(ctx context.Context, v Viewer, id string) (MobyleProject, error) {
	if err := db.check(ctx, ProjectPolicy, ProjectPolicy.Read, v, id); err != nil {
		return MobyleProject{}, err
	}
	var p []MobyleProject
	if err := db.x.SelectContext(ctx, &p, db.q(`SELECT id, name, owner, public FROM mobyle_project WHERE id = ?`), id); err != nil || len(p) != 1 {
		return MobyleProject{}, fmt.Errorf("data: get project %s: %v", id, err)
	}
	return p[0], db.withMembers(ctx, p)
}

// ModifyMobyleProject renames a project or makes it public or private,
// when the viewer may edit it.
func (db *DB) ModifyMobyleProject(ctx context.Context, v Viewer, id string, name *string, public *bool) error {
	if err := db.check(ctx, ProjectPolicy, ProjectPolicy.Edit, v, id); err != nil {
		return err
	}
	if name != nil {
		if _, err := db.x.ExecContext(ctx, db.q(`UPDATE mobyle_project SET name = ? WHERE id = ?`), *name, id); err != nil {
			return fmt.Errorf("data: rename project %s: %w", id, err)
		}
	}
	if public != nil {
		if _, err := db.x.ExecContext(ctx, db.q(`UPDATE mobyle_project SET public = ? WHERE id = ?`), *public, id); err != nil {
			return fmt.Errorf("data: change project %s: %w", id, err)
		}
	}
	return nil
}

// SetMobyleMember gives a user a role in a project ("" removes them), when
// the viewer may edit the project.
func (db *DB) SetMobyleMember(ctx context.Context, v Viewer, projectID, userID, role string) error {
	if err := db.check(ctx, ProjectPolicy, ProjectPolicy.Edit, v, projectID); err != nil {
		return err
	}
	var err error
	if role == "" {
		_, err = db.x.ExecContext(ctx, db.q(`DELETE FROM mobyle_member WHERE project_id = ? AND user_id = ?`), projectID, userID)
	} else {
		_, err = db.x.ExecContext(ctx, db.q(`INSERT INTO mobyle_member (project_id, user_id, role) VALUES (?, ?, ?)
			ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`), projectID, userID, role)
	}
	if violated(err) == foreignKeyViolation {
		return notFound(fmt.Sprintf("no user %q", userID))
	}
	if err != nil {
		return fmt.Errorf("data: set member of %s: %w", projectID, err)
	}
	return nil
}

// MobyleServer is a Mobyle2 server.
type MobyleServer struct {
	Name   string `db:"name"`
	URL    string `db:"url"`
	Active bool   `db:"active"`
}

// PutMobyleServer creates or changes a server.
func (db *DB) PutMobyleServer(ctx context.Context, s MobyleServer) error {
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO mobyle_server (name, url, active) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET url = excluded.url, active = excluded.active`), s.Name, s.URL, s.Active)
	if err != nil {
		return fmt.Errorf("data: store server %s: %w", s.Name, err)
	}
	return nil
}

// MobyleServers lists the servers, by name.
func (db *DB) MobyleServers(ctx context.Context) ([]MobyleServer, error) {
	out := []MobyleServer{}
	err := db.x.SelectContext(ctx, &out, `SELECT * FROM mobyle_server ORDER BY name`)
	return out, err
}

// MobyleService is a service of a server, of a project or server-level
// (ProjectID "").
type MobyleService struct {
	Name      string `db:"name"`
	ProjectID string `db:"project_id"`
	Server    string `db:"server"`
	Type      string `db:"type"`
	Exported  bool   `db:"exported"`
	Disabled  bool   `db:"disabled"`
}

// PutMobyleService creates or changes a service.
func (db *DB) PutMobyleService(ctx context.Context, s MobyleService) error {
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO mobyle_service (name, project_id, server, type, exported, disabled) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name, project_id, server) DO UPDATE SET type = excluded.type, exported = excluded.exported, disabled = excluded.disabled`),
		s.Name, s.ProjectID, s.Server, s.Type, s.Exported, s.Disabled)
	if violated(err) == foreignKeyViolation {
		return notFound(fmt.Sprintf("no server %q", s.Server))
	}
	if err != nil {
		return fmt.Errorf("data: store service %s: %w", s.Name, err)
	}
	return nil
}

// MobyleServices lists the services the viewer may read.
func (db *DB) MobyleServices(ctx context.Context, v Viewer) ([]MobyleService, error) {
	cond, args := ServicePolicy.Read(v)
	out := []MobyleService{}
	if err := db.x.SelectContext(ctx, &out, db.q(`SELECT t.* FROM mobyle_service t`+where("", cond)+` ORDER BY t.server, t.project_id, t.name`), args...); err != nil {
		return nil, fmt.Errorf("data: list services: %w", err)
	}
	return out, nil
}

// MobyleService returns one service the viewer may read.
func (db *DB) MobyleService(ctx context.Context, v Viewer, name, projectID, server string) (MobyleService, error) {
	cond, args := ServicePolicy.Read(v)
	var out []MobyleService
	key := "t.name = ? AND t.project_id = ? AND t.server = ?"
	if err := db.x.SelectContext(ctx, &out, db.q(`SELECT t.* FROM mobyle_service t`+where(key, cond)), append([]any{name, projectID, server}, args...)...); err != nil {
		return MobyleService{}, fmt.Errorf("data: get service %s: %w", name, err)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	var n int
	if err := db.x.GetContext(ctx, &n, db.q(`SELECT COUNT(*) FROM mobyle_service t WHERE `+key), name, projectID, server); err != nil {
		return MobyleService{}, fmt.Errorf("data: get service %s: %w", name, err)
	}
	if n == 0 {
		return MobyleService{}, notFound(fmt.Sprintf("no service %s::%s::%s", name, projectID, server))
	}
	return MobyleService{}, ErrForbidden
}
