package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// The states of a Binder build: Status is running until it is completed or
// failed; Phase says where a running build is.
const (
	BuildRunning   = "running"
	BuildCompleted = "completed"
	BuildFailed    = "failed"

	PhaseQueued   = "queued"
	PhaseFetching = "fetching"
	PhaseBuilding = "building"
	PhaseFinished = "finished"
	PhaseFailed   = "failed"
)

// The states of a deployment.
const (
	AppDeploying = "deploying"
	AppRunning   = "running"
	AppFailed    = "failed"
)

// ErrAlreadyBuilding is returned by StartBuild for an image whose build is
// running, unless forced.
var ErrAlreadyBuilding = errors.New("data: the image is already building")

// Build is a Binder build, advanced by a worker.
type Build struct {
	Name       string `db:"name"`
	Repository string `db:"repository"`
	Status     string `db:"status"`
	Phase      string `db:"phase"`
	Reason     string `db:"reason"`
	StartTime  string `db:"start_time"`
	UpdatedAt  string `db:"updated_at"`
	LeaseUntil string `db:"lease_until"`
	Attempts   int    `db:"attempts"`
}

// Started is the build's start time.
func (b Build) Started() time.Time { return parseItemTime(b.StartTime) }

// Template is a built image in the registry.
type Template struct {
	Name         string `db:"name"`
	ImageSource  string `db:"image_source"`
	Port         int    `db:"port"`
	TimeCreated  string `db:"time_created"`
	TimeModified string `db:"time_modified"`
}

// Created and Modified are the template's times.
func (t Template) Created() time.Time  { return parseItemTime(t.TimeCreated) }
func (t Template) Modified() time.Time { return parseItemTime(t.TimeModified) }

// App is a deployment of a template.
type App struct {
	ID           string `db:"id"`
	TemplateName string `db:"template_name"`
	Status       string `db:"status"`
	Location     string `db:"location"`
	CullTimeout  int    `db:"cull_timeout"`
	CreatedAt    string `db:"created_at"`
	LeaseUntil   string `db:"lease_until"`
}

// Preload is the preloading state of a template.
type Preload struct {
	TemplateName string `db:"template_name"`
	Status       string `db:"status"`
	Time         string `db:"time"`
}

// StartBuild queues a build of an image from a repository: a new build, or
// a new attempt at one that ended. A running build is ErrAlreadyBuilding
// unless force says to start over.
func (db *DB) StartBuild(ctx context.Context, name, repository string, force bool) (Build, error) {
	now := itemTime(time.Now())
	b := Build{Name: name, Repository: repository, Status: BuildRunning, Phase: PhaseQueued, StartTime: now, UpdatedAt: now}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		var status string
		err := tx.GetContext(ctx, &status, db.q(`SELECT status FROM binder_build WHERE name = ?`), name)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, db.q(`INSERT INTO binder_build (name, repository, status, phase, start_time, updated_at) VALUES (?, ?, ?, ?, ?, ?)`),
				b.Name, b.Repository, b.Status, b.Phase, b.StartTime, b.UpdatedAt)
		case err != nil:
		case status == BuildRunning && !force:
			return ErrAlreadyBuilding
		default:
			_, err = tx.ExecContext(ctx, db.q(`UPDATE binder_build SET repository = ?, status = ?, phase = ?, reason = '', start_time = ?, updated_at = ?, lease_until = '', attempts = 0 WHERE name = ?`),
				b.Repository, b.Status, b.Phase, b.StartTime, b.UpdatedAt, b.Name)
		}
		if err != nil {
			return fmt.Errorf("data: start build %s: %w", name, err)
		}
		return nil
	})
	return b, err
}

// Build returns a build, or ErrNotFound.
func (db *DB) Build(ctx context.Context, name string) (Build, error) {
	var b Build
	err := db.x.GetContext(ctx, &b, db.q(`SELECT * FROM binder_build WHERE name = ?`), name)
	if errors.Is(err, sql.ErrNoRows) {
		return b, notFound(fmt.Sprintf("no build of image %s", name))
	}
	if err != nil {
		return b, fmt.Errorf("data: get build %s: %w", name, err)
	}
	return b, nil
}

// Builds returns every build, newest first.
func (db *DB) Builds(ctx context.Context) ([]Build, error) {
	out := []Build{}
	if err := db.x.SelectContext(ctx, &out, `SELECT * FROM binder_build ORDER BY start_time DESC, name`); err != nil {
		return nil, fmt.Errorf("data: list builds: %w", err)
	}
	return out, nil
}

// ClaimBuild gives a worker a running build that no worker holds (never
// claimed, or its lease expired: its worker stopped), with a lease until
// now+lease. ok is false when there is none.
func (db *DB) ClaimBuild(ctx context.Context, lease time.Duration) (b Build, ok bool, err error) {
	for range 3 { // another worker may take the candidate first
		now := itemTime(time.Now())
		err = db.x.GetContext(ctx, &b, db.q(`SELECT * FROM binder_build WHERE status = ? AND lease_until < ? ORDER BY start_time LIMIT 1`), BuildRunning, now)
		if errors.Is(err, sql.ErrNoRows) {
			return b, false, nil
		}
		if err != nil {
			return b, false, fmt.Errorf("data: find a build to work on: %w", err)
		}
		until := itemTime(time.Now().Add(lease))
		res, err := db.x.ExecContext(ctx, db.q(`UPDATE binder_build SET lease_until = ?, attempts = attempts + 1 WHERE name = ? AND status = ? AND lease_until = ?`),
			until, b.Name, BuildRunning, b.LeaseUntil)
		if err != nil {
			return b, false, fmt.Errorf("data: claim build %s: %w", b.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			b.LeaseUntil, b.Attempts = until, b.Attempts+1
			return b, true, nil
		}
	}
	return b, false, nil
}

// AdvanceBuild moves a running build to a phase and renews its lease.
func (db *DB) AdvanceBuild(ctx context.Context, name, phase string, lease time.Duration) error {
	_, err := db.x.ExecContext(ctx, db.q(`UPDATE binder_build SET phase = ?, updated_at = ?, lease_until = ? WHERE name = ? AND status = ?`),
		phase, itemTime(time.Now()), itemTime(time.Now().Add(lease)), name, BuildRunning)
	if err != nil {
		return fmt.Errorf("data: advance build %s: %w", name, err)
	}
	return nil
}

// FinishBuild ends a build: completed with its template (stored or
// replaced in the registry), or failed with a reason when t is nil.
func (db *DB) FinishBuild(ctx context.Context, name string, t *Template, reason string) error {
	now := itemTime(time.Now())
	return db.tx(ctx, func(tx *sqlx.Tx) error {
		status, phase := BuildFailed, PhaseFailed
		if t != nil {
			status, phase = BuildCompleted, PhaseFinished
			_, err := tx.ExecContext(ctx, db.q(`INSERT INTO binder_template (name, image_source, port, time_created, time_modified) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET image_source = excluded.image_source, port = excluded.port, time_modified = excluded.time_modified`),
				t.Name, t.ImageSource, t.Port, now, now)
			if err != nil {
				return fmt.Errorf("data: record template %s: %w", t.Name, err)
			}
		}
		_, err := tx.ExecContext(ctx, db.q(`UPDATE binder_build SET status = ?, phase = ?, reason = ?, updated_at = ?, lease_until = '' WHERE name = ?`),
			status, phase, reason, now, name)
		if err != nil {
			return fmt.Errorf("data: finish build %s: %w", name, err)
		}
		return nil
	})
}

// Template returns a template, or ErrNotFound.
func (db *DB) Template(ctx context.Context, name string) (Template, error) {
	var t Template
	err := db.x.GetContext(ctx, &t, db.q(`SELECT * FROM binder_template WHERE name = ?`), name)
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound(fmt.Sprintf("no template %s", name))
	}
	if err != nil {
		return t, fmt.Errorf("data: get template %s: %w", name, err)
	}
	return t, nil
}

// Templates returns every template, by name.
func (db *DB) Templates(ctx context.Context) ([]Template, error) {
	out := []Template{}
	if err := db.x.SelectContext(ctx, &out, `SELECT * FROM binder_template ORDER BY name`); err != nil {
		return nil, fmt.Errorf("data: list templates: %w", err)
	}
	return out, nil
}

// CreateApp records a deployment of a template, to be started by a
// worker; an unknown template is ErrNotFound.
func (db *DB) CreateApp(ctx context.Context, template string, cullTimeout int) (App, error) {
	a := App{ID: uuid.NewString(), TemplateName: template, Status: AppDeploying, CullTimeout: cullTimeout, CreatedAt: itemTime(time.Now())}
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO binder_app (id, template_name, status, cull_timeout, created_at) VALUES (?, ?, ?, ?, ?)`),
		a.ID, a.TemplateName, a.Status, a.CullTimeout, a.CreatedAt)
	if violated(err) == foreignKeyViolation {
		return a, notFound(fmt.Sprintf("no template %s", template))
	}
	if err != nil {
		return a, fmt.Errorf("data: create deployment of %s: %w", template, err)
	}
	return a, nil
}

// App returns a deployment of a template, or ErrNotFound.
func (db *DB) App(ctx context.Context, template, id string) (App, error) {
	var a App
	err := db.x.GetContext(ctx, &a, db.q(`SELECT * FROM binder_app WHERE template_name = ? AND id = ?`), template, id)
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFound(fmt.Sprintf("no deployment %s of %s", id, template))
	}
	if err != nil {
		return a, fmt.Errorf("data: get deployment %s: %w", id, err)
	}
	return a, nil
}

// Apps returns the deployments of a template, oldest first.
func (db *DB) Apps(ctx context.Context, template string) ([]App, error) {
	out := []App{}
	if err := db.x.SelectContext(ctx, &out, db.q(`SELECT * FROM binder_app WHERE template_name = ? ORDER BY created_at, id`), template); err != nil {
		return nil, fmt.Errorf("data: list deployments of %s: %w", template, err)
	}
	return out, nil
}

// ClaimApp gives a worker a deployment no worker holds, as ClaimBuild does.
func (db *DB) ClaimApp(ctx context.Context, lease time.Duration) (a App, ok bool, err error) {
	for range 3 {
		now := itemTime(time.Now())
		err = db.x.GetContext(ctx, &a, db.q(`SELECT * FROM binder_app WHERE status = ? AND lease_until < ? ORDER BY created_at LIMIT 1`), AppDeploying, now)
		if errors.Is(err, sql.ErrNoRows) {
			return a, false, nil
		}
		if err != nil {
			return a, false, fmt.Errorf("data: find a deployment to work on: %w", err)
		}
		until := itemTime(time.Now().Add(lease))
		res, err := db.x.ExecContext(ctx, db.q(`UPDATE binder_app SET lease_until = ? WHERE id = ? AND status = ? AND lease_until = ?`),
			until, a.ID, AppDeploying, a.LeaseUntil)
		if err != nil {
			return a, false, fmt.Errorf("data: claim deployment %s: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			a.LeaseUntil = until
			return a, true, nil
		}
	}
	return a, false, nil
}

// FinishApp ends a deployment's start: running at a location, or failed.
func (db *DB) FinishApp(ctx context.Context, id, status, location string) error {
	_, err := db.x.ExecContext(ctx, db.q(`UPDATE binder_app SET status = ?, location = ?, lease_until = '' WHERE id = ?`), status, location, id)
	if err != nil {
		return fmt.Errorf("data: finish deployment %s: %w", id, err)
	}
	return nil
}

// SetPreload records the preloading state of a template; an unknown
// template is ErrNotFound.
func (db *DB) SetPreload(ctx context.Context, template, status string) (Preload, error) {
	p := Preload{TemplateName: template, Status: status, Time: itemTime(time.Now())}
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO binder_preload (template_name, status, time) VALUES (?, ?, ?)
		ON CONFLICT (template_name) DO UPDATE SET status = excluded.status, time = excluded.time`), p.TemplateName, p.Status, p.Time)
	if violated(err) == foreignKeyViolation {
		return p, notFound(fmt.Sprintf("no template %s", template))
	}
	if err != nil {
		return p, fmt.Errorf("data: preload %s: %w", template, err)
	}
	return p, nil
}

// Preload returns the preloading state of a template, or ErrNotFound.
func (db *DB) Preload(ctx context.Context, template string) (Preload, error) {
	var p Preload
	err := db.x.GetContext(ctx, &p, db.q(`SELECT * FROM binder_preload WHERE template_name = ?`), template)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound(fmt.Sprintf("no preload of %s", template))
	}
	if err != nil {
		return p, fmt.Errorf("data: get preload %s: %w", template, err)
	}
	return p, nil
}
