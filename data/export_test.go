package data

import (
	"context"
	"testing"
)

// CollectionTokenHashes reads what the token table holds of secrets, for
// tests that check no secret is stored.
func (db *DB) CollectionTokenHashes(ctx context.Context, t *testing.T) []string {
	t.Helper()
	var hashes []string
	if err := db.x.SelectContext(ctx, &hashes, `SELECT hash FROM collection_token`); err != nil {
		t.Fatal(err)
	}
	return hashes
}
