package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tagrpc/tagrpc/client"
	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
)

// mobyleWorld is a server with an administrator, a project owner, a
// manager, a contributor, a watcher and an outsider; a private project P
// with those members, a public project Q, and services of the server, of
// P and of Q.
type mobyleWorld struct {
	*api
	token       map[string]string // caller -> bearer token
	id          map[string]string // caller -> user id
	p, q        string            // project ids
	pSvc, qSvc  string            // their services' full names
	serverLevel string
}

func (w *mobyleWorld) as(caller string) []string {
	switch caller {
	case "anonymous":
		return nil
	case "admin in admin mode":
		return []string{"Authorization", "Bearer " + w.token["admin"], methods.MobyleAdminModeHeader, "true"}
	}
	return []string{"Authorization", "Bearer " + w.token[caller]}
}

func newMobyleWorld(t *testing.T, db *data.DB) *mobyleWorld {
	w := &mobyleWorld{api: start(t, db), token: map[string]string{}, id: map[string]string{}}
	// The first user may be created by anyone: the first administrator.
	admin := obj(t, w.ok("POST", "/api/v2/mobyle/user", `{"email":"admin@example.org","is_admin":true}`)["data"])
	w.token["admin"], w.id["admin"] = str(admin["token"]), str(admin["id"])
	for _, name := range []string{"owner", "manager", "contributor", "watcher", "outsider"} {
		u := obj(t, w.ok("POST", "/api/v2/mobyle/user", `{"email":"`+name+`@example.org","groups":["g1"]}`, w.as("admin in admin mode")...)["data"])
		w.token[name], w.id[name] = str(u["token"]), str(u["id"])
	}
	w.p = str(obj(t, w.ok("POST", "/api/v2/mobyle/project", `{"name":"private"}`, w.as("owner")...)["data"])["id"])
	w.q = str(obj(t, w.ok("POST", "/api/v2/mobyle/project", `{"name":"public","public":true}`, w.as("owner")...)["data"])["id"])
	for _, role := range []string{"manager", "contributor", "watcher"} {
		w.ok("POST", "/api/v2/mobyle/project/"+w.p+"/member", `{"user_id":"`+w.id[role]+`","role":"`+role+`"}`, w.as("owner")...)
	}
	admin2 := w.as("admin in admin mode")
	w.ok("POST", "/api/v2/mobyle/server", `{"name":"s1","url":"https://s1.example"}`, admin2...)
	w.ok("POST", "/api/v2/mobyle/service", `{"name":"blast","server":"s1","type":"program","exported":true}`, admin2...)
	w.ok("POST", "/api/v2/mobyle/service", `{"name":"align","server":"s1","type":"workflow","project":"`+w.p+`"}`, admin2...)
	w.ok("POST", "/api/v2/mobyle/service", `{"name":"plot","server":"s1","type":"widget","project":"`+w.q+`","disabled":true}`, admin2...)
	w.serverLevel, w.pSvc, w.qSvc = "blast::::s1", "align::"+w.p+"::s1", "plot::"+w.q+"::s1"
	return w
}

var mobyleCallers = []string{"anonymous", "outsider", "watcher", "contributor", "manager", "owner", "admin", "admin in admin mode"}

func TestMobyleAccessRules(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		w := newMobyleWorld(t, db)
		members := map[string]bool{"watcher": true, "contributor": true, "manager": true, "owner": true, "admin in admin mode": true}
		editors := map[string]bool{"contributor": true, "manager": true, "owner": true, "admin in admin mode": true}
		// status is 200 when allowed, else 401 for anonymous and 403 for the others.
		status := func(caller string, allowed bool) int {
			switch {
			case allowed:
				return 200
			case caller == "anonymous":
				return 401
			}
			return 403
		}
		keys := func(path, caller string) string {
			var out []string
			for k := range w.ok("GET", path, "", w.as(caller)...) {
				out = append(out, k)
			}
			slices.Sort(out)
			return strings.Join(out, " ")
		}
		both, onlyQ := strings.Join(slices.Sorted(slices.Values([]string{w.p, w.q})), " "), w.q
		allServices := strings.Join(slices.Sorted(slices.Values([]string{w.serverLevel, w.pSvc, w.qSvc})), " ")
		publicServices := strings.Join(slices.Sorted(slices.Values([]string{w.serverLevel, w.qSvc})), " ")
		for i, caller := range mobyleCallers {
			t.Run(caller, func(t *testing.T) {
				m, e, self := members[caller], editors[caller], caller == "outsider"
				adminMode := caller == "admin in admin mode"
				// Lists hold exactly what the caller may read.
				if got, want := keys("/projects", caller), map[bool]string{true: both, false: onlyQ}[m]; got != want {
					t.Errorf("projects: %q, want %q", got, want)
				}
				if got, want := keys("/services/", caller), map[bool]string{true: allServices, false: publicServices}[m]; got != want {
					t.Errorf("services: %q, want %q", got, want)
				}
				for _, tc := range []struct {
					what, method, path, body string
					want                     int
				}{
					{"read the private project", "GET", "/projects/" + w.p, "", status(caller, m)},
					{"read the public project", "GET", "/projects/" + w.q, "", 200},
					{"read the private project's service", "GET", "/services/" + w.pSvc, "", status(caller, m)},
					{"read a server-level service", "GET", "/services/" + w.serverLevel, "", 200},
					{"list the users", "GET", "/users/", "", status(caller, adminMode)},
					{"read the outsider", "GET", "/users/" + w.id["outsider"], "", status(caller, adminMode || self)},
					{"rename the private project", "POST", "/api/v2/mobyle/project/" + w.p, fmt.Sprintf(`{"name":"private-%d"}`, i), status(caller, e)},
					{"rename the public project", "POST", "/api/v2/mobyle/project/" + w.q, `{"name":"public"}`, status(caller, caller == "owner" || adminMode)},
					{"change a membership", "POST", "/api/v2/mobyle/project/" + w.p + "/member", `{"user_id":"` + w.id["watcher"] + `","role":"watcher"}`, status(caller, e)},
					{"change a server", "POST", "/api/v2/mobyle/server", `{"name":"s1","url":"https://s1.example"}`, status(caller, adminMode)},
					{"create a user", "POST", "/api/v2/mobyle/user", `{}`, status(caller, adminMode)},
				} {
					if r := w.do(tc.method, tc.path, tc.body, w.as(caller)...); r.status != tc.want {
						t.Errorf("%s: %d %s, want %d", tc.what, r.status, r.body, tc.want)
					}
				}
			})
		}
		// What members see of a project and of themselves.
		p := w.ok("GET", "/projects/"+w.p, "", w.as("watcher")...)
		if p["owner"] != w.id["owner"] || fmt.Sprint(p["managers"]) != "["+w.id["manager"]+"]" ||
			fmt.Sprint(p["watchers"]) != "["+w.id["watcher"]+"]" || fmt.Sprint(p["services"]) != "["+w.pSvc+"]" {
			t.Errorf("project as the watcher sees it: %v", p)
		}
		me := w.ok("GET", "/users/"+w.id["watcher"], "", w.as("watcher")...)
		if me["email"] != "watcher@example.org" || fmt.Sprint(me["projects"]) != "["+w.p+"]" || fmt.Sprint(me["groups"]) != "[g1]" {
			t.Errorf("the watcher's own record: %v", me)
		}
		// authorized is the caller's: enabled services, for active users;
		// anonymous callers run server-level services only.
		suspended := obj(t, w.ok("POST", "/api/v2/mobyle/user", `{"status":"suspended","status_message":"abuse"}`, w.as("admin in admin mode")...)["data"])
		w.token["suspended"] = str(suspended["token"])
		for _, tc := range []struct {
			caller, service string
			want            bool
		}{
			{"anonymous", w.serverLevel, true}, {"anonymous", w.qSvc, false},
			{"watcher", w.pSvc, true}, {"watcher", w.qSvc, false}, // plot is disabled
			{"suspended", w.serverLevel, false},
		} {
			if svc := w.ok("GET", "/services/"+tc.service, "", w.as(tc.caller)...); svc["authorized"] != tc.want {
				t.Errorf("%s on %s: authorized %v, want %v", tc.caller, tc.service, svc["authorized"], tc.want)
			}
		}
		if r := w.do("POST", "/api/v2/mobyle/project", `{"name":"x"}`); r.status != 401 {
			t.Errorf("an anonymous project: %d %s", r.status, r.body)
		}
		// The generated client, as an administrator in admin mode and as nobody:
		// eight users (six made above, one by the matrix, the suspended one).
		admin := client.New(w.base, client.WithBearerToken(w.token["admin"]), client.WithHeader(methods.MobyleAdminModeHeader, "true"))
		if users, err := admin.MobyleUsers(context.Background(), methods.MobyleUsers{}); err != nil || len(users) != 8 || users[w.id["owner"]].Email != "owner@example.org" {
			t.Errorf("users via the client: %d, %v", len(users), err)
		}
		if _, err := client.New(w.base).MobyleUsers(context.Background(), methods.MobyleUsers{}); !errors.Is(err, protocol.ErrUnauthorized) {
			t.Errorf("users via the client, anonymously: %v", err)
		}
		servers := w.ok("GET", "/servers/", "")
		if s1 := obj(t, servers["s1"]); s1["url"] != "https://s1.example" || fmt.Sprint(s1["services"]) != "[blast plot]" {
			t.Errorf("servers, anonymously: %v", servers)
		}
		for _, tc := range []struct {
			path   string
			status int
		}{{"/projects/nope", 404}, {"/users/nope", 404}, {"/servers/nope/", 404}, {"/services/nope::::s1", 404}, {"/services/not-a-fullname", 400}} {
			if r := w.do("GET", tc.path, "", w.as("admin in admin mode")...); r.status != tc.status {
				t.Errorf("%s: %d %s", tc.path, r.status, r.body)
			}
		}
	})
}
