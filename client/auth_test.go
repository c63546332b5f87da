package client_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestClientGzipsLargeBodies(t *testing.T) {
	db := datatest.SQLite(t)
	srv, err := handlers.NewServer(db, nil, server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	var encodings []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			encodings = append(encodings, r.Header.Get("Content-Encoding"))
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	c := client.New(ts.URL)
	ctx := t.Context()
	p := must(c.ProjectCreate(ctx, methods.ProjectCreate{Name: "p"}))(t)
	e := must(c.EnvironmentCreate(ctx, methods.EnvironmentCreate{ProjectID: p.ID, Name: "e"}))(t)
	long := strings.Repeat(fmt.Sprint("0 0 * * * "), 200)
	big, _ := json.Marshal(long)
	if _, err := c.SetSetting(ctx, methods.SetSetting{Tid: e.ID, ID: "auto_full_compile", Value: big}); err != nil {
		t.Fatal(err)
	}
	if got := must(c.GetSetting(ctx, methods.GetSetting{Tid: e.ID, ID: "auto_full_compile"}))(t); got.Value != long {
		t.Errorf("the large setting came back changed: %d characters", len(fmt.Sprint(got.Value)))
	}
	if len(encodings) != 3 || encodings[0] != "" || encodings[2] != "gzip" {
		t.Errorf("Content-Encoding of the POSTs: %q; want only the large one (the third) gzipped", encodings)
	}
}
