package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Token is the record of a token the server issued. Times are stored as
// RFC 3339 text in UTC, which both databases order and compare alike.
type Token struct {
	ID            string    // the JWT's jti
	EnvironmentID uuid.UUID // the environment it is limited to
	ClientTypes   []string
	Subject       string
	Idempotent    bool // the same claims always give the same token
	IssuedAt      time.Time
	ExpiresAt     time.Time // zero: never
	RevokedAt     time.Time // zero: not revoked
}

type tokenRow struct {
	ID            string    `db:"id"`
	EnvironmentID uuid.UUID `db:"environment_id"`
	ClientTypes   string    `db:"client_types"`
	Subject       string    `db:"subject"`
	Idempotent    bool      `db:"idempotent"`
	IssuedAt      string    `db:"issued_at"`
	ExpiresAt     string    `db:"expires_at"`
	RevokedAt     string    `db:"revoked_at"`
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func (r tokenRow) token() Token {
	return Token{
		ID: r.ID, EnvironmentID: r.EnvironmentID, ClientTypes: strings.Split(r.ClientTypes, ","), Subject: r.Subject,
		Idempotent: r.Idempotent, IssuedAt: parseTime(r.IssuedAt), ExpiresAt: parseTime(r.ExpiresAt), RevokedAt: parseTime(r.RevokedAt),
	}
}

// RecordToken stores an issued token. Recording an idempotent token again
// (same id) keeps the first record, and its revocation.
func (db *DB) RecordToken(ctx context.Context, t Token) error {
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO auth_token (id, environment_id, client_types, subject, idempotent, issued_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		t.ID, t.EnvironmentID, strings.Join(t.ClientTypes, ","), t.Subject, t.Idempotent, formatTime(t.IssuedAt), formatTime(t.ExpiresAt))
	if violated(err) == foreignKeyViolation {
		return notFound(fmt.Sprintf("environment %s does not exist", t.EnvironmentID))
	}
	if err != nil {
		return fmt.Errorf("data: record token %s: %w", t.ID, err)
	}
	return nil
}

// Token returns the record of one token.
func (db *DB) Token(ctx context.Context, id string) (Token, error) {
	var r tokenRow
	err := db.x.GetContext(ctx, &r, db.q(`SELECT * FROM auth_token WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, notFound(fmt.Sprintf("token %s does not exist", id))
	}
	if err != nil {
		return Token{}, fmt.Errorf("data: token %s: %w", id, err)
	}
	return r.token(), nil
}

// Tokens returns the tokens issued for an environment, oldest first.
func (db *DB) Tokens(ctx context.Context, envID uuid.UUID) ([]Token, error) {
	var rows []tokenRow
	if err := db.x.SelectContext(ctx, &rows, db.q(`SELECT * FROM auth_token WHERE environment_id = ? ORDER BY issued_at, id`), envID); err != nil {
		return nil, fmt.Errorf("data: tokens of environment %s: %w", envID, err)
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = r.token()
	}
	return out, nil
}

// RevokeToken marks a token revoked; revoking it again keeps the first time.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	return db.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE auth_token SET revoked_at = ? WHERE id = ? AND revoked_at = ''`), formatTime(at), id)
		if err != nil {
			return fmt.Errorf("data: revoke token %s: %w", id, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			var exists int
			if err := tx.GetContext(ctx, &exists, db.q(`SELECT COUNT(*) FROM auth_token WHERE id = ?`), id); err != nil {
				return fmt.Errorf("data: look up token %s: %w", id, err)
			}
			if exists == 0 {
				return notFound(fmt.Sprintf("token %s does not exist", id))
			}
		}
		return nil
	})
}

// TokenRevoked reports whether a token was revoked. A token the server has
// no record of (issued offline) is not.
func (db *DB) TokenRevoked(ctx context.Context, id string) (bool, error) {
	var at string
	err := db.x.GetContext(ctx, &at, db.q(`SELECT revoked_at FROM auth_token WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("data: is token %s revoked: %w", id, err)
	}
	return at != "", nil
}
