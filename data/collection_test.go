package data_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
)

func mustCollection(t *testing.T, db *data.DB, name string) data.Collection {
	t.Helper()
	p := mustProject(t, db, "owner-of-"+name)
	c, err := db.CreateCollection(t.Context(), name, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func put(t *testing.T, db *data.DB, coll string, kv ...string) {
	t.Helper()
	var items []data.Item
	for i := 0; i+1 < len(kv); i += 2 {
		items = append(items, data.Item{Key: kv[i], Value: kv[i+1]})
	}
	if n, err := db.PutItems(t.Context(), coll, items); err != nil || n != len(items) {
		t.Fatalf("put %v: %d, %v", kv, n, err)
	}
}

// scan returns the keys a scan yields and the next cursor.
func scan(t *testing.T, db *data.DB, coll string, f data.ItemFilter, cursor string, limit int) ([]string, string) {
	t.Helper()
	var keys []string
	next, err := db.ScanItems(t.Context(), coll, f, cursor, limit, func(it data.Item) error {
		keys = append(keys, it.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, next
}

func TestCollections(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		ctx := t.Context()
		c := mustCollection(t, db, "books")
		if got, err := db.Collection(ctx, "books"); err != nil || got.ProjectID != c.ProjectID || got.ID != c.ID {
			t.Fatalf("get: %+v %v", got, err)
		}
		if _, err := db.CreateCollection(ctx, "books", c.ProjectID); !errors.Is(err, data.ErrConflict) {
			t.Errorf("a taken name: %v", err)
		}
		if _, err := db.CreateCollection(ctx, "orphan", mustProject(t, db, "gone").ID); err != nil {
			t.Fatal(err)
		}
		p := mustProject(t, db, "other")
		if _, err := db.CreateCollection(ctx, "zines", p.ID); err != nil {
			t.Fatal(err)
		}
		all, _ := db.Collections(ctx, nil)
		mine, _ := db.Collections(ctx, &p.ID)
		if len(all) != 3 || all[0].Name != "books" || len(mine) != 1 || mine[0].Name != "zines" {
			t.Errorf("all %v, mine %v", all, mine)
		}
		put(t, db, "books", "a", "1")
		if err := db.DeleteCollection(ctx, "books"); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			db.DeleteCollection(ctx, "books"),
			func() error { _, err := db.Collection(ctx, "books"); return err }(),
			func() error { _, err := db.Item(ctx, "books", "a"); return err }(),
			func() error { _, err := db.PutItems(ctx, "books", []data.Item{{Key: "a"}}); return err }(),
			func() error { _, err := db.DeleteItem(ctx, "books", "a"); return err }(),
			func() error { _, err := db.ScanItems(ctx, "books", data.ItemFilter{}, "", 0, nil); return err }(),
		} {
			if !errors.Is(err, data.ErrNotFound) {
				t.Errorf("on a deleted collection: %v, want ErrNotFound", err)
			}
		}
	})
}

func TestItemsUpsert(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		ctx := t.Context()
		mustCollection(t, db, "c")
		put(t, db, "c", "a", "1", "b", "2", "c", "3")
		first, _ := db.Item(ctx, "c", "b")
		time.Sleep(2 * time.Millisecond)
		put(t, db, "c", "b", "two", "d", "4")
		again, err := db.Item(ctx, "c", "b")
		if err != nil || again.Value != "two" || !again.Created.Equal(first.Created) || !again.Updated.After(first.Updated) {
			t.Errorf("upsert: before %+v, after %+v, %v", first, again, err)
		}
		if keys, _ := scan(t, db, "c", data.ItemFilter{}, "", 0); strings.Join(keys, "") != "abcd" {
			t.Errorf("order after upsert: %v (an upserted key keeps its place)", keys)
		}
		if _, err := db.Item(ctx, "c", "zz"); !errors.Is(err, data.ErrNoItem) || errors.Is(err, data.ErrNotFound) {
			t.Errorf("missing key: %v", err)
		}
		if _, err := db.PutItems(ctx, "c", []data.Item{{Key: "e", Value: "5"}, {Key: "a", Value: "x"}, {Key: "e", Value: "6"}}); !errors.Is(err, data.ErrDuplicateKey) {
			t.Errorf("duplicate in batch: %v", err)
		}
		if _, err := db.Item(ctx, "c", "e"); !errors.Is(err, data.ErrNoItem) {
			t.Errorf("a refused batch wrote e: %v", err)
		}
		if a, _ := db.Item(ctx, "c", "a"); a.Value != "1" {
			t.Errorf("a refused batch changed a: %+v", a)
		}
		big := make([]data.Item, 1234) // more than one INSERT's worth
		for i := range big {
			big[i] = data.Item{Key: "k" + strings.Repeat("x", i%7) + time.Duration(i).String(), Value: "v"}
		}
		if n, err := db.PutItems(ctx, "c", big); err != nil || n != len(big) {
			t.Fatalf("big batch: %d %v", n, err)
		}
		if keys, _ := scan(t, db, "c", data.ItemFilter{Key: "k*"}, "", 0); len(keys) != len(big) {
			t.Errorf("big batch stored %d items", len(keys))
		}
	})
}

func TestKeyPatterns(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		mustCollection(t, db, "p")
		keys := []string{
			"foo:bar:baz", "foo:bar:baz:quux", "foo:bar", "Foo:bar:baz", "foo:qux:baz",
			"100%", "100x", "a_b", "axb", `back\slash`, `back\\slash`, "it's", `say "hi"`, "[x]", "x", "why?", "whyy",
		}
		var kv []string
		for _, k := range keys {
			kv = append(kv, k, "v")
		}
		put(t, db, "p", kv...)
		for _, tc := range []struct {
			pattern string
			want    []string
		}{
			{"foo:bar:*", []string{"foo:bar:baz", "foo:bar:baz:quux"}},
			{"foo:*:baz", []string{"foo:bar:baz", "foo:qux:baz"}},
			{"foo:bar", []string{"foo:bar"}},
			{"*:bar:baz", []string{"foo:bar:baz", "Foo:bar:baz"}},
			{"Foo*", []string{"Foo:bar:baz"}},
			{"100%", []string{"100%"}},
			{"100%*", []string{"100%"}},
			{"a_b*", []string{"a_b"}},
			{`back\*`, []string{`back\slash`, `back\\slash`}},
			{`back\slash*`, []string{`back\slash`}},
			{"it's*", []string{"it's"}},
			{`say "*"`, []string{`say "hi"`}},
			{"[x]*", []string{"[x]"}},
			{"why?*", []string{"why?"}},
			{"*", keys},
		} {
			got, _ := scan(t, db, "p", data.ItemFilter{Key: tc.pattern}, "", 0)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%q matched %q, want %q", tc.pattern, got, tc.want)
			}
		}
	})
}

func TestItemDateFilters(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		mustCollection(t, db, "d")
		put(t, db, "d", "old", "1")
		time.Sleep(5 * time.Millisecond)
		mid := time.Now()
		time.Sleep(5 * time.Millisecond)
		put(t, db, "d", "new", "1")
		time.Sleep(5 * time.Millisecond)
		late := time.Now()
		time.Sleep(5 * time.Millisecond)
		put(t, db, "d", "old", "2") // updated after late, created before mid
		newItem, _ := db.Item(t.Context(), "d", "new")
		for _, tc := range []struct {
			name string
			f    data.ItemFilter
			want string
		}{
			{"created after", data.ItemFilter{CreatedAfter: mid}, "new"},
			{"created before", data.ItemFilter{CreatedBefore: mid}, "old"},
			{"updated after", data.ItemFilter{UpdatedAfter: late}, "old"},
			{"updated before", data.ItemFilter{UpdatedBefore: late}, "new"},
			{"bounds are inclusive", data.ItemFilter{CreatedAfter: newItem.Created, CreatedBefore: newItem.Created}, "new"},
			{"with a pattern", data.ItemFilter{Key: "o*", UpdatedAfter: mid}, "old"},
		} {
			got, _ := scan(t, db, "d", tc.f, "", 0)
			if strings.Join(got, ",") != tc.want {
				t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
			}
		}
		n, err := db.DeleteItems(t.Context(), "d", data.ItemFilter{UpdatedAfter: late})
		if left, _ := scan(t, db, "d", data.ItemFilter{}, "", 0); err != nil || n != 1 || strings.Join(left, ",") != "new" {
			t.Errorf("delete by date: %d %v, left %v", n, err, left)
		}
	})
}

func TestScanPaging(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		mustCollection(t, db, "s")
		put(t, db, "s", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
		var seen []string
		cursor, pages := "", 0
		for {
			keys, next := scan(t, db, "s", data.ItemFilter{}, cursor, 2)
			seen = append(seen, keys...)
			pages++
			if pages == 1 {
				// Upserting seen and unseen keys, and adding new ones, while
				// paging: seen keys do not come back, new ones come at the end.
				put(t, db, "s", "a", "x", "d", "y", "f", "6")
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if strings.Join(seen, "") != "abcdef" || pages != 3 {
			t.Errorf("pages %d, seen %v", pages, seen)
		}
		if keys, next := scan(t, db, "s", data.ItemFilter{}, "", 6); len(keys) != 6 || next != "" {
			t.Errorf("an exact last page has a next cursor %q", next)
		}
		for _, bad := range []string{"!!", "bm90IGFuIGlk", "LTE"} {
			if _, err := db.ScanItems(t.Context(), "s", data.ItemFilter{}, bad, 2, func(data.Item) error { return nil }); !errors.Is(err, data.ErrBadCursor) {
				t.Errorf("cursor %q: %v", bad, err)
			}
		}
		stop := errors.New("stop")
		n := 0
		if _, err := db.ScanItems(t.Context(), "s", data.ItemFilter{}, "", 0, func(data.Item) error { n++; return stop }); err != stop || n != 1 {
			t.Errorf("yield's error: %v after %d items", err, n)
		}
		ctx, cancel := context.WithCancel(t.Context())
		n = 0
		_, err := db.ScanItems(ctx, "s", data.ItemFilter{}, "", 0, func(data.Item) error { n++; cancel(); return nil })
		if !errors.Is(err, context.Canceled) || n > 2 {
			t.Errorf("cancelled scan: %v after %d items", err, n)
		}
		// The connection is back in the pool: the database still answers.
		if _, err := db.Item(t.Context(), "s", "a"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCollectionTokens(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		ctx := t.Context()
		p := mustProject(t, db, "tokens")
		secret, tok, err := db.CreateCollectionToken(ctx, "run", p.ID, "nightly")
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.LookupCollectionToken(ctx, secret)
		if err != nil || got.ID != tok.ID || got.Kind != "run" || got.ProjectID != p.ID || got.Label != "nightly" {
			t.Fatalf("lookup: %+v %v", got, err)
		}
		if _, err := db.LookupCollectionToken(ctx, secret+"x"); !errors.Is(err, data.ErrNotFound) {
			t.Errorf("a wrong secret: %v", err)
		}
		if stored := db.CollectionTokenHashes(ctx, t); slices.Contains(stored, secret) || len(stored) != 1 || len(stored[0]) != 64 {
			t.Errorf("the table holds %q for secret %q: only a hash belongs there", stored, secret)
		}
		if err := db.RevokeCollectionToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.LookupCollectionToken(ctx, secret); !errors.Is(err, data.ErrNotFound) {
			t.Errorf("a revoked token: %v", err)
		}
		list, _ := db.CollectionTokens(ctx, p.ID)
		if len(list) != 1 || list[0].RevokedAt.IsZero() {
			t.Errorf("list: %+v", list)
		}
		if _, _, err := db.CreateCollectionToken(ctx, "personal", mustCollection(t, db, "x").ID, ""); !errors.Is(err, data.ErrNotFound) {
			t.Errorf("a token for no project: %v", err)
		}
	})
}
