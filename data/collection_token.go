package data

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
)

// CollectionToken is a bearer token that reaches the collections of one
// project: a user's personal access token or a run's token. Only a hash
// of its secret is stored.
type CollectionToken struct {
	ID        uuid.UUID
	Kind      string // "personal" or "run"
	ProjectID uuid.UUID
	Label     string
	CreatedAt time.Time
	RevokedAt time.Time // zero: live
}

type collectionTokenRow struct {
	ID        uuid.UUID `db:"id"`
	Kind      string    `db:"kind"`
	ProjectID uuid.UUID `db:"project_id"`
	Label     string    `db:"label"`
	Hash      string    `db:"hash"`
	CreatedAt string    `db:"created_at"`
	RevokedAt string    `db:"revoked_at"`
}

func (r collectionTokenRow) token() CollectionToken {
	t := CollectionToken{ID: r.ID, Kind: r.Kind, ProjectID: r.ProjectID, Label: r.Label, CreatedAt: parseItemTime(r.CreatedAt)}
	if r.RevokedAt != "" {
		t.RevokedAt = parseItemTime(r.RevokedAt)
	}
	return t
}

// tokenHash is what is stored of a secret: enough to recognise it, nothing
// to use it with.
func tokenHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateCollectionToken issues a token for a project and returns its
// secret, which is not stored and cannot be shown again.
func (db *DB) CreateCollectionToken(ctx context.Context, kind string, projectID uuid.UUID, label string) (string, CollectionToken, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", CollectionToken{}, fmt.Errorf("data: token secret: %w", err)
	}
	secret := "tgc_" + base64.RawURLEncoding.EncodeToString(raw[:])
	r := collectionTokenRow{ID: uuid.New(), Kind: kind, ProjectID: projectID, Label: label, Hash: tokenHash(secret), CreatedAt: itemTime(time.Now())}
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO collection_token (id, kind, project_id, label, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		r.ID, r.Kind, r.ProjectID, r.Label, r.Hash, r.CreatedAt)
	if violated(err) == foreignKeyViolation {
		return "", CollectionToken{}, notFound(fmt.Sprintf("project %s does not exist", projectID))
	}
	if err != nil {
		return "", CollectionToken{}, fmt.Errorf("data: create collection token: %w", err)
	}
	return secret, r.token(), nil
}

// LookupCollectionToken finds the live token of a secret, or ErrNotFound.
func (db *DB) LookupCollectionToken(ctx context.Context, secret string) (CollectionToken, error) {
	var r collectionTokenRow
	err := db.x.GetContext(ctx, &r, db.q(`SELECT * FROM collection_token WHERE hash = ? AND revoked_at = ''`), tokenHash(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return CollectionToken{}, notFound("no live token has that secret")
	}
	if err != nil {
		return CollectionToken{}, fmt.Errorf("data: look up collection token: %w", err)
	}
	return r.token(), nil
}

// CollectionTokens lists the tokens of a project, oldest first, revoked
// ones included.
func (db *DB) CollectionTokens(ctx context.Context, projectID uuid.UUID) ([]CollectionToken, error) {
	var rows []collectionTokenRow
	if err := db.x.SelectContext(ctx, &rows, db.q(`SELECT * FROM collection_token WHERE project_id = ? ORDER BY created_at, id`), projectID); err != nil {
		return nil, fmt.Errorf("data: list collection tokens: %w", err)
	}
	out := make([]CollectionToken, len(rows))
	for i, r := range rows {
		out[i] = r.token()
	}
	return out, nil
}

// RevokeCollectionToken revokes a token from now on; revoking it again
// keeps the first time. An unknown id is ErrNotFound.
func (db *DB) RevokeCollectionToken(ctx context.Context, id uuid.UUID) error {
	res, err := db.x.ExecContext(ctx, db.q(`UPDATE collection_token SET revoked_at = CASE WHEN revoked_at = '' THEN ? ELSE revoked_at END WHERE id = ?`),
		itemTime(time.Now()), id)
	if err != nil {
		return fmt.Errorf("data: revoke collection token %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(fmt.Sprintf("collection token %s does not exist", id))
	}
	return nil
}

// CollectionTokensPage is one page of a project's tokens, sortable by
// creation time or label and filterable by kind.
func (db *DB) CollectionTokensPage(ctx context.Context, projectID uuid.UUID, p protocol.Paging) ([]CollectionToken, protocol.PageMetadata, protocol.PageBounds, error) {
	type row struct {
		collectionTokenRow
		PageKey
	}
	rows, meta, bounds, err := Paginate[row](ctx, db, KeysetQuery{
		Select: "id, kind, project_id, label, hash, created_at, revoked_at", From: "collection_token", ID: "id",
		Where: "project_id = ?", Args: []any{projectID},
		Columns: map[string]string{"created_at": "created_at", "label": "label", "kind": "kind"},
	}, p)
	if err != nil {
		return nil, meta, bounds, err
	}
	out := make([]CollectionToken, len(rows))
	for i, r := range rows {
		out[i] = r.token()
	}
	return out, meta, bounds, nil
}
