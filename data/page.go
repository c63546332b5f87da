package data

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
)

// data reads protocol.Paging, the request of a paged list, and answers
// its counts and bounds: the keyset query is where the two meet, and
// protocol imports nothing of data.

// PageKey is the sort value and id of a row of a paged list; a row type
// embeds it, and the query selects it as page_sort and page_id.
type PageKey struct {
	SortValue string `db:"page_sort"`
	KeyID     string `db:"page_id"`
}

func (k PageKey) pageKey() PageKey { return k }

// Keyed is a row type that embeds PageKey.
type Keyed interface{ pageKey() PageKey }

// KeysetQuery describes a list to page over. Every part but the values in
// Args is trusted text written in this package, never a client's.
type KeysetQuery struct {
	Select string // the row's columns, e.g. "id, name"
	From   string // the table
	Where  string // a fixed condition, "" for none
	Args   []any  // the values of Where's placeholders
	// Columns maps the API's sortable and filterable names to text
	// columns: keyset bounds compare sort values as text.
	Columns map[string]string
	ID      string // the unique tie-breaker column
}

// Paginate runs the keyset query for one page: rows beyond the requested
// bound in the requested order, never with OFFSET (all of them when
// p.Limit is 0), and counts of the selected rows in all and on either
// side of the page.
func Paginate[T Keyed](ctx context.Context, db *DB, q KeysetQuery, p protocol.Paging) ([]T, protocol.PageMetadata, protocol.PageBounds, error) {
	var meta protocol.PageMetadata
	var bounds protocol.PageBounds
	col, ok := q.Columns[p.Sort]
	if !ok {
		return nil, meta, bounds, fmt.Errorf("data: %s cannot be sorted by %q", q.From, p.Sort)
	}
	where, args := []string{}, []any{}
	if q.Where != "" {
		where, args = append(where, "("+q.Where+")"), append(args, q.Args...)
	}
	for _, f := range sortedKeys(p.Filter) {
		fc, ok := q.Columns[f]
		if !ok {
			return nil, meta, bounds, fmt.Errorf("data: %s cannot be filtered by %q", q.From, f)
		}
		vals := p.Filter[f]
		where = append(where, fc+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	selected, selectedArgs := slices.Clone(where), slices.Clone(args)

	// The requested bounds: above (start, first_id), below (end, last_id).
	if c, a := keyBound(col, q.ID, ">", p.Start, p.FirstID); c != "" {
		where, args = append(where, c), append(args, a...)
	}
	if c, a := keyBound(col, q.ID, "<", p.End, p.LastID); c != "" {
		where, args = append(where, c), append(args, a...)
	}
	backward := p.Backward()
	dir := "ASC"
	if p.Desc != backward {
		dir = "DESC"
	}
	query := "SELECT " + q.Select + ", " + col + " AS page_sort, " + q.ID + " AS page_id FROM " + q.From +
		whereClause(where) + " ORDER BY " + col + " " + dir + ", " + q.ID + " " + dir
	if p.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, p.Limit)
	}
	var rows []T
	if err := db.x.SelectContext(ctx, &rows, db.q(query), args...); err != nil {
		return nil, meta, bounds, fmt.Errorf("data: page over %s: %w", q.From, err)
	}
	if backward {
		slices.Reverse(rows)
	}

	// Counts: everything selected, and what lies above and below the page
	// by the sort column; an empty page counts from the requested bounds.
	var above, below []string
	var aboveArgs, belowArgs []any
	if len(rows) > 0 {
		lo, hi := rows[0].pageKey(), rows[len(rows)-1].pageKey()
		if p.Desc {
			lo, hi = hi, lo
		}
		bounds = protocol.PageBounds{MinValue: lo.SortValue, MinID: lo.KeyID, MaxValue: hi.SortValue, MaxID: hi.KeyID}
		c, a := keyBound(col, q.ID, ">", &hi.SortValue, &hi.KeyID)
		above, aboveArgs = []string{c}, a
		c, a = keyBound(col, q.ID, "<", &lo.SortValue, &lo.KeyID)
		below, belowArgs = []string{c}, a
	} else {
		if c, a := keyBound(col, q.ID, "<", p.End, p.LastID); c != "" {
			above, aboveArgs = []string{"NOT " + c}, a
		}
		if c, a := keyBound(col, q.ID, ">", p.Start, p.FirstID); c != "" {
			below, belowArgs = []string{"NOT " + c}, a
		}
	}
	count := func(cond []string) string {
		if len(cond) == 0 {
			return "0"
		}
		return "COALESCE(SUM(CASE WHEN " + cond[0] + " THEN 1 ELSE 0 END), 0)"
	}
	countQuery := "SELECT COUNT(*), " + count(above) + ", " + count(below) + " FROM " + q.From + whereClause(selected)
	countArgs := append(append(aboveArgs, belowArgs...), selectedArgs...)
	var total, nAbove, nBelow int
	if err := db.x.QueryRowxContext(ctx, db.q(countQuery), countArgs...).Scan(&total, &nAbove, &nBelow); err != nil {
		return nil, meta, bounds, fmt.Errorf("data: count %s: %w", q.From, err)
	}
	meta = protocol.PageMetadata{Total: total, Before: nBelow, After: nAbove}
	if p.Desc {
		meta.Before, meta.After = nAbove, nBelow
	}
	return rows, meta, bounds, nil
}

// keyBound is the condition (col, id) op (value, id), Inmanta's: with only
// a value, on the column alone; with only an id, on the id alone.
func keyBound(col, id, op string, value, key *string) (string, []any) {
	switch {
	case value != nil && key != nil:
		return "(" + col + " " + op + " ? OR (" + col + " = ? AND " + id + " " + op + " ?))", []any{*value, *value, *key}
	case value != nil:
		return col + " " + op + " ?", []any{*value}
	case key != nil:
		return id + " " + op + " ?", []any{*key}
	}
	return "", nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ProjectsPage is one page of the projects, by name, filterable by name.
func (db *DB) ProjectsPage(ctx context.Context, p protocol.Paging) ([]Project, protocol.PageMetadata, protocol.PageBounds, error) {
	type row struct {
		Project
		PageKey
	}
	rows, meta, bounds, err := Paginate[row](ctx, db, KeysetQuery{
		Select: "id, name", From: "project", ID: "id", Columns: map[string]string{"name": "name"},
	}, p)
	out := make([]Project, len(rows))
	for i, r := range rows {
		out[i] = r.Project
	}
	return out, meta, bounds, err
}

// EnvironmentsPage is one page of the environments, by name (ties by id),
// filterable by name and project.
func (db *DB) EnvironmentsPage(ctx context.Context, p protocol.Paging) ([]Environment, protocol.PageMetadata, protocol.PageBounds, error) {
	type row struct {
		Environment
		PageKey
	}
	rows, meta, bounds, err := Paginate[row](ctx, db, KeysetQuery{
		Select: environmentColumns, From: "environment", ID: "id",
		Columns: map[string]string{"name": "name", "project_id": "project_id"},
	}, p)
	out := make([]Environment, len(rows))
	for i, r := range rows {
		out[i] = r.Environment
	}
	return out, meta, bounds, err
}

// TokensPage is one page of the tokens of an environment, by issue time.
func (db *DB) TokensPage(ctx context.Context, envID uuid.UUID, p protocol.Paging) ([]Token, protocol.PageMetadata, protocol.PageBounds, error) {
	type row struct {
		tokenRow
		PageKey
	}
	rows, meta, bounds, err := Paginate[row](ctx, db, KeysetQuery{
		Select: "*", From: "auth_token", ID: "id", Where: "environment_id = ?", Args: []any{envID},
		Columns: map[string]string{"issued_at": "issued_at"},
	}, p)
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = r.token()
	}
	return out, meta, bounds, err
}
