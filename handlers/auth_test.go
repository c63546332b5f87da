package handlers_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/protocol/jwtauth"
	"github.com/tagrpc/tagrpc/server"
)

const testSecret = "0123456789abcdef0123456789abcdef-test"

func newAuthn(t *testing.T, secret, issuer string) *jwtauth.Authenticator {
	t.Helper()
	a, err := jwtauth.New(jwtauth.Config{Secret: []byte(secret), Issuer: issuer})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func issue(t *testing.T, a *jwtauth.Authenticator, types string, env string, ttl time.Duration) string {
	t.Helper()
	tok, _, err := a.Issue("tester", strings.Split(types, ","), env, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// startAuth serves the reference server with authentication on; setup
// runs before, unauthenticated, on the same database.
func startAuth(t *testing.T, db *data.DB, authn *jwtauth.Authenticator) *api {
	t.Helper()
	srv, err := handlers.NewServer(db, authn, server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(newValidating(t, srv, func(msg string) { t.Error(msg) }))
	t.Cleanup(ts.Close)
	return &api{t: t, base: ts.URL}
}

func TestAuthMatrix(t *testing.T) {
	db := datatest.SQLite(t)
	setup := start(t, db)
	pid := str(obj(t, setup.ok("PUT", "/api/v1/project", `{"name":"p"}`)["project"])["id"])
	env := str(obj(t, setup.ok("PUT", "/api/v1/environment", `{"project_id":"`+pid+`","name":"e"}`)["environment"])["id"])
	other := str(obj(t, setup.ok("PUT", "/api/v1/environment", `{"project_id":"`+pid+`","name":"f"}`)["environment"])["id"])

	authn := newAuthn(t, testSecret, "tagrpc")
	a := startAuth(t, db, authn)
	tokens := map[string]string{
		"none":             "",
		"malformed":        "Bearer not.a.jwt",
		"not bearer":       "Basic dXNlcjpwYXNz",
		"bad signature":    "Bearer " + issue(t, newAuthn(t, "another-secret-of-at-least-32-bytes!", "tagrpc"), "api", "", 0),
		"wrong issuer":     "Bearer " + issue(t, newAuthn(t, testSecret, "someone-else"), "api", "", 0),
		"expired":          "Bearer " + issue(t, authn, "api", "", -time.Hour),
		"api":              "Bearer " + issue(t, authn, "api", "", time.Hour),
		"agent":            "Bearer " + issue(t, authn, "agent", "", 0),
		"compiler":         "Bearer " + issue(t, authn, "compiler", "", 0),
		"api for this env": "Bearer " + issue(t, authn, "api", env, 0),
		"api for another":  "Bearer " + issue(t, authn, "api", other, 0),
	}
	type call struct{ method, path string }
	var (
		getProject  = call{"GET", "/api/v1/project/" + pid}                   // client_types api
		listSetting = call{"GET", "/api/v1/environment_settings"}             // api, agent, compiler
		getSetting  = call{"GET", "/api/v1/environment_settings/auto_deploy"} // api, agent
	)
	tests := []struct {
		token  string
		call   call
		status int
		says   string
	}{
		{"none", getProject, 401, "no credentials"},
		{"malformed", getProject, 401, "malformed"},
		{"not bearer", getProject, 401, "not Bearer"},
		{"bad signature", getProject, 401, "signature"},
		{"wrong issuer", getProject, 401, "not issued by this server"},
		{"expired", getProject, 401, "expired"},
		{"api", getProject, 200, ""},
		{"agent", getProject, 403, "client types api"},
		{"compiler", getProject, 403, "client types api"},
		{"agent", listSetting, 200, ""},
		{"compiler", listSetting, 200, ""},
		{"compiler", getSetting, 403, "api, agent"},
		{"agent", getSetting, 200, ""},
		{"api for this env", listSetting, 200, ""},
		{"api for this env", getProject, 200, ""}, // names no environment
		{"api for another", listSetting, 403, "limited to environment " + other},
		{"api for another", getSetting, 403, "limited to environment"},
	}
	for _, tt := range tests {
		t.Run(tt.token+" "+tt.call.method+" "+tt.call.path, func(t *testing.T) {
			headers := []string{"X-Inmanta-tid", env}
			if tok := tokens[tt.token]; tok != "" {
				headers = append(headers, "Authorization", tok)
			}
			r := a.do(tt.call.method, tt.call.path, "", headers...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status == 401 && r.header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("a 401 without WWW-Authenticate: Bearer")
			}
			if !strings.Contains(string(r.body), tt.says) {
				t.Errorf("body %s does not say %q", r.body, tt.says)
			}
		})
	}

	// The documentation needs no token.
	for _, path := range []string{"/openapi.json", "/docs/index.html"} {
		if r := a.do("GET", path, ""); r.status != 200 {
			t.Errorf("GET %s with authentication on: %d", path, r.status)
		}
	}
}

func TestUnknownClientTypeIsARegistrationError(t *testing.T) {
	authn := newAuthn(t, testSecret, "tagrpc")
	auth := handlers.Auth(authn)
	auth.ClientTypes = []string{"api", "agent"} // compiler is missing
	_, err := handlers.NewServer(datatest.SQLite(t), nil, server.WithAuth(auth))
	if err == nil || !strings.Contains(err.Error(), `client type "compiler"`) || !strings.Contains(err.Error(), "ListSettings") {
		t.Errorf("error %v, want one naming the method and the client type", err)
	}
}
