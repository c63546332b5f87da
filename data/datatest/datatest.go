// Package datatest gives tests a database of their own: a fresh SQLite
// file, or a fresh schema in the PostgreSQL server that TAGRPC_TEST_POSTGRES
// names. Either is removed when the test ends.
package datatest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagrpc/tagrpc/data"
)

// PostgresEnv names the environment variable holding the DSN of a
// PostgreSQL server for tests, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const PostgresEnv = "TAGRPC_TEST_POSTGRES"

// SQLite opens a new SQLite database in a file of the test's temporary
// directory.
func SQLite(t testing.TB) *data.DB {
	t.Helper()
	db, err := data.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Postgres opens a new schema in the PostgreSQL server of
// TAGRPC_TEST_POSTGRES, dropped when the test ends. The test is skipped
// when the variable is unset.
func Postgres(t testing.TB) *data.DB {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Skip(PostgresEnv + " is not set: no PostgreSQL to test on")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "tagrpc_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := data.Open(ctx, dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the schema is dropped
	return db
}

// Each runs fn on SQLite and on PostgreSQL, as the subtests "sqlite" and
// "postgres"; the latter is skipped when TAGRPC_TEST_POSTGRES is unset.
func Each(t *testing.T, fn func(t *testing.T, db *data.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
