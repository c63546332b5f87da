package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
)

func TestTokenMethodsAndRevocation(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		setup := start(t, db)
		pid := str(obj(t, setup.ok("PUT", "/api/v1/project", `{"name":"p"}`)["project"])["id"])
		env := str(obj(t, setup.ok("PUT", "/api/v1/environment", `{"project_id":"`+pid+`","name":"e"}`)["environment"])["id"])
		other := str(obj(t, setup.ok("PUT", "/api/v1/environment", `{"project_id":"`+pid+`","name":"f"}`)["environment"])["id"])
		setup.fails(503, "without a token secret", "POST", "/api/v1/environment_auth", `{"client_types":["api"]}`, "X-Inmanta-tid", env)

		// Two replicas on one database.
		authn := newAuthn(t, testSecret, "tagrpc")
		a := startAuth(t, db, authn)
		b := startAuth(t, db, newAuthn(t, testSecret, "tagrpc"))
		admin := "Bearer " + issue(t, authn, "api", "", 0)
		tid := []string{"X-Inmanta-tid", env, "Authorization", admin}

		first := str(a.ok("POST", "/api/v1/environment_auth", `{"client_types":["agent"]}`, tid...)["token"])
		again := str(a.ok("POST", "/api/v1/environment_auth", `{"client_types":["agent"],"idempotent":true}`, tid...)["token"])
		if first == "" || first != again {
			t.Errorf("idempotent tokens differ: %q and %q", first, again)
		}
		fresh1 := str(a.ok("POST", "/api/v2/environment_auth", `{"client_types":["agent","api"],"idempotent":false}`, tid...)["data"])
		fresh2 := str(a.ok("POST", "/api/v2/environment_auth", `{"client_types":["agent","api"],"idempotent":false}`, tid...)["data"])
		if fresh1 == fresh2 {
			t.Error("two non-idempotent tokens are equal")
		}
		a.fails(400, "client_types", "POST", "/api/v1/environment_auth", `{"client_types":["root"]}`, tid...)

		tokens := list(t, a.ok("GET", "/api/v2/environment_auth", "", tid...)["data"])
		if len(tokens) != 3 {
			t.Fatalf("%d tokens listed, want 3: %v", len(tokens), tokens)
		}
		jti := str(obj(t, tokens[1])["id"])

		agent := func(token string) []string { return []string{"X-Inmanta-tid", env, "Authorization", "Bearer " + token} }
		for _, replica := range []*api{a, b} {
			replica.ok("GET", "/api/v1/environment_settings", "", agent(fresh1)...)
			replica.fails(403, "limited to environment", "GET", "/api/v1/environment_settings", "", "X-Inmanta-tid", other, "Authorization", "Bearer "+fresh1)
		}
		a.fails(404, "no token with id", "DELETE", "/api/v2/environment_auth/"+jti, "", "X-Inmanta-tid", other, "Authorization", admin)
		a.ok("DELETE", "/api/v2/environment_auth/"+jti, "", tid...)

		// The replica that revoked refuses at once; the other within its
		// revocation cache (one second).
		a.fails(401, "revoked", "GET", "/api/v1/environment_settings", "", agent(fresh1)...)
		deadline := time.Now().Add(3 * time.Second)
		for {
			r := b.do("GET", "/api/v1/environment_settings", "", agent(fresh1)...)
			if r.status == 401 && strings.Contains(string(r.body), "revoked") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other replica still accepts the revoked token: %d %s", r.status, r.body)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The others still work.
		a.ok("GET", "/api/v1/environment_settings", "", agent(fresh2)...)
		if revoked := obj(t, tokens[1])["revoked_at"]; revoked != nil {
			t.Errorf("listed before revoking, yet revoked_at = %v", revoked)
		}
		after := list(t, a.ok("GET", "/api/v2/environment_auth", "", tid...)["data"])
		if obj(t, after[1])["revoked_at"] == nil {
			t.Error("the revoked token is not listed as revoked")
		}
	})
}
