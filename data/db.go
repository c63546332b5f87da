// Package data is the reference server's storage: sqlx over SQLite (the
// default, a single file, nothing to install) or PostgreSQL (for several
// server replicas sharing one database). Both run the same embedded
// migrations and the same queries.
package data

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names the database behind a DB.
type Dialect string

// The databases data runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the storage of the reference server.
type DB struct {
	x       *sqlx.DB
	dialect Dialect
}

// Open connects to the database a DSN names and brings its schema up to
// date. A DSN starting with postgres:// or postgresql:// is PostgreSQL;
// anything else is the path of a SQLite file (or a file: URI), created when
// missing.
func Open(ctx context.Context, dsn string) (*DB, error) {
	driver, source, dialect := "sqlite", sqliteDSN(dsn), SQLite
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver, source, dialect = "pgx", dsn, Postgres
	}
	x, err := sqlx.Open(driver, source)
	if err != nil {
		return nil, fmt.Errorf("data: open %s database: %w", dialect, err)
	}
	if dialect == SQLite {
		// One writer at a time is all SQLite allows; readers share the rest.
		x.SetMaxOpenConns(8)
	}
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("data: connect to %s database: %w", dialect, err)
	}
	db := &DB{x: x, dialect: dialect}
	if err := db.migrate(ctx); err != nil {
		x.Close()
		return nil, err
	}
	return db, nil
}

// sqliteDSN adds the settings every connection needs: WAL so readers do
// not block the writer, foreign keys (off by default in SQLite), a busy
// timeout instead of failing at once on a locked database, and immediate
// write transactions so two writers queue rather than deadlock when both
// try to upgrade a read lock.
func sqliteDSN(path string) string {
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	params := url.Values{}
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Set("_txlock", "immediate")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + params.Encode()
}

// Dialect says which database the DB is on.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes the database.
func (db *DB) Close() error { return db.x.Close() }

// tx runs fn in a transaction, committed when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("data: begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("data: commit: %w", err)
	}
	return nil
}

// q rewrites ? placeholders for the database: one query text serves both.
func (db *DB) q(query string) string { return db.x.Rebind(query) }
