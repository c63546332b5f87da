package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/client"
	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/server"
)

// lightning is a project with a collection and a token that reaches it,
// made through the management methods.
type lightning struct {
	*api
	project, token, auth string
}

func newLightning(t *testing.T, a *api, collection string) lightning {
	t.Helper()
	p := obj(t, a.ok("PUT", "/api/v2/project", `{"name":"lightning-`+collection+`"}`)["data"])
	id := str(p["id"])
	a.ok("POST", "/api/v2/collection", `{"name":"`+collection+`","project_id":"`+id+`"}`)
	tok := obj(t, a.ok("POST", "/api/v2/collection_token", `{"project_id":"`+id+`","kind":"run","label":"test"}`)["data"])
	return lightning{api: a, project: id, token: str(tok["token"]), auth: "Bearer " + str(tok["token"])}
}

// exact sends a request and checks the status and the whole JSON body,
// with created/updated times checked for Lightning's format and left out.
func (l lightning) exact(status int, want, method, path, body string, headers ...string) {
	l.t.Helper()
	r := l.do(method, path, body, append([]string{"Authorization", l.auth}, headers...)...)
	if r.status != status {
		l.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.body)
	}
	if want == "" {
		if len(r.body) != 0 {
			l.t.Fatalf("%s %s: body %q, want none", method, path, r.body)
		}
		return
	}
	var got, exp any
	if err := json.Unmarshal(r.body, &got); err != nil {
		l.t.Fatalf("%s %s: not JSON: %s", method, path, r.body)
	}
	_ = json.Unmarshal([]byte(want), &exp)
	dropTimes(l.t, got)
	if !reflect.DeepEqual(got, exp) {
		l.t.Fatalf("%s %s:\n got %s\nwant %s", method, path, r.body, want)
	}
}

var lightningTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

func dropTimes(t *testing.T, v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range []string{"created", "updated"} {
			if s, ok := v[k]; ok {
				if !lightningTime.MatchString(str(s)) {
					t.Errorf("%s %q is not ISO 8601 UTC with microseconds", k, s)
				}
				delete(v, k)
			}
		}
		for _, x := range v {
			dropTimes(t, x)
		}
	case []any:
		for _, x := range v {
			dropTimes(t, x)
		}
	}
}

func TestCollectionsAPI(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		l := newLightning(t, start(t, db), "c")
		l.exact(200, `{"items":[],"cursor":null}`, "GET", "/collections/c", "")
		l.exact(200, `{"upserted":1,"error":null}`, "PUT", "/collections/c/k", `{"value":"v"}`)
		l.exact(200, `{"key":"k","value":"v"}`, "GET", "/collections/c/k", "")
		l.exact(204, "", "GET", "/collections/c/missing", "")
		l.exact(422, `{"error":"Missing required field: value"}`, "PUT", "/collections/c/k", `{}`)
		l.exact(200, `{"upserted":3,"error":null}`, "POST", "/collections/c",
			`{"items":[{"key":"foo:bar:baz","value":"1"},{"key":"foo:bar:baz:quux","value":"2"},{"key":"k","value":"v2"}]}`)
		l.exact(422, `{"upserted":0,"error":"Duplicate key found"}`, "POST", "/collections/c", `{"items":[{"key":"x","value":"1"},{"key":"x","value":"2"}]}`)
		l.exact(204, "", "GET", "/collections/c/x", "") // the refused batch wrote nothing
		l.exact(422, `{"error":"Missing required field: items"}`, "POST", "/collections/c", `{}`)
		l.exact(200, `{"items":[{"key":"k","value":"v2"},{"key":"foo:bar:baz","value":"1"},{"key":"foo:bar:baz:quux","value":"2"}],"cursor":null}`,
			"GET", "/collections/c", "")
		l.exact(200, `{"items":[{"key":"foo:bar:baz","value":"1"},{"key":"foo:bar:baz:quux","value":"2"}],"cursor":null}`,
			"GET", "/collections/c?key=foo:bar:*", "")
		l.exact(200, `{"items":[{"key":"foo:bar:baz","value":"1"}],"cursor":null}`, "GET", "/collections/c?key=foo:*:baz", "")
		l.exact(200, `{"items":[],"cursor":null}`, "GET", "/collections/c?key=FOO:*", "")
		l.exact(200, `{"key":"k","deleted":1,"error":null}`, "DELETE", "/collections/c/k", "")
		l.exact(200, `{"key":"k","deleted":0,"error":"Item Not Found"}`, "DELETE", "/collections/c/k", "")
		l.exact(200, `{"key":"foo:*:baz","deleted":1,"error":null}`, "DELETE", "/collections/c?key=foo:*:baz", "")
		l.exact(200, `{"upserted":2,"error":null}`, "POST", "/collections/c", `{"items":[{"key":"a","value":"1"},{"key":"b","value":"2"}]}`)
		l.exact(200, `{"key":null,"deleted":3,"error":null}`, "DELETE", "/collections/c", "")
		l.exact(200, `{"items":[],"cursor":null}`, "GET", "/collections/c", "")

		// Errors, in Lightning's shape.
		l.exact(404, `{"error":"Not Found"}`, "GET", "/collections/nope", "")
		l.exact(404, `{"error":"Not Found"}`, "PUT", "/collections/nope/k", `{"value":"v"}`)
		l.exact(400, `{"error":"query.colour: unknown query parameter; the method takes only key, cursor, limit, created_after, created_before, updated_after, updated_before"}`,
			"GET", "/collections/c?colour=red", "")
		for _, q := range []string{"created_after=2024-01-01", "updated_before=yesterday", "created_before=2024-13-01T00:00:00Z"} {
			r := l.do("GET", "/collections/c?"+q, "", "Authorization", l.auth)
			if r.status != 400 || !strings.Contains(string(r.body), `"error":"query.`) {
				t.Errorf("%s: %d %s, want 400 naming the argument", q, r.status, r.body)
			}
		}
		l.exact(400, `{"error":"cursor is not a cursor this server gave"}`, "GET", "/collections/c?cursor=zz!", "")
	})
}

func TestCollectionsAuth(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := start(t, db)
		mine := newLightning(t, a, "mine")
		theirs := newLightning(t, a, "theirs")
		personal := obj(t, a.ok("POST", "/api/v2/collection_token", `{"project_id":"`+mine.project+`"}`)["data"])
		if str(personal["kind"]) != "personal" {
			t.Errorf("default kind: %v", personal)
		}
		revoked := obj(t, a.ok("POST", "/api/v2/collection_token", `{"project_id":"`+mine.project+`","kind":"run"}`)["data"])
		a.do("DELETE", "/api/v2/collection_token/"+str(revoked["id"]), "")
		for _, tc := range []struct {
			name, auth, path string
			status           int
		}{
			{"run token of the owner", mine.auth, "/collections/mine", 200},
			{"personal token of the owner", "Bearer " + str(personal["token"]), "/collections/mine", 200},
			{"no token", "", "/collections/mine", 401},
			{"not bearer", "Basic " + mine.token, "/collections/mine", 401},
			{"unknown token", "Bearer tgc_nope", "/collections/mine", 401},
			{"revoked token", "Bearer " + str(revoked["token"]), "/collections/mine", 401},
			{"token of another project", theirs.auth, "/collections/mine", 401},
			{"item of another project", theirs.auth, "/collections/mine/k", 401},
			{"unknown collection", mine.auth, "/collections/none", 404},
		} {
			r := a.do("GET", tc.path, "", "Authorization", tc.auth)
			want := map[int]string{401: `{"error":"Unauthorized"}`, 404: `{"error":"Not Found"}`}[tc.status]
			if r.status != tc.status || (want != "" && string(r.body) != want) {
				t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, want)
			}
		}
		list := a.ok("GET", "/api/v2/collection_tokens?project_id="+mine.project, "")
		if toks := list["data"].([]any); len(toks) != 3 || strings.Contains(fmt.Sprint(toks), mine.token) {
			t.Errorf("token list %v: three tokens, no secret", toks)
		}
	})
}

func TestCollectionsManagement(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := start(t, db)
		l := newLightning(t, a, "managed")
		got := obj(t, a.ok("GET", "/api/v2/collection/managed", "")["data"])
		if str(got["name"]) != "managed" || str(got["project_id"]) != l.project {
			t.Errorf("get: %v", got)
		}
		a.ok("POST", "/api/v2/collection", `{"name":"second","project_id":"`+l.project+`"}`)
		for _, tc := range []struct {
			path  string
			names string
		}{
			{"/api/v2/collections", "managed second"},
			{"/api/v2/collections?filter.project_id=" + l.project, "managed second"},
			{"/api/v2/collections?filter.project_id=" + someUUID, ""},
			{"/api/v2/collections?sort=name.desc", "second managed"},
		} {
			var names []string
			for _, c := range a.ok("GET", tc.path, "")["data"].([]any) {
				names = append(names, str(obj(t, c)["name"]))
			}
			if strings.Join(names, " ") != tc.names {
				t.Errorf("%s: %v, want %s", tc.path, names, tc.names)
			}
		}
		for _, tc := range []struct {
			status             int
			method, path, body string
		}{
			{409, "POST", "/api/v2/collection", `{"name":"managed","project_id":"` + l.project + `"}`},
			{404, "POST", "/api/v2/collection", `{"name":"x","project_id":"` + someUUID + `"}`},
			{400, "POST", "/api/v2/collection", `{"name":"a/b","project_id":"` + l.project + `"}`},
			{404, "POST", "/api/v2/collection_token", `{"project_id":"` + someUUID + `"}`},
			{400, "POST", "/api/v2/collection_token", `{"project_id":"` + l.project + `","kind":"admin"}`},
			{404, "DELETE", "/api/v2/collection_token/" + someUUID, ""},
			{404, "GET", "/api/v2/collection/nope", ""},
		} {
			if r := a.do(tc.method, tc.path, tc.body); r.status != tc.status {
				t.Errorf("%s %s %s: %d %s, want %d", tc.method, tc.path, tc.body, r.status, r.body, tc.status)
			}
		}
		a.do("DELETE", "/api/v2/collection/managed", "")
		l.exact(404, `{"error":"Not Found"}`, "GET", "/collections/managed", "")
		r := a.do("GET", "/api/v2/collection/managed", "")
		if r.status != 404 || !strings.Contains(string(r.body), `"name":"collectionNotFound"`) ||
			!strings.Contains(string(r.body), `"the collection managed does not exist"`) ||
			!strings.Contains(string(r.body), `collection-create --name managed --project-id`) {
			t.Errorf("named error: %d %s", r.status, r.body)
		}
	})
}

// Paging with the cursor visits every item once, in order, also when items
// are upserted between pages; the last page's cursor is null.
func TestCollectionsCursorPaging(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		l := newLightning(t, start(t, db), "paged")
		const limit = 3
		var items []string
		for i := 0; i < 2*limit+1; i++ {
			items = append(items, fmt.Sprintf(`{"key":"k%d","value":"%d"}`, i, i))
		}
		l.ok("POST", "/collections/paged", `{"items":[`+strings.Join(items, ",")+`]}`, "Authorization", l.auth)
		var seen []string
		cursor := ""
		for page := 0; ; page++ {
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			r := l.ok("GET", "/collections/paged?"+q.Encode(), "", "Authorization", l.auth)
			for _, it := range r["items"].([]any) {
				seen = append(seen, str(obj(t, it)["key"]))
			}
			if page == 0 {
				l.ok("POST", "/collections/paged", `{"items":[{"key":"k0","value":"again"},{"key":"k5","value":"again"}]}`, "Authorization", l.auth)
			}
			if r["cursor"] == nil {
				if page != 2 {
					t.Errorf("the cursor ran out after page %d", page)
				}
				break
			}
			cursor = str(r["cursor"])
			if page > 5 {
				t.Fatal("the cursor never ran out")
			}
		}
		if strings.Join(seen, ",") != "k0,k1,k2,k3,k4,k5,k6" {
			t.Errorf("seen %v", seen)
		}
	})
}

func TestCollectionsDateFilters(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		l := newLightning(t, start(t, db), "dated")
		l.ok("PUT", "/collections/dated/old", `{"value":"1"}`, "Authorization", l.auth)
		time.Sleep(5 * time.Millisecond)
		mid := time.Now().UTC().Format(time.RFC3339Nano)
		time.Sleep(5 * time.Millisecond)
		l.ok("PUT", "/collections/dated/new", `{"value":"1"}`, "Authorization", l.auth)
		for q, want := range map[string]string{
			"created_after=" + mid:  "new",
			"created_before=" + mid: "old",
			"updated_after=" + mid:  "new",
			"updated_before=" + mid: "old",
		} {
			r := l.ok("GET", "/collections/dated?"+q, "", "Authorization", l.auth)
			var keys []string
			for _, it := range r["items"].([]any) {
				keys = append(keys, str(obj(t, it)["key"]))
			}
			if strings.Join(keys, ",") != want {
				t.Errorf("%s: %v, want %s", q, keys, want)
			}
		}
		l.exact(200, `{"key":null,"deleted":1,"error":null}`, "DELETE", "/collections/dated?created_before="+url.QueryEscape(mid), "")
	})
}

// The generated client streams a collection item by item and reads the
// cursor after the loop.
func TestCollectionsClient(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := start(t, db)
		l := newLightning(t, a, "typed")
		c := client.New(a.base, client.WithBearerToken(l.token))
		ctx := context.Background()
		items := make([]methods.ItemKeyValue, 5)
		for i := range items {
			items[i] = methods.ItemKeyValue{Key: fmt.Sprintf("key:%d", i), Value: fmt.Sprint(i)}
		}
		if up, err := c.CollectionPutItems(ctx, methods.CollectionPutItems{Name: "typed", Items: items}); err != nil || up.Upserted != 5 {
			t.Fatalf("put: %+v %v", up, err)
		}
		pattern := "key:*"
		var got []string
		var cursor *string
		for {
			s, err := c.CollectionStream(ctx, methods.CollectionStream{Name: "typed", Key: &pattern, Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for it, err := range s.All() {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, it.Value)
			}
			if cursor = s.Trailer().Cursor; cursor == nil {
				break
			}
		}
		if strings.Join(got, "") != "01234" {
			t.Errorf("streamed %v", got)
		}
		if it, err := c.CollectionGetItem(ctx, methods.CollectionGetItem{Name: "typed", Key: "nope"}); err != nil || it != nil {
			t.Errorf("missing key: %v %v, want nil, nil", it, err)
		}
		if it, err := c.CollectionGetItem(ctx, methods.CollectionGetItem{Name: "typed", Key: "key:3"}); err != nil || it.Value != "3" {
			t.Errorf("get: %+v %v", it, err)
		}
		_, err := client.New(a.base).CollectionStream(ctx, methods.CollectionStream{Name: "typed", Limit: 1})
		if err == nil || !strings.Contains(err.Error(), "Unauthorized") {
			t.Errorf("no token: %v", err)
		}
	})
}

// A client that leaves a big stream after its first chunk frees its
// database connection: many requests after it still succeed.
func TestCollectionsStreamClientLeaves(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		srv, err := handlers.NewServer(db, nil, server.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv) // no validating wrapper: it would buffer the stream
		t.Cleanup(ts.Close)
		l := newLightning(t, start(t, db), "big")
		const n = 30000
		for start := 0; start < n; start += 5000 {
			items := make([]data.Item, 5000)
			for i := range items {
				items[i] = data.Item{Key: fmt.Sprintf("item:%06d", start+i), Value: strings.Repeat("v", 40)}
			}
			if _, err := db.PutItems(t.Context(), "big", items); err != nil {
				t.Fatal(err)
			}
		}
		leave := func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/collections/big?limit=30000", nil)
			req.Header.Set("Authorization", l.auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			buf := make([]byte, 4096)
			if _, err := io.ReadFull(resp.Body, buf); err != nil || !strings.HasPrefix(string(buf), `{"items":[{"key":"item:000000"`) {
				t.Errorf("first chunk: %q %v", buf[:64], err)
			}
			cancel()
			resp.Body.Close()
		}
		// More clients leave than the database has connections.
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); leave() }()
		}
		wg.Wait()
		hc := &http.Client{Timeout: 20 * time.Second}
		for i := 0; i < 20; i++ {
			req, _ := http.NewRequest("GET", ts.URL+"/collections/big/item:000007", nil)
			req.Header.Set("Authorization", l.auth)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("request %d after the clients left: %v", i, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("request %d: %d", i, resp.StatusCode)
			}
		}
	})
}
