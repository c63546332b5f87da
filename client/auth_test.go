package client_test

import (
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/tagrpc/tagrpc/client"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/protocol/jwtauth"
	"github.com/tagrpc/tagrpc/server"
)

func TestClientSendsTheToken(t *testing.T) {
	authn, err := jwtauth.New(jwtauth.Config{Secret: []byte("0123456789abcdef0123456789abcdef-client")})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := handlers.NewServer(datatest.SQLite(t), authn, server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx := t.Context()

	api, _, _ := authn.Issue("t", []string{"api"}, "", 0)
	agent, _, _ := authn.Issue("t", []string{"agent"}, "", 0)

	if _, err := client.New(ts.URL).ListProjects(ctx, methods.ListProjects{}); !errors.Is(err, protocol.ErrUnauthorized) {
		t.Errorf("no token: %v, want ErrUnauthorized", err)
	}
	if _, err := client.New(ts.URL, client.WithBearerToken(agent)).ListProjects(ctx, methods.ListProjects{}); !errors.Is(err, protocol.ErrForbidden) {
		t.Errorf("agent token: %v, want ErrForbidden", err)
	}
	if _, err := client.New(ts.URL, client.WithBearerToken(api)).ListProjects(ctx, methods.ListProjects{}); err != nil {
		t.Errorf("api token: %v", err)
	}
}
