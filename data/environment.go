package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Environment is a deployment target within a project.
type Environment struct {
	ID          uuid.UUID `db:"id"`
	ProjectID   uuid.UUID `db:"project_id"`
	Name        string    `db:"name"`
	RepoURL     string    `db:"repo_url"`
	RepoBranch  string    `db:"repo_branch"`
	Description string    `db:"description"`
	Icon        string    `db:"icon"`
	Halted      bool      `db:"halted"`
}

const environmentColumns = `id, project_id, name, repo_url, repo_branch, description, icon, halted`

// CreateEnvironment stores a new environment. A missing project is not
// found; a name taken within the project, or an id taken, is a conflict.
func (db *DB) CreateEnvironment(ctx context.Context, e Environment) error {
	return db.tx(ctx, func(tx *sqlx.Tx) error {
		if err := db.environmentFits(ctx, tx, e); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO environment (`+environmentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			e.ID, e.ProjectID, e.Name, e.RepoURL, e.RepoBranch, e.Description, e.Icon, e.Halted)
		return environmentWriteError(err, e, "create")
	})
}

// environmentFits checks that e's project exists and that no other
// environment of it has e's name.
func (db *DB) environmentFits(ctx context.Context, tx *sqlx.Tx, e Environment) error {
	if _, err := db.getProject(ctx, tx, e.ProjectID); err != nil {
		return err
	}
	var other uuid.UUID
	err := tx.GetContext(ctx, &other, db.q(`SELECT id FROM environment WHERE project_id = ? AND name = ?`), e.ProjectID, e.Name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("data: look up environment name: %w", err)
	case other != e.ID:
		return conflict(fmt.Sprintf("the project already has an environment named %q", e.Name))
	}
	return nil
}

func environmentWriteError(err error, e Environment, op string) error {
	switch violated(err) {
	case uniqueViolation:
		return conflict(fmt.Sprintf("an environment with id %s or name %q already exists", e.ID, e.Name))
	case foreignKeyViolation:
		return notFound(fmt.Sprintf("project %s does not exist", e.ProjectID))
	}
	if err != nil {
		return fmt.Errorf("data: %s environment %s: %w", op, e.ID, err)
	}
	return nil
}

// GetEnvironment returns the environment with the given id.
func (db *DB) GetEnvironment(ctx context.Context, id uuid.UUID) (Environment, error) {
	return db.getEnvironment(ctx, db.x, id)
}

func (db *DB) getEnvironment(ctx context.Context, q sqlx.QueryerContext, id uuid.UUID) (Environment, error) {
	var e Environment
	err := sqlx.GetContext(ctx, q, &e, db.q(`SELECT `+environmentColumns+` FROM environment WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return e, notFound(fmt.Sprintf("environment %s does not exist", id))
	}
	if err != nil {
		return e, fmt.Errorf("data: get environment %s: %w", id, err)
	}
	return e, nil
}

// ListEnvironments returns the environments of one project, or of all when
// projectID is nil, sorted by project, then name (Inmanta's order).
func (db *DB) ListEnvironments(ctx context.Context, projectID *uuid.UUID) ([]Environment, error) {
	envs := []Environment{}
	query, args := `SELECT `+environmentColumns+` FROM environment ORDER BY project_id, name, id`, []any{}
	if projectID != nil {
		query, args = `SELECT `+environmentColumns+` FROM environment WHERE project_id = ? ORDER BY name, id`, []any{*projectID}
	}
	if err := db.x.SelectContext(ctx, &envs, db.q(query), args...); err != nil {
		return nil, fmt.Errorf("data: list environments: %w", err)
	}
	return envs, nil
}

// EnvironmentsByProject returns every environment, by project id, each
// project's sorted by name: one query for listing projects with theirs.
func (db *DB) EnvironmentsByProject(ctx context.Context) (map[uuid.UUID][]Environment, error) {
	envs, err := db.ListEnvironments(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID][]Environment{}
	for _, e := range envs {
		out[e.ProjectID] = append(out[e.ProjectID], e)
	}
	return out, nil
}

// UpdateEnvironment reads an environment, lets change modify it, and
// writes it back, in one transaction. Its id cannot change.
func (db *DB) UpdateEnvironment(ctx context.Context, id uuid.UUID, change func(*Environment) error) (Environment, error) {
	var e Environment
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if e, err = db.getEnvironment(ctx, tx, id); err != nil {
			return err
		}
		if err := change(&e); err != nil {
			return err
		}
		e.ID = id
		if err := db.environmentFits(ctx, tx, e); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE environment SET project_id = ?, name = ?, repo_url = ?, repo_branch = ?,
			description = ?, icon = ?, halted = ? WHERE id = ?`),
			e.ProjectID, e.Name, e.RepoURL, e.RepoBranch, e.Description, e.Icon, e.Halted, id)
		return environmentWriteError(err, e, "update")
	})
	return e, err
}

// DeleteEnvironment deletes an environment and its settings together.
func (db *DB) DeleteEnvironment(ctx context.Context, id uuid.UUID) error {
	return db.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM environment_setting WHERE environment_id = ?`), id); err != nil {
			return fmt.Errorf("data: delete settings of environment %s: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM environment WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("data: delete environment %s: %w", id, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return notFound(fmt.Sprintf("environment %s does not exist", id))
		}
		return nil
	})
}
