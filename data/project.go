package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Project groups environments.
type Project struct {
	ID   uuid.UUID `db:"id"`
	Name string    `db:"name"`
}

// CreateProject stores a new project. A name or id already taken is a
// conflict.
func (db *DB) CreateProject(ctx context.Context, p Project) error {
	return db.tx(ctx, func(tx *sqlx.Tx) error {
		if err := db.nameFree(ctx, tx, p.Name, uuid.Nil); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO project (id, name) VALUES (?, ?)`), p.ID, p.Name)
		if violated(err) == uniqueViolation {
			return conflict(fmt.Sprintf("a project with id %s or name %q already exists", p.ID, p.Name))
		}
		if err != nil {
			return fmt.Errorf("data: create project: %w", err)
		}
		return nil
	})
}

// nameFree fails with a conflict when another project than self has name.
func (db *DB) nameFree(ctx context.Context, tx *sqlx.Tx, name string, self uuid.UUID) error {
	var id uuid.UUID
	err := tx.GetContext(ctx, &id, db.q(`SELECT id FROM project WHERE name = ?`), name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("data: look up project name: %w", err)
	case id != self:
		return conflict(fmt.Sprintf("a project named %q already exists", name))
	}
	return nil
}

// GetProject returns the project with the given id.
func (db *DB) GetProject(ctx context.Context, id uuid.UUID) (Project, error) {
	return db.getProject(ctx, db.x, id)
}

func (db *DB) getProject(ctx context.Context, q sqlx.QueryerContext, id uuid.UUID) (Project, error) {
	var p Project
	err := sqlx.GetContext(ctx, q, &p, db.q(`SELECT id, name FROM project WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound(fmt.Sprintf("project %s does not exist", id))
	}
	if err != nil {
		return p, fmt.Errorf("data: get project %s: %w", id, err)
	}
	return p, nil
}

// ListProjects returns every project, sorted by name.
func (db *DB) ListProjects(ctx context.Context) ([]Project, error) {
	ps := []Project{}
	if err := db.x.SelectContext(ctx, &ps, `SELECT id, name FROM project ORDER BY name, id`); err != nil {
		return nil, fmt.Errorf("data: list projects: %w", err)
	}
	return ps, nil
}

// RenameProject changes the name of a project.
func (db *DB) RenameProject(ctx context.Context, id uuid.UUID, name string) (Project, error) {
	p := Project{ID: id, Name: name}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := db.getProject(ctx, tx, id); err != nil {
			return err
		}
		if err := db.nameFree(ctx, tx, name, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`UPDATE project SET name = ? WHERE id = ?`), name, id)
		if violated(err) == uniqueViolation {
			return conflict(fmt.Sprintf("a project named %q already exists", name))
		}
		if err != nil {
			return fmt.Errorf("data: rename project %s: %w", id, err)
		}
		return nil
	})
	return p, err
}

// DeleteProject deletes a project. A project that still has environments
// is not deleted: the conflict names them.
func (db *DB) DeleteProject(ctx context.Context, id uuid.UUID) error {
	return db.tx(ctx, func(tx *sqlx.Tx) error {
		p, err := db.getProject(ctx, tx, id)
		if err != nil {
			return err
		}
		var names []string
		if err := tx.SelectContext(ctx, &names, db.q(`SELECT name FROM environment WHERE project_id = ? ORDER BY name`), id); err != nil {
			return fmt.Errorf("data: list environments of project %s: %w", id, err)
		}
		if len(names) > 0 {
			return conflict(fmt.Sprintf("project %q still has environments: %s", p.Name, strings.Join(names, ", ")))
		}
		_, err = tx.ExecContext(ctx, db.q(`DELETE FROM project WHERE id = ?`), id)
		if violated(err) == foreignKeyViolation {
			return conflict(fmt.Sprintf("project %q still has environments", p.Name))
		}
		if err != nil {
			return fmt.Errorf("data: delete project %s: %w", id, err)
		}
		return nil
	})
}
