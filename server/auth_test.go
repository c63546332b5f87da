package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

type (
	Whoami struct {
		protocol.Method[string] `path:"/whoami" operation:"GET" client_types:"api,agent"`
	}
	Health struct {
		protocol.Method[string] `path:"/health" operation:"GET" enforce_auth:"false"`
	}
)

type callers struct{}

func (callers) Whoami(_ context.Context, in struct{ Who protocol.Caller }) (string, error) {
	return in.Who.Subject + " as " + strings.Join(in.Who.ClientTypes, "+"), nil
}

func (callers) Health(_ context.Context, in struct{ Who *protocol.Caller }) (string, error) {
	if in.Who.Subject == "" {
		return "ok, anonymous", nil
	}
	return "ok, " + in.Who.Subject, nil
}

// staticTokens knows two tokens.
var staticTokens = protocol.AuthenticatorFunc(func(_ context.Context, r *http.Request) (*protocol.Caller, error) {
	switch r.Header.Get("Authorization") {
	case "Bearer alice":
		return &protocol.Caller{Subject: "alice", ClientTypes: []string{"api"}}, nil
	case "Bearer robot":
		return &protocol.Caller{Subject: "robot", ClientTypes: []string{"compiler"}}, nil
	}
	return nil, protocol.Unauthorized("unknown token")
})

func TestCallerAndEnforceAuth(t *testing.T) {
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)), server.WithAuth(protocol.Auth{Authenticator: staticTokens}))
	if err := s.Register(callers{}, &protocol.Group{Name: "who", Methods: []any{Whoami{}, Health{}}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	tests := []struct {
		path, token string
		status      int
		body        string
	}{
		{"/api/v1/whoami", "alice", 200, `"alice as api"`},
		{"/api/v1/whoami", "", 401, "unknown token"},
		{"/api/v1/whoami", "robot", 403, "client types api, agent; the credentials are for compiler"},
		{"/api/v1/health", "", 200, `"ok, anonymous"`},
		{"/api/v1/health", "alice", 200, `"ok, alice"`},
		{"/api/v1/health", "forged", 200, `"ok, anonymous"`},
	}
	for _, tt := range tests {
		var h []string
		if tt.token != "" {
			h = []string{"Authorization", "Bearer " + tt.token}
		}
		r := call(t, "GET", ts.URL+tt.path, "", h...)
		if r.status != tt.status || !strings.Contains(string(r.body), tt.body) {
			t.Errorf("GET %s with %q: %d %s; want %d %s", tt.path, tt.token, r.status, r.body, tt.status, tt.body)
		}
	}
}

type (
	Build struct {
		protocol.Method[string] `path:"/builds/" operation:"GET" bare:"true"`
	}
	keyed struct{}
)

func (keyed) Build(context.Context, Build) (string, error) { return "built", nil }

// Each group keeps its own scheme: an API key for one, bearer tokens for
// the other, and the document says so.
func TestAuthPerGroup(t *testing.T) {
	apiKey := &protocol.SecurityScheme{Name: "apiKey", Type: "apiKey", In: "header", Field: "Authorization"}
	builds := &protocol.Group{Name: "builds", Methods: []any{Build{}}, Security: apiKey}
	who := &protocol.Group{Name: "who", Methods: []any{Whoami{}, Health{}}}
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)),
		server.WithAuth(protocol.Auth{Authenticator: staticTokens}),
		server.WithGroupAuth(builds, protocol.Auth{Authenticator: protocol.APIKey{
			Key: "k3y", Caller: protocol.Caller{Subject: "binder", ClientTypes: []string{"api"}}, Status: 403}}))
	if err := s.Register(keyed{}, builds); err != nil {
		t.Fatal(err)
	}
	if err := s.Register(callers{}, who); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	tests := []struct {
		path, auth string
		status     int
	}{
		{"/builds/", "k3y", 200},
		{"/builds/", "wrong", 403},
		{"/builds/", "Bearer alice", 403},
		{"/api/v1/whoami", "Bearer alice", 200},
		{"/api/v1/whoami", "k3y", 401},
	}
	for _, tt := range tests {
		if r := call(t, "GET", ts.URL+tt.path, "", "Authorization", tt.auth); r.status != tt.status {
			t.Errorf("GET %s with %q: %d %s; want %d", tt.path, tt.auth, r.status, r.body, tt.status)
		}
	}
	doc, err := s.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Components.SecuritySchemes["apiKey"] == nil || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Errorf("security schemes %v; want apiKey and bearer", doc.Components.SecuritySchemes)
	}
	if sec := (*doc.Paths["/builds/"])["get"].Security; len(sec) != 1 || sec[0]["apiKey"] == nil {
		t.Errorf("/builds/ security %v", sec)
	}
	if sec := (*doc.Paths["/api/v1/health"])["get"].Security; sec != nil {
		t.Errorf("an enforce_auth:\"false\" method has security %v", sec)
	}
}
