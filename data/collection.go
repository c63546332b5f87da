package data

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/tagrpc/tagrpc/protocol"
)

// Collection is a named key/value store owned by a project.
type Collection struct {
	ID        uuid.UUID
	Name      string
	ProjectID uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Item is one key/value pair of a collection. Created stays as it was when
// the key is upserted again; Updated moves.
type Item struct {
	Key     string
	Value   string
	Created time.Time
	Updated time.Time
}

// ItemFilter selects items. Bounds are inclusive, as in Lightning's
// queries (created_after means at or after).
type ItemFilter struct {
	// Key is a pattern matched against whole keys: * matches any run of
	// characters, every other character only itself. "" matches every key.
	Key string

	CreatedAfter, CreatedBefore time.Time // zero: unbounded
	UpdatedAfter, UpdatedBefore time.Time
}

var (
	// ErrNoItem is returned by Item when the collection exists but holds
	// no such key (a missing collection is an ErrNotFound).
	ErrNoItem = errors.New("data: no item with that key")
	// ErrDuplicateKey is returned by PutItems when a batch names a key
	// twice; nothing of the batch is written.
	ErrDuplicateKey = errors.New("data: duplicate key in batch")
	// ErrBadCursor is returned by ScanItems for a cursor it did not make.
	ErrBadCursor = errors.New("data: not a valid cursor")
)

// itemTimeLayout has a fixed width, so stored times order as text.
const itemTimeLayout = "2006-01-02T15:04:05.000000Z"

func itemTime(t time.Time) string { return t.UTC().Format(itemTimeLayout) }

func parseItemTime(s string) time.Time {
	t, _ := time.Parse(itemTimeLayout, s)
	return t
}

type collectionRow struct {
	ID        uuid.UUID `db:"id"`
	Name      string    `db:"name"`
	ProjectID uuid.UUID `db:"project_id"`
	CreatedAt string    `db:"created_at"`
	UpdatedAt string    `db:"updated_at"`
}

func (r collectionRow) collection() Collection {
	return Collection{ID: r.ID, Name: r.Name, ProjectID: r.ProjectID, CreatedAt: parseItemTime(r.CreatedAt), UpdatedAt: parseItemTime(r.UpdatedAt)}
}

// CreateCollection stores an empty collection. A taken name is a
// conflict; a project that does not exist is ErrNotFound.
func (db *DB) CreateCollection(ctx context.Context, name string, projectID uuid.UUID) (Collection, error) {
	now := itemTime(time.Now())
	r := collectionRow{ID: uuid.New(), Name: name, ProjectID: projectID, CreatedAt: now, UpdatedAt: now}
	_, err := db.x.ExecContext(ctx, db.q(`INSERT INTO collection (id, name, project_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`),
		r.ID, r.Name, r.ProjectID, r.CreatedAt, r.UpdatedAt)
	switch violated(err) {
	case uniqueViolation:
		return Collection{}, conflict(fmt.Sprintf("a collection named %q already exists", name))
	case foreignKeyViolation:
		return Collection{}, notFound(fmt.Sprintf("project %s does not exist", projectID))
	}
	if err != nil {
		return Collection{}, fmt.Errorf("data: create collection %q: %w", name, err)
	}
	return r.collection(), nil
}

// Collection returns the collection of a name, or ErrNotFound.
func (db *DB) Collection(ctx context.Context, name string) (Collection, error) {
	var r collectionRow
	err := db.x.GetContext(ctx, &r, db.q(`SELECT * FROM collection WHERE name = ?`), name)
	if errors.Is(err, sql.ErrNoRows) {
		return Collection{}, notFound(fmt.Sprintf("collection %q does not exist", name))
	}
	if err != nil {
		return Collection{}, fmt.Errorf("data: get collection %q: %w", name, err)
	}
	return r.collection(), nil
}

// Collections lists the collections by name: those of one project, or
// all when projectID is nil.
func (db *DB) Collections(ctx context.Context, projectID *uuid.UUID) ([]Collection, error) {
	var rows []collectionRow
	var err error
	if projectID != nil {
		err = db.x.SelectContext(ctx, &rows, db.q(`SELECT * FROM collection WHERE project_id = ? ORDER BY name`), *projectID)
	} else {
		err = db.x.SelectContext(ctx, &rows, `SELECT * FROM collection ORDER BY name`)
	}
	if err != nil {
		return nil, fmt.Errorf("data: list collections: %w", err)
	}
	out := make([]Collection, len(rows))
	for i, r := range rows {
		out[i] = r.collection()
	}
	return out, nil
}

// DeleteCollection deletes a collection and its items, or is ErrNotFound.
func (db *DB) DeleteCollection(ctx context.Context, name string) error {
	res, err := db.x.ExecContext(ctx, db.q(`DELETE FROM collection WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("data: delete collection %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(fmt.Sprintf("collection %q does not exist", name))
	}
	return nil
}

// collectionID looks up the id of a named collection.
func (db *DB) collectionID(ctx context.Context, q sqlx.QueryerContext, name string) (uuid.UUID, error) {
	var id uuid.UUID
	err := sqlx.GetContext(ctx, q, &id, db.q(`SELECT id FROM collection WHERE name = ?`), name)
	if errors.Is(err, sql.ErrNoRows) {
		return id, notFound(fmt.Sprintf("collection %q does not exist", name))
	}
	if err != nil {
		return id, fmt.Errorf("data: look up collection %q: %w", name, err)
	}
	return id, nil
}

// Item returns the item of a key: ErrNotFound when the collection does not
// exist, ErrNoItem when it has no such key.
func (db *DB) Item(ctx context.Context, collection, key string) (Item, error) {
	cid, err := db.collectionID(ctx, db.x, collection)
	if err != nil {
		return Item{}, err
	}
	var r struct {
		Value   string `db:"value"`
		Created string `db:"created"`
		Updated string `db:"updated"`
	}
	err = db.x.GetContext(ctx, &r, db.q(`SELECT value, created, updated FROM collection_item WHERE collection_id = ? AND key = ?`), cid, key)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, ErrNoItem
	}
	if err != nil {
		return Item{}, fmt.Errorf("data: get item %q of %q: %w", key, collection, err)
	}
	return Item{Key: key, Value: r.Value, Created: parseItemTime(r.Created), Updated: parseItemTime(r.Updated)}, nil
}

// upsertChunk is how many items one INSERT carries: 5 parameters each,
// well below the parameter limits of both databases.
const upsertChunk = 500

// PutItems upserts the items' keys and values in one transaction and
// returns how many it wrote. A key given twice is ErrDuplicateKey and
// writes nothing; an unknown collection is ErrNotFound.
func (db *DB) PutItems(ctx context.Context, collection string, items []Item) (int, error) {
	seen := make(map[string]struct{}, len(items))
	for _, it := range items {
		if _, dup := seen[it.Key]; dup {
			return 0, fmt.Errorf("%w: %q", ErrDuplicateKey, it.Key)
		}
		seen[it.Key] = struct{}{}
	}
	now := itemTime(time.Now())
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		cid, err := db.collectionID(ctx, tx, collection)
		if err != nil {
			return err
		}
		var stmt *sqlx.Stmt // for full chunks, prepared once per batch
		defer func() {
			if stmt != nil {
				stmt.Close()
			}
		}()
		args := make([]any, 0, 5*upsertChunk)
		for start := 0; start < len(items); start += upsertChunk {
			chunk := items[start:min(start+upsertChunk, len(items))]
			args = args[:0]
			for _, it := range chunk {
				args = append(args, cid, it.Key, it.Value, now, now)
			}
			query := db.upsertQuery(len(chunk))
			if len(chunk) == upsertChunk {
				if stmt == nil {
					if stmt, err = tx.PreparexContext(ctx, query); err != nil {
						return fmt.Errorf("data: prepare upsert: %w", err)
					}
				}
				_, err = stmt.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, query, args...)
			}
			if err != nil {
				return fmt.Errorf("data: upsert items into %q: %w", collection, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(items), nil
}

// upsertQuery is the INSERT of n items; an existing key keeps its id (its
// place in the order) and creation time.
func (db *DB) upsertQuery(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO collection_item (collection_id, key, value, created, updated) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?)")
	}
	b.WriteString(` ON CONFLICT (collection_id, key) DO UPDATE SET value = excluded.value, updated = excluded.updated`)
	return db.q(b.String())
}

// DeleteItem deletes one key and says how many items went: 0 or 1.
func (db *DB) DeleteItem(ctx context.Context, collection, key string) (int, error) {
	cid, err := db.collectionID(ctx, db.x, collection)
	if err != nil {
		return 0, err
	}
	res, err := db.x.ExecContext(ctx, db.q(`DELETE FROM collection_item WHERE collection_id = ? AND key = ?`), cid, key)
	if err != nil {
		return 0, fmt.Errorf("data: delete item %q of %q: %w", key, collection, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteItems deletes the items the filter selects and says how many.
func (db *DB) DeleteItems(ctx context.Context, collection string, f ItemFilter) (int, error) {
	cid, err := db.collectionID(ctx, db.x, collection)
	if err != nil {
		return 0, err
	}
	where, args := db.itemWhere(cid, f)
	res, err := db.x.ExecContext(ctx, db.q(`DELETE FROM collection_item WHERE `+where), args...)
	if err != nil {
		return 0, fmt.Errorf("data: delete items of %q: %w", collection, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// itemWhere is the condition selecting a collection's items by a filter.
func (db *DB) itemWhere(cid uuid.UUID, f ItemFilter) (string, []any) {
	where := []string{"collection_id = ?"}
	args := []any{cid}
	if f.Key != "" {
		if !strings.Contains(f.Key, "*") {
			where = append(where, "key = ?")
			args = append(args, f.Key)
		} else if db.dialect == SQLite {
			// GLOB, unlike SQLite's LIKE, is case-sensitive; its own
			// wildcards other than * are made literal in brackets.
			where = append(where, "key GLOB ?")
			args = append(args, strings.NewReplacer("[", "[[]", "?", "[?]").Replace(f.Key))
		} else {
			where = append(where, `key LIKE ? ESCAPE '\'`)
			args = append(args, strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`, "*", "%").Replace(f.Key))
		}
	}
	for _, b := range []struct {
		t    time.Time
		cond string
	}{
		{f.CreatedAfter, "created >= ?"}, {f.CreatedBefore, "created <= ?"},
		{f.UpdatedAfter, "updated >= ?"}, {f.UpdatedBefore, "updated <= ?"},
	} {
		if !b.t.IsZero() {
			where = append(where, b.cond)
			args = append(args, itemTime(b.t))
		}
	}
	return strings.Join(where, " AND "), args
}

// ScanItems calls yield for the items the filter selects, in insertion
// order, starting after cursor ("" for the start) and stopping after
// limit of them (limit <= 0: no limit). Rows are read as yield takes them,
// never all at once. It returns the cursor of the next page: "" when no
// selected item follows the last one yielded. An error from yield stops
// the scan and is returned; so is the context's.
func (db *DB) ScanItems(ctx context.Context, collection string, f ItemFilter, cursor string, limit int, yield func(Item) error) (next string, err error) {
	after, err := decodeCursor(cursor)
	if err != nil {
		return "", err
	}
	cid, err := db.collectionID(ctx, db.x, collection)
	if err != nil {
		return "", err
	}
	where, args := db.itemWhere(cid, f)
	query := `SELECT id, key, value, created, updated FROM collection_item WHERE ` + where + ` AND id > ? ORDER BY id`
	args = append(args, after)
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit+1) // one more says whether there is a next page
	}
	var q sqlx.QueryerContext = db.x
	if db.dialect == Postgres {
		// Without fresh statistics (after a bulk load, before autovacuum
		// has analyzed the table) PostgreSQL may plan a bitmap scan and a
		// sort of every matching row, and send nothing until the sort is
		// done. With sorting priced out, it walks the (collection_id, id)
		// index and the first rows go out at once.
		tx, err := db.x.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return "", fmt.Errorf("data: scan items of %q: %w", collection, err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_sort = off`); err != nil {
			return "", fmt.Errorf("data: scan items of %q: %w", collection, err)
		}
		q = tx
	}
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return "", fmt.Errorf("data: scan items of %q: %w", collection, err)
	}
	defer rows.Close()
	var (
		n       int
		last    int64
		created string
		updated string
		it      Item
	)
	for rows.Next() {
		if limit > 0 && n == limit {
			return encodeCursor(last), nil
		}
		var id int64
		if err := rows.Scan(&id, &it.Key, &it.Value, &created, &updated); err != nil {
			return "", fmt.Errorf("data: scan items of %q: %w", collection, err)
		}
		it.Created, it.Updated = parseItemTime(created), parseItemTime(updated)
		if err := ctx.Err(); err != nil {
			// Drivers notice a cancelled context only now and then.
			return "", err
		}
		if err := yield(it); err != nil {
			return "", err
		}
		last = id
		n++
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("data: scan items of %q: %w", collection, err)
	}
	return "", nil
}

// Cursors are the id of the last item seen, opaque to clients.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt(nil, id, 10))
}

func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, ErrBadCursor
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id < 0 {
		return 0, ErrBadCursor
	}
	return id, nil
}

// CollectionsPage is one page of the collections, sortable by name or
// creation time and filterable by name and project.
func (db *DB) CollectionsPage(ctx context.Context, p protocol.Paging) ([]Collection, protocol.PageMetadata, protocol.PageBounds, error) {
	type row struct {
		collectionRow
		PageKey
	}
	rows, meta, bounds, err := Paginate[row](ctx, db, KeysetQuery{
		Select: "id, name, project_id, created_at, updated_at", From: "collection", ID: "id",
		Columns: map[string]string{"name": "name", "created_at": "created_at", "project_id": "project_id"},
	}, p)
	if err != nil {
		return nil, meta, bounds, err
	}
	out := make([]Collection, len(rows))
	for i, r := range rows {
		out[i] = r.collection()
	}
	return out, meta, bounds, nil
}
