package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

// FuzzDecode sends arbitrary path segments, query strings, headers and
// bodies to methods with every kind of argument. Whatever arrives, the
// answer is a success or a 4xx with a problem body: never a 5xx or a panic.
func FuzzDecode(f *testing.F) {
	seeds := []struct{ id, n, query, tid, body string }{
		{someID, "1", "s=x&b=true&sort=a&sort=b&filter.a=b", someID, `{"name":"n"}`},
		{"nope", "x", "filter.=x&ints=1&ints=y", "", `{"name":`},
		{someID, "-128", "t=2024-05-01&c=green&u=65535&f=1e308", someID, `{"name":"n","address":{"street":"s","zip":1234},"raw":[1],"free":{"a":null}}`},
		{someID, "127", "opt=&limit=1001&multi.k=1&multi.k=2", "not-a-uuid", `{"name":"n","tid":"` + someID + `"}`},
		{someID, "0", "%zz&=&&", someID, `[1,2]`},
		{someID, "1", "", someID, `{"name":"n","ref":5,"when":"yesterday","tags":null}`},
		{someID, "1", "", someID, `{"name":"n"} trailing`},
		{someID, "1", "", someID, "{\"name\":\"\xff\"}"},
		{someID, "1", "limit=2&sort=name.desc&start=a&first_id=b&filter.name=x&filter.name=y&q=1", someID, `{}`},
		{someID, "1", "limit=1001&sort=.&end=&last_id=&filter.=&start=a&first_id=b", someID, `{}`},
		{someID, "1", "sort=name.ASC&limit=-1&colour=red&filter.name", someID, `{}`},
	}
	for _, s := range seeds {
		f.Add(s.id, s.n, s.query, s.tid, s.body)
	}
	srv := server.New(server.WithLogger(slog.New(slog.DiscardHandler)), server.WithMaxBody(4096))
	g := &protocol.Group{Name: "kinds", Methods: []any{QueryKinds{}, BodyKinds{}, PagedKinds{}, KwPathWins{}}}
	if err := srv.Register(fuzzKinds{}, g); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, n, query, tid, body string) {
		path := "/api/v1/kinds/" + url.PathEscape(id)
		requests := []*http.Request{
			httptest.NewRequest(http.MethodGet, "/", nil),
			httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)),
			httptest.NewRequest(http.MethodGet, "/api/v1/paged", nil),
		}
		requests[2].URL.RawQuery = query
		kw := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		kw.URL.Path = "/api/v1/kw/" + url.PathEscape(id)
		kw.Header.Set("Content-Type", "application/json")
		requests = append(requests, kw)
		requests[0].URL.Path = path + "/" + url.PathEscape(n)
		requests[0].URL.RawQuery = query
		requests[1].URL.Path = path
		requests[1].Header.Set("Content-Type", "application/json")
		if tid != "" && !strings.ContainsAny(tid, "\r\n\x00") {
			requests[1].Header.Set("X-Inmanta-tid", tid)
		}
		for _, req := range requests {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s?%s body %q: status %d: %s", req.Method, req.URL.Path, req.URL.RawQuery, body, rec.Code, rec.Body)
			}
			if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: status %d without a problem body: %s", req.Method, rec.Code, rec.Body)
			}
		}
	})
}

// PagedKinds takes the paging arguments, and only those and q.
type PagedKinds struct {
	protocol.Method[protocol.Page[Item]] `path:"/paged" operation:"GET" strict_query:"true"`

	Q    string          `json:"q" default:""`
	Page protocol.Paging `paging:"sort=name,created;filter=name"`
}

// fuzzKinds serves only the decoding methods of the kinds group: Small,
// Slow and Boom answer 413, 504 and 500 on purpose.
type fuzzKinds struct{}

// PagedKinds answers one item whose name says what it decoded, with
// bounds from the request, so the links are built from fuzzed values.
func (fuzzKinds) PagedKinds(_ context.Context, in PagedKinds) (protocol.Page[Item], error) {
	p := in.Page
	name := fmt.Sprintf("%d %s %v %v", p.Limit, p.Sort, p.Desc, p.Filter)
	b := protocol.PageBounds{MinValue: in.Q, MaxValue: name}
	return protocol.Page[Item]{Data: []Item{{Name: name}}, Metadata: protocol.PageMetadata{Total: 3, Before: 1, After: 1}, Bounds: b}, nil
}

func (fuzzKinds) QueryKinds(ctx context.Context, in QueryKinds) (QueryKinds, error) {
	return kinds{}.QueryKinds(ctx, in)
}

func (fuzzKinds) KwPathWins(ctx context.Context, in KwPathWins) (map[string]any, error) {
	return kwHandles{}.KwPathWins(ctx, in)
}

func (fuzzKinds) BodyKinds(ctx context.Context, in BodyKinds) (BodyKinds, error) {
	return kinds{}.BodyKinds(ctx, in)
}
