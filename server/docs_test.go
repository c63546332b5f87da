package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestDocsUIIsServedFromTheBinary(t *testing.T) {
	url := startKinds(t)
	r := call(t, "GET", url+"/docs", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	page := string(r.body)
	if m := regexp.MustCompile(`(?i)(src|href)=["']?(https?:)?//`).FindString(page); m != "" {
		t.Errorf("the docs page loads from another host: %s", m)
	}
	assets := regexp.MustCompile(`(?:src|href)=["']\.?/?([^"']+)["']`).FindAllStringSubmatch(page, -1)
	if len(assets) < 3 {
		t.Fatalf("the docs page references %d assets; want Swagger UI's script and styles:\n%s", len(assets), page)
	}
	for _, a := range assets {
		r := call(t, "GET", url+"/docs/"+strings.TrimPrefix(a[1], "./"), "")
		if r.status != http.StatusOK || len(r.body) == 0 {
			t.Errorf("asset %s: status %d, %d bytes", a[1], r.status, len(r.body))
		}
	}
	if !strings.Contains(page, "/openapi-3.0.json") {
		t.Error("the docs page does not load /openapi-3.0.json")
	}
	for _, doc := range []string{"/openapi.json", "/openapi-3.0.json"} {
		r := call(t, "GET", url+doc, "")
		if r.status != 200 || !strings.Contains(string(r.body), `"operationId": "QueryKinds"`) {
			t.Errorf("GET %s: status %d", doc, r.status)
		}
	}
}
