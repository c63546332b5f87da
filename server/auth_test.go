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
