package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// IntegrationDoc is a stored integration: its JSON document (resources
// included), which the provider that owns it reads and writes whole.
type IntegrationDoc struct {
	UUID      string `db:"uuid"`
	SessionID string `db:"session_id"`
	Provider  string `db:"provider"`
	Doc       string `db:"doc"`
	UpdatedAt string `db:"updated_at"`
}

// Integrations returns a session's stored integrations, oldest first.
func (db *DB) Integrations(ctx context.Context, session string) ([]IntegrationDoc, error) {
	out := []IntegrationDoc{}
	if err := db.x.SelectContext(ctx, &out, db.q(`SELECT * FROM beaker_integration WHERE session_id = ? ORDER BY updated_at, uuid`), session); err != nil {
		return nil, fmt.Errorf("data: list integrations of session %s: %w", session, err)
	}
	return out, nil
}

// Integration returns one stored integration of a session, or ErrNotFound.
func (db *DB) Integration(ctx context.Context, session, uuid string) (IntegrationDoc, error) {
	var d IntegrationDoc
	err := db.x.GetContext(ctx, &d, db.q(`SELECT * FROM beaker_integration WHERE session_id = ? AND uuid = ?`), session, uuid)
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound(fmt.Sprintf("no integration %s in session %s", uuid, session))
	}
	if err != nil {
		return d, fmt.Errorf("data: get integration %s: %w", uuid, err)
	}
	return d, nil
}

// PutIntegration stores an integration's document, new or changed.
func (db *DB) PutIntegration(ctx context.Context, d IntegrationDoc) error {
	d.UpdatedAt = itemTime(time.Now())
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO beaker_integration (uuid, session_id, provider, doc, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (uuid) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`),
		d.UUID, d.SessionID, d.Provider, d.Doc, d.UpdatedAt)
	if err != nil {
		return fmt.Errorf("data: store integration %s: %w", d.UUID, err)
	}
	return nil
}

// UpdateIntegration changes a stored integration's document with fn, in a
// transaction, so concurrent changes to its resources are not lost.
func (db *DB) UpdateIntegration(ctx context.Context, session, uuid string, fn func(doc string) (string, error)) error {
	return db.tx(ctx, func(tx *sqlx.Tx) error {
		var d IntegrationDoc
		err := tx.GetContext(ctx, &d, db.q(`SELECT * FROM beaker_integration WHERE session_id = ? AND uuid = ?`), session, uuid)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(fmt.Sprintf("no integration %s in session %s", uuid, session))
		}
		if err != nil {
			return fmt.Errorf("data: get integration %s: %w", uuid, err)
		}
		doc, err := fn(d.Doc)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE beaker_integration SET doc = ?, updated_at = ? WHERE uuid = ?`), doc, itemTime(time.Now()), uuid)
		if err != nil {
			return fmt.Errorf("data: store integration %s: %w", uuid, err)
		}
		return nil
	})
}
