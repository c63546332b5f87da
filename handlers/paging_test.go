package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tagrpc/tagrpc/client"
	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
)

// page gets one page of a paged list and returns its names (by key), its
// links and its metadata.
func (a *api) page(path, key string) (names []string, links, meta map[string]any) {
	a.t.Helper()
	r := a.ok("GET", path, "")
	for _, it := range r["data"].([]any) {
		names = append(names, str(obj(a.t, it)[key]))
	}
	return names, obj(a.t, r["links"]), obj(a.t, r["metadata"])
}

// walk follows one kind of link from path to the end and returns every
// name seen, page by page.
func (a *api) walk(path, key, link string) (pages [][]string) {
	a.t.Helper()
	for i := 0; path != "" && i < 20; i++ {
		names, links, _ := a.page(path, key)
		pages = append(pages, names)
		path = str(links[link])
	}
	return pages
}

func flat(pages [][]string) string {
	var all []string
	for _, p := range pages {
		all = append(all, p...)
	}
	return strings.Join(all, " ")
}

func TestInmantaPaging(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := start(t, db)
		p := obj(t, a.ok("PUT", "/api/v2/project", `{"name":"paged"}`)["data"])
		for _, name := range []string{"c", "a", "e", "b", "d"} {
			a.ok("POST", "/api/v2/collection", `{"name":"`+name+`","project_id":"`+str(p["id"])+`"}`)
		}
		names, links, meta := a.page("/api/v2/collections?limit=2", "name")
		if strings.Join(names, "") != "ab" || fmt.Sprint(meta) != "map[after:3 before:0 page_size:2 total:5]" {
			t.Errorf("first page: %v %v", names, meta)
		}
		if links["next"] == nil || links["prev"] != nil || links["first"] != nil || !strings.HasPrefix(str(links["self"]), "/api/v2/collections?") {
			t.Errorf("first page links: %v", links)
		}
		if raw := a.do("GET", "/api/v2/collections?limit=2", ""); !strings.Contains(string(raw.body), `?limit=2&sort=name.asc`) {
			t.Errorf("links are written with \u0026 for &: %s", raw.body)
		}
		for _, tc := range []struct {
			sort, want string
		}{{"name.asc", "ab cd e"}, {"name.desc", "ed cb a"}} {
			pages := a.walk("/api/v2/collections?limit=2&sort="+tc.sort, "name", "next")
			var got []string
			for _, pg := range pages {
				got = append(got, strings.Join(pg, ""))
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("%s: next pages %v, want %s", tc.sort, got, tc.want)
			}
			// From the last page back to the first by prev links.
			last := "/api/v2/collections?limit=2&sort=" + tc.sort
			for i := 0; i < 2; i++ {
				_, links, _ := a.page(last, "name")
				last = str(links["next"])
			}
			names, links, meta := a.page(last, "name")
			if meta["after"] != 0.0 || meta["before"] != 4.0 || links["next"] != nil || links["first"] == nil || len(names) != 1 {
				t.Errorf("%s: last page %v %v %v", tc.sort, names, links, meta)
			}
			back := a.walk(str(links["prev"]), "name", "prev")
			var all []string
			for i := len(back) - 1; i >= 0; i-- {
				all = append(all, back[i]...)
			}
			if strings.Join(all, "")+names[0] != strings.ReplaceAll(tc.want, " ", "") {
				t.Errorf("%s: prev pages %v", tc.sort, back)
			}
		}
		// Filters restrict the total; other arguments stay in the links.
		_, links, meta = a.page("/api/v2/collections?limit=1&filter.name=a&filter.name=c", "name")
		if meta["total"] != 2.0 || !strings.Contains(str(links["next"]), "filter.name=a&filter.name=c") {
			t.Errorf("filtered: %v %v", meta, links)
		}
		// Equal sort values are told apart by id: none lost, none twice.
		for i := 0; i < 5; i++ {
			a.ok("POST", "/api/v2/collection_token", `{"project_id":"`+str(p["id"])+`","label":"same"}`)
		}
		var ids []string
		for _, pg := range a.walk("/api/v2/collection_tokens?limit=2&sort=label.asc&project_id="+str(p["id"]), "id", "next") {
			ids = append(ids, pg...)
		}
		seen := map[string]bool{}
		for _, id := range ids {
			seen[id] = true
		}
		if len(ids) != 5 || len(seen) != 5 {
			t.Errorf("tied labels: %d ids, %d distinct", len(ids), len(seen))
		}
	})
}

func TestInmantaPagingRefusals(t *testing.T) {
	a := start(t, datatest.SQLite(t))
	for _, tc := range []struct {
		query, want string
	}{
		{"limit=1001", "limit parameter can not exceed 1000, got 1001."},
		{"limit=0", "must be at least 1"},
		{"limit=x", "not an integer"},
		{"sort=colour.asc", `Sort parameter invalid: \"colour\" is not a sortable column`},
		{"sort=name.up", `the order of \"name\" is \"up\"`},
		{"start=a&end=b", "Only one of start and end parameters is allowed at the same time. Received start: a, end: b"},
		{"first_id=a&last_id=b", "Only one of first_id and last_id parameters is allowed at the same time. Received first_id: a, last_id: b"},
		{"start=a&last_id=b", "Start and end parameters can not be set at the same time: Received first_id: None, last_id: b, start: a, end: None"},
		{"first_id=a&end=b", "Start and end parameters can not be set at the same time"},
		{"filter.colour=red", `Filter \"colour\" is not supported: filter by one of name, project_id`},
		{"filter.=x", `Filter \"\" is not supported`},
	} {
		r := a.do("GET", "/api/v2/collections?"+tc.query, "")
		if r.status != 400 || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("%s: %d %s, want 400 with %s", tc.query, r.status, r.body, tc.want)
		}
	}
}

// The generated client follows the next links through every page.
func TestPagingClient(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := start(t, db)
		p := obj(t, a.ok("PUT", "/api/v2/project", `{"name":"client-paged"}`)["data"])
		for i := 0; i < 7; i++ {
			a.ok("POST", "/api/v2/collection", fmt.Sprintf(`{"name":"c%d","project_id":"%s"}`, i, str(p["id"])))
		}
		c := client.New(a.base)
		ctx := context.Background()
		first, err := c.CollectionList(ctx, methods.CollectionList{Page: protocol.Paging{Limit: 3, Sort: "name", Desc: true}})
		if err != nil || len(first.Data) != 3 || first.Data[0].Name != "c6" || first.Metadata.After != 4 || first.Links.Next == "" {
			t.Fatalf("first page: %+v %v", first, err)
		}
		var names []string
		for coll, err := range c.CollectionListAll(ctx, methods.CollectionList{Page: protocol.Paging{Limit: 2, Filter: map[string][]string{"project_id": {str(p["id"])}}}}) {
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, coll.Name)
		}
		if strings.Join(names, " ") != "c0 c1 c2 c3 c4 c5 c6" {
			t.Errorf("all pages: %v", names)
		}
		for _, err := range c.CollectionListAll(ctx, methods.CollectionList{Page: protocol.Paging{Limit: 5000}}) {
			if err == nil || !strings.Contains(err.Error(), "can not exceed 1000") {
				t.Errorf("err = %v", err)
			}
		}
	})
}

// Inmanta's v2 project and environment lists answer every item without a
// limit, as before, and page when given one.
func TestInmantaListsPageWhenGivenLimit(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := start(t, db)
		var first string
		for _, name := range []string{"p2", "p1", "p3"} {
			p := obj(t, a.ok("PUT", "/api/v2/project", `{"name":"`+name+`"}`)["data"])
			if first == "" {
				first = str(p["id"])
			}
			for _, env := range []string{"dev", "prod"} {
				a.ok("PUT", "/api/v2/environment", `{"project_id":"`+str(p["id"])+`","name":"`+env+`"}`)
			}
		}
		names, links, meta := a.page("/api/v2/project", "name")
		if strings.Join(names, " ") != "p1 p2 p3" || links["next"] != nil || meta["total"] != 3.0 || meta["page_size"] != 3.0 {
			t.Errorf("unlimited: %v %v %v", names, links, meta)
		}
		if pages := a.walk("/api/v2/project?limit=2", "name", "next"); flat(pages) != "p1 p2 p3" || len(pages) != 2 {
			t.Errorf("limit=2: %v", pages)
		}
		names, _, meta = a.page("/api/v2/environment?filter.project_id="+first, "name")
		if strings.Join(names, " ") != "dev prod" || meta["total"] != 2.0 {
			t.Errorf("environments of p2: %v %v", names, meta)
		}
		var envs []string
		for _, pg := range a.walk("/api/v2/environment?limit=4&sort=name.desc", "name", "next") {
			envs = append(envs, strings.Join(pg, ","))
		}
		if strings.Join(envs, " ") != "prod,prod,prod,dev dev,dev" {
			t.Errorf("environments by name, desc, 4 a page: %v", envs)
		}
	})
}
