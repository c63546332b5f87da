package server_test

import (
	"context"
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
	}
	for _, s := range seeds {
		f.Add(s.id, s.n, s.query, s.tid, s.body)
	}
	srv := server.New(server.WithLogger(slog.New(slog.DiscardHandler)), server.WithMaxBody(4096))
	g := &protocol.Group{Name: "kinds", Methods: []any{QueryKinds{}, BodyKinds{}}}
	if err := srv.Register(fuzzKinds{}, g); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, n, query, tid, body string) {
		path := "/api/v1/kinds/" + url.PathEscape(id)
		requests := []*http.Request{
			httptest.NewRequest(http.MethodGet, "/", nil),
			httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)),
		}
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

// fuzzKinds serves only the decoding methods of the kinds group: Small,
// Slow and Boom answer 413, 504 and 500 on purpose.
type fuzzKinds struct{}

func (fuzzKinds) QueryKinds(ctx context.Context, in QueryKinds) (QueryKinds, error) {
	return kinds{}.QueryKinds(ctx, in)
}

func (fuzzKinds) BodyKinds(ctx context.Context, in BodyKinds) (BodyKinds, error) {
	return kinds{}.BodyKinds(ctx, in)
}
