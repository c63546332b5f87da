package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

type (
	StrictFind struct {
		protocol.Method[[]string] `path:"/strict" operation:"GET" strict_query:"true"`

		Q      string            `json:"q" default:""`
		Filter map[string]string `json:"filter"`
	}
	LooseFind struct {
		protocol.Method[[]string] `path:"/loose" operation:"GET"`

		Q string `json:"q" default:""`
	}
	MaybeItem struct {
		protocol.Method[*Item] `path:"/maybe/<name>" operation:"GET" empty_status:"204"`

		Name string `json:"name"`
	}
	EmbedEcho struct {
		protocol.Method[string] `path:"/embed/<name>" operation:"GET"`

		Name string `json:"name"`
		N    int    `json:"n" default:"1"`
	}
	PutValue struct {
		protocol.Method[protocol.NoReply] `path:"/value" operation:"PUT" strict_query:"true"`

		Value string `json:"value" validate:"required"`
	}
)

type featureHandles struct{}

func (featureHandles) StrictFind(_ context.Context, in StrictFind) ([]string, error) {
	return []string{in.Q}, nil
}
func (featureHandles) LooseFind(_ context.Context, in LooseFind) ([]string, error) {
	return []string{in.Q}, nil
}
func (featureHandles) MaybeItem(_ context.Context, in MaybeItem) (*Item, error) {
	if in.Name == "none" {
		return nil, nil
	}
	return &Item{Name: in.Name}, nil
}
func (featureHandles) PutValue(context.Context, PutValue) error { return nil }

// EmbedEcho takes its method struct whole, beside the caller.
func (featureHandles) EmbedEcho(_ context.Context, in struct {
	EmbedEcho
	Caller *protocol.Caller
}) (string, error) {
	return fmt.Sprintf("%s/%d/anonymous=%v", in.Name, in.N, in.Caller.Subject == ""), nil
}

func TestDeclaredBehaviours(t *testing.T) {
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	plain := &protocol.Group{Name: "plain", Methods: []any{StrictFind{}, LooseFind{}, MaybeItem{}, EmbedEcho{}}}
	unprocessable := &protocol.Group{Name: "unprocessable", Methods: []any{PutValue{}}, InvalidStatus: 422}
	if err := s.Register(featureHandles{}, plain, unprocessable); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	for _, tc := range []struct {
		name, verb, path, body string
		status                 int
		want                   string // substring of the body; "" for an empty body
	}{
		{"strict query, declared", "GET", "/api/v1/strict?q=a&filter.x=y", "", 200, `["a"]`},
		{"strict query, undeclared", "GET", "/api/v1/strict?q=a&colour=red&size=2", "", 400, `"query.colour","message":"unknown query parameter; the method takes only q, filter"`},
		{"loose query ignores others", "GET", "/api/v1/loose?q=a&colour=red", "", 200, `["a"]`},
		{"nil reply is the empty status", "GET", "/api/v1/maybe/none", "", 204, ""},
		{"non-nil reply", "GET", "/api/v1/maybe/x", "", 200, `"name":"x"`},
		{"embedded method struct", "GET", "/api/v1/embed/x?n=3", "", 200, `"x/3/anonymous=true"`},
		{"group's invalid status", "PUT", "/api/v1/value", `{}`, 422, `"location":"body.value","message":"required"`},
		{"malformed JSON stays 400", "PUT", "/api/v1/value", `{`, 400, "JSON"},
		{"a bad query stays 400", "PUT", "/api/v1/value?x=1", `{"value":"v"}`, 400, `"query.x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.verb, ts.URL+tc.path, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.want == "" && len(body) != 0 || !strings.Contains(string(body), tc.want) {
				t.Fatalf("body %s, want %q", body, tc.want)
			}
		})
	}
}

func TestEmptyStatusNeedsANilableReply(t *testing.T) {
	type Bad struct {
		protocol.Method[Item] `path:"/x" operation:"GET" empty_status:"204"`
	}
	if _, err := protocol.Describe(Bad{}); err == nil || !strings.Contains(err.Error(), "can be nil") {
		t.Fatalf("err = %v", err)
	}
}

func TestPagingDeclarationErrors(t *testing.T) {
	type (
		NotAPage struct {
			protocol.Method[[]Item] `path:"/x" operation:"GET"`
			Page                    protocol.Paging `paging:"sort=name"`
		}
		PageWithoutPaging struct {
			protocol.Method[protocol.Page[Item]] `path:"/x" operation:"GET"`
		}
		PostedPage struct {
			protocol.Method[protocol.Page[Item]] `path:"/x" operation:"POST"`
			Page                                 protocol.Paging `paging:"sort=name"`
		}
		EnvelopedPage struct {
			protocol.Method[protocol.Page[Item]] `path:"/x" operation:"GET" envelope:"true"`
			Page                                 protocol.Paging `paging:"sort=name"`
		}
		LimitTwice struct {
			protocol.Method[protocol.Page[Item]] `path:"/x" operation:"GET"`
			Page                                 protocol.Paging `paging:"sort=name"`
			Limit                                int             `json:"limit"`
		}
		NoSortable struct {
			protocol.Method[protocol.Page[Item]] `path:"/x" operation:"GET"`
			Page                                 protocol.Paging `paging:"filter=name"`
		}
		BadDefault struct {
			protocol.Method[protocol.Page[Item]] `path:"/x" operation:"GET"`
			Page                                 protocol.Paging `paging:"sort=name;default=id.asc"`
		}
	)
	for _, tc := range []struct {
		decl any
		want string
	}{
		{NotAPage{}, "replies with a protocol.Page"},
		{PageWithoutPaging{}, "no field is a protocol.Paging"},
		{PostedPage{}, "operation must be GET"},
		{EnvelopedPage{}, "not enveloped"},
		{LimitTwice{}, `argument "limit" is one of the paging arguments`},
		{NoSortable{}, "declares no sortable column"},
		{BadDefault{}, `"id" is not a sortable column`},
	} {
		if _, err := protocol.Describe(tc.decl); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%T: err = %v, want %q", tc.decl, err, tc.want)
		}
	}
}

type (
	KwPathWins struct {
		protocol.Method[map[string]any] `path:"/kw/<id>" operation:"POST"`

		ID    string         `json:"id"`
		Name  string         `json:"name" default:""`
		Extra map[string]any `json:"extra" kwargs:"path"`
	}
	KwBodyWins struct {
		protocol.Method[map[string]any] `path:"/kwb/<id>" operation:"POST"`

		ID    string         `json:"id"`
		Extra map[string]any `json:"extra" kwargs:"body"`
	}
)

type kwHandles struct{}

func (kwHandles) KwPathWins(_ context.Context, in KwPathWins) (map[string]any, error) {
	return map[string]any{"id": in.ID, "name": in.Name, "extra": in.Extra}, nil
}

func (kwHandles) KwBodyWins(_ context.Context, in KwBodyWins) (map[string]any, error) {
	return map[string]any{"id": in.ID, "extra": in.Extra}, nil
}

func TestKwargsBodies(t *testing.T) {
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	if err := s.Register(kwHandles{}, &protocol.Group{Name: "kw", Methods: []any{KwPathWins{}, KwBodyWins{}}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	for _, tc := range []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"unbound keys pass on unchanged", "/api/v1/kw/p1", `{"name":"n","big":12345678901234567890,"nested":{"a":[1,"x",null]},"flag":true}`, 200,
			`{"extra":{"big":12345678901234567890,"flag":true,"nested":{"a":[1,"x",null]}},"id":"p1","name":"n"}`},
		{"the path wins", "/api/v1/kw/p1", `{"id":"b1","x":1}`, 200, `{"extra":{"x":1},"id":"p1","name":""}`},
		{"the body wins", "/api/v1/kwb/p1", `{"id":"b1","x":1}`, 200, `{"extra":{"x":1},"id":"b1"}`},
		{"no body", "/api/v1/kw/p1", ``, 200, `{"extra":null,"id":"p1","name":""}`},
		{"bound keys are still typed", "/api/v1/kw/p1", `{"name":5}`, 400, `body.name`},
		{"not an object", "/api/v1/kw/p1", `[1]`, 400, ``},
		{"malformed", "/api/v1/kw/p1", `{"a":`, 400, ``},
	} {
		req, _ := http.NewRequest("POST", ts.URL+tc.path, strings.NewReader(tc.body))
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, b, tc.status, tc.want)
		}
	}
	type (
		KwTwice struct {
			protocol.Method[Item] `path:"/x" operation:"POST"`
			A                     map[string]any `kwargs:"path"`
			B                     map[string]any `kwargs:"path"`
		}
		KwGet struct {
			protocol.Method[Item] `path:"/x" operation:"GET"`
			A                     map[string]any `kwargs:"path"`
		}
		KwBadType struct {
			protocol.Method[Item] `path:"/x" operation:"POST"`
			A                     map[string]string `kwargs:"path"`
		}
		KwBadPrecedence struct {
			protocol.Method[Item] `path:"/x" operation:"POST"`
			A                     map[string]any `kwargs:"yes"`
		}
	)
	for _, tc := range []struct {
		decl any
		want string
	}{
		{KwTwice{}, "both kwargs arguments"},
		{KwGet{}, "GET has no body"},
		{KwBadType{}, "a kwargs argument is a map[string]any"},
		{KwBadPrecedence{}, `"path" or "body"`},
	} {
		if _, err := protocol.Describe(tc.decl); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%T: err = %v, want %q", tc.decl, err, tc.want)
		}
	}
}

// Argument frames are recycled between requests: nothing of one request's
// arguments may show in the next one's.
func TestNoArgumentOutlivesItsRequest(t *testing.T) {
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	if err := s.Register(fuzzKinds{}, &protocol.Group{Name: "kinds", Methods: []any{QueryKinds{}, BodyKinds{}, PagedKinds{}, KwPathWins{}}}); err != nil {
		t.Fatal(err)
	}
	get := func(query string) string {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/kinds/"+someID+"/1"+query, nil))
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", query, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	for i := 0; i < 50; i++ {
		full := get("?opt=5&sort=a&sort=b&filter.k=v&t=2024-05-01T10:00:00Z")
		bare := get("")
		if !strings.Contains(full, `"opt":5`) || strings.Contains(bare, `"opt":5`) || strings.Contains(bare, `"sort":["a"`) ||
			strings.Contains(bare, `"filter":{"k"`) || strings.Contains(bare, "2024-05-01") {
			t.Fatalf("round %d: a request's arguments showed in the next one:\n%s\n%s", i, full, bare)
		}
	}
}
