package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/server"
)

// validating wraps the server so that every answer it gives in a test is
// checked against its own OpenAPI document (status, content type, body
// schema): every end-to-end test is also a replay against the document.
type validating struct {
	report  func(string)
	next    http.Handler
	router  routers.Router
	checked *atomic.Int64
}

func newValidating(t *testing.T, srv *server.Server, report func(string)) *validating {
	t.Helper()
	doc, err := srv.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	down, err := doc.Downgrade()
	if err != nil {
		t.Fatal(err)
	}
	b, err := down.JSON()
	if err != nil {
		t.Fatal(err)
	}
	kdoc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	kdoc.Servers = nil // match requests to any host
	router, err := legacy.NewRouter(kdoc)
	if err != nil {
		t.Fatal(err)
	}
	return &validating{report: report, next: srv, router: router, checked: &atomic.Int64{}}
}

func (v *validating) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	v.next.ServeHTTP(rec, r)
	if route, params, err := v.router.FindRoute(r); err == nil && !strings.HasPrefix(r.URL.Path, "/docs") {
		body := rec.Body.Bytes()
		if rec.Header().Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err == nil {
				body, err = io.ReadAll(zr)
			}
			if err != nil {
				v.report(fmt.Sprintf("%s %s: the gzip reply does not inflate: %v", r.Method, r.URL, err))
			}
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
			Status:                 rec.Code,
			Header:                 rec.Header(),
			Body:                   io.NopCloser(bytes.NewReader(body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if r.Method == http.MethodHead {
			in.Options.ExcludeResponseBody = true
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			v.report(fmt.Sprintf("%s %s answered %d, which its OpenAPI document does not describe: %v\nbody: %s", r.Method, r.URL, rec.Code, err, body))
		}
		v.checked.Add(1)
	}
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// The replay can fail: an answer that breaks the document is reported.
func TestValidatingCatchesMismatches(t *testing.T) {
	srv, err := handlers.NewServer(datatest.SQLite(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var reports []string
	v := newValidating(t, srv, func(msg string) { reports = append(reports, msg) })
	v.next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"project": {"id": 5}}`) // id must be a UUID string; name is missing
	})
	v.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/project/"+someUUID, nil))
	if len(reports) != 1 || !strings.Contains(reports[0], "does not describe") {
		t.Errorf("a reply that breaks the schema was not reported: %q", reports)
	}
}

const someUUID = "6f1c2a4e-7d0b-4c1e-9a57-0f2a3b4c5d6e"
