package data

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Settings returns the settings set on an environment, as JSON by name.
// Settings never set are absent: their defaults are the caller's.
func (db *DB) Settings(ctx context.Context, envID uuid.UUID) (map[string]json.RawMessage, error) {
	var rows []struct {
		Name  string `db:"name"`
		Value string `db:"value"`
	}
	if err := db.x.SelectContext(ctx, &rows, db.q(`SELECT name, value FROM environment_setting WHERE environment_id = ?`), envID); err != nil {
		return nil, fmt.Errorf("data: settings of environment %s: %w", envID, err)
	}
	out := make(map[string]json.RawMessage, len(rows))
	for _, r := range rows {
		out[r.Name] = json.RawMessage(r.Value)
	}
	return out, nil
}

// SettingsByEnvironment returns the settings of every environment, by
// environment id, in one query.
func (db *DB) SettingsByEnvironment(ctx context.Context) (map[uuid.UUID]map[string]json.RawMessage, error) {
	var rows []struct {
		EnvironmentID uuid.UUID `db:"environment_id"`
		Name          string    `db:"name"`
		Value         string    `db:"value"`
	}
	if err := db.x.SelectContext(ctx, &rows, `SELECT environment_id, name, value FROM environment_setting`); err != nil {
		return nil, fmt.Errorf("data: settings of all environments: %w", err)
	}
	out := map[uuid.UUID]map[string]json.RawMessage{}
	for _, r := range rows {
		if out[r.EnvironmentID] == nil {
			out[r.EnvironmentID] = map[string]json.RawMessage{}
		}
		out[r.EnvironmentID][r.Name] = json.RawMessage(r.Value)
	}
	return out, nil
}

// Setting returns one setting of an environment, and whether it is set.
func (db *DB) Setting(ctx context.Context, envID uuid.UUID, name string) (json.RawMessage, bool, error) {
	var v string
	err := db.x.GetContext(ctx, &v, db.q(`SELECT value FROM environment_setting WHERE environment_id = ? AND name = ?`), envID, name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("data: setting %s of environment %s: %w", name, envID, err)
	}
	return json.RawMessage(v), true, nil
}

// SetSetting sets one setting of an environment to a JSON value.
func (db *DB) SetSetting(ctx context.Context, envID uuid.UUID, name string, value json.RawMessage) error {
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO environment_setting (environment_id, name, value) VALUES (?, ?, ?)
		ON CONFLICT (environment_id, name) DO UPDATE SET value = excluded.value`), envID, name, string(value))
	if violated(err) == foreignKeyViolation {
		return notFound(fmt.Sprintf("environment %s does not exist", envID))
	}
	if err != nil {
		return fmt.Errorf("data: set setting %s of environment %s: %w", name, envID, err)
	}
	return nil
}

// DeleteSetting unsets one setting of an environment; unsetting one that
// is not set does nothing.
func (db *DB) DeleteSetting(ctx context.Context, envID uuid.UUID, name string) error {
	if _, err := db.x.ExecContext(ctx, db.q(`DELETE FROM environment_setting WHERE environment_id = ? AND name = ?`), envID, name); err != nil {
		return fmt.Errorf("data: delete setting %s of environment %s: %w", name, envID, err)
	}
	return nil
}
