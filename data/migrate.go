package data

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the PostgreSQL advisory lock that serialises replicas
// migrating one database at the same time.
const migrationLock = 7_361_626_374

// migrate applies the migrations the database has not seen, in order, in
// one transaction: a replica that starts while another migrates waits for
// it and then finds nothing left to do.
func (db *DB) migrate(ctx context.Context) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("data: list migrations: %w", err)
	}
	sort.Strings(files)
	return db.tx(ctx, func(tx *sqlx.Tx) error {
		if db.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
				return fmt.Errorf("data: lock for migration: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("data: create schema_migrations: %w", err)
		}
		var applied []int
		if err := tx.SelectContext(ctx, &applied, `SELECT version FROM schema_migrations`); err != nil {
			return fmt.Errorf("data: read schema_migrations: %w", err)
		}
		done := map[int]bool{}
		for _, v := range applied {
			done[v] = true
		}
		for _, f := range files {
			name := strings.TrimPrefix(f, "migrations/")
			if d := migrationDialect(name); d != "" && d != db.dialect {
				continue // the other database's version of this migration
			}
			version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
			if err != nil {
				return fmt.Errorf("data: migration %s does not start with its version number", name)
			}
			if done[version] {
				continue
			}
			body, err := migrations.ReadFile(f)
			if err != nil {
				return fmt.Errorf("data: read migration %s: %w", name, err)
			}
			for _, stmt := range statements(string(body)) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("data: migration %s: %w", name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				version, name, time.Now().UTC().Format(time.RFC3339)); err != nil {
				return fmt.Errorf("data: record migration %s: %w", name, err)
			}
		}
		return nil
	})
}

// migrationDialect is the database a migration is written for: a file
// named NNNN_name.sqlite.sql or NNNN_name.postgres.sql runs only there
// (where the two spell a thing differently, auto-increment keys say), one
// named NNNN_name.sql on both.
func migrationDialect(name string) Dialect {
	base := strings.TrimSuffix(name, ".sql")
	for _, d := range []Dialect{SQLite, Postgres} {
		if strings.HasSuffix(base, "."+string(d)) {
			return d
		}
	}
	return ""
}

// statements splits a migration at the semicolons that end a line, after
// dropping comment lines: drivers differ in running several statements at
// once, and the migrations hold nothing that needs more.
func statements(sql string) []string {
	var lines []string
	for _, l := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, s := range strings.Split(strings.Join(lines, "\n"), ";\n") {
		if s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";")); s != "" {
			out = append(out, s)
		}
	}
	return out
}
