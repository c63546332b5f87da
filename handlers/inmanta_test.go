package handlers_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

// api talks to a reference server on loopback, backed by a real database.
type api struct {
	t       *testing.T
	base    string
	checked *atomic.Int64 // answers checked against the OpenAPI document
}

func start(t *testing.T, db *data.DB) *api {
	t.Helper()
	srv, err := handlers.NewServer(db, nil, server.WithLogger(slog.New(slog.DiscardHandler)),
		server.WithContractViolations(func(method string, err *protocol.Error) {
			t.Errorf("%s returned the named error %s, which it does not declare", method, err.Name)
		}))
	if err != nil {
		t.Fatal(err)
	}
	v := newValidating(t, srv, func(msg string) { t.Error(msg) })
	ts := httptest.NewServer(v)
	t.Cleanup(ts.Close)
	return &api{t: t, base: ts.URL, checked: v.checked}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; body is sent as JSON unless it is empty. headers are
// name, value pairs.
func (a *api) do(method, path, body string, headers ...string) answer {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// ok sends a request that must succeed with 200 and decodes its reply.
func (a *api) ok(method, path, body string, headers ...string) map[string]any {
	a.t.Helper()
	r := a.do(method, path, body, headers...)
	if r.status != 200 {
		a.t.Fatalf("%s %s: status %d: %s", method, path, r.status, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		a.t.Fatalf("%s %s: reply is not a JSON object: %s", method, path, r.body)
	}
	return m
}

// fails sends a request that must fail with status, in Inmanta's error
// shape, with a message containing want.
func (a *api) fails(status int, want, method, path, body string, headers ...string) {
	a.t.Helper()
	r := a.do(method, path, body, headers...)
	if r.status != status {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.body)
	}
	var e struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Message == "" {
		a.t.Fatalf("%s %s: not an Inmanta error body: %s", method, path, r.body)
	}
	if !strings.Contains(e.Message, want) {
		a.t.Errorf("%s %s: message %q does not contain %q", method, path, e.Message, want)
	}
}

func str(v any) string { s, _ := v.(string); return s }

func obj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is not an object", v)
	}
	return m
}

func list(t *testing.T, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	return l
}

func TestInmantaV1(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := start(t, db)

		// Projects.
		p := obj(t, a.ok("PUT", "/api/v1/project", `{"name":"zeta"}`)["project"])
		pid := str(p["id"])
		if p["name"] != "zeta" || len(list(t, p["environments"])) != 0 {
			t.Errorf("created project %v", p)
		}
		chosen := uuid.NewString()
		a.ok("PUT", "/api/v1/project", `{"name":"alpha","project_id":"`+chosen+`"}`)
		a.fails(409, "Request conflicts with the current state of the resource", "PUT", "/api/v1/project", `{"name":"zeta"}`)
		a.fails(409, "zeta", "PUT", "/api/v1/project", `{"name":"zeta"}`)

		projects := list(t, a.ok("GET", "/api/v1/project", "")["projects"])
		if len(projects) != 2 || obj(t, projects[0])["name"] != "alpha" || obj(t, projects[1])["id"] != pid {
			t.Errorf("projects not listed by name: %v", projects)
		}
		renamed := obj(t, a.ok("POST", "/api/v1/project/"+pid, `{"name":"omega"}`)["project"])
		if renamed["name"] != "omega" {
			t.Errorf("renamed project %v", renamed)
		}
		a.fails(409, "alpha", "POST", "/api/v1/project/"+pid, `{"name":"alpha"}`)

		// Environments.
		env := obj(t, a.ok("PUT", "/api/v1/environment", `{"project_id":"`+pid+`","name":"dev","repository":"https://git/x","branch":"main"}`)["environment"])
		eid := str(env["id"])
		if env["project"] != pid || env["repo_url"] != "https://git/x" || env["repo_branch"] != "main" {
			t.Errorf("created environment %v", env)
		}
		a.ok("PUT", "/api/v1/environment", `{"project_id":"`+chosen+`","name":"dev"}`) // same name, other project
		a.fails(409, "dev", "PUT", "/api/v1/environment", `{"project_id":"`+pid+`","name":"dev"}`)
		a.fails(404, "Request or referenced resource does not exist", "PUT", "/api/v1/environment", `{"project_id":"`+uuid.NewString()+`","name":"x"}`)

		got := obj(t, a.ok("GET", "/api/v1/project/"+pid, "")["project"])
		if envs := list(t, got["environments"]); len(envs) != 1 || envs[0] != eid {
			t.Errorf("project's environments %v, want [%s]", envs, eid)
		}
		mod := obj(t, a.ok("POST", "/api/v1/environment/"+eid, `{"name":"prod","branch":"release"}`)["environment"])
		if mod["name"] != "prod" || mod["repo_branch"] != "release" || mod["repo_url"] != "https://git/x" {
			t.Errorf("modified environment %v", mod)
		}
		if envs := list(t, a.ok("GET", "/api/v1/environment", "")["environments"]); len(envs) != 2 {
			t.Errorf("%d environments listed, want 2", len(envs))
		}

		// Deleting a project that still has environments names them.
		a.fails(409, "prod", "DELETE", "/api/v1/project/"+pid, "")

		// Settings, by the X-Inmanta-tid header.
		tid := []string{"X-Inmanta-tid", eid}
		r := a.do("GET", "/api/v1/environment_settings", "", tid...)
		if r.status != 200 || r.header.Get("X-Inmanta-tid") != eid {
			t.Fatalf("list settings: status %d, X-Inmanta-tid %q: %s", r.status, r.header.Get("X-Inmanta-tid"), r.body)
		}
		s := a.ok("GET", "/api/v1/environment_settings/auto_deploy", "", tid...)
		if s["value"] != true || obj(t, obj(t, s["metadata"])["auto_deploy"])["type"] != "bool" {
			t.Errorf("default of auto_deploy: %v", s)
		}
		a.ok("POST", "/api/v1/environment_settings/auto_deploy", `{"value":false}`, tid...)
		a.ok("POST", "/api/v1/environment_settings/resource_action_logs_retention", `{"value":"30"}`, tid...)
		if v := a.ok("GET", "/api/v1/environment_settings/auto_deploy", "", tid...)["value"]; v != false {
			t.Errorf("auto_deploy after set: %v", v)
		}
		settings := obj(t, a.ok("GET", "/api/v1/environment_settings", "", tid...)["settings"])
		if settings["auto_deploy"] != false || settings["resource_action_logs_retention"] != 30.0 {
			t.Errorf("settings %v", settings)
		}
		if es := obj(t, obj(t, a.ok("GET", "/api/v1/environment/"+eid, "")["environment"])["settings"]); es["auto_deploy"] != false {
			t.Errorf("environment's settings %v", es)
		}
		a.ok("DELETE", "/api/v1/environment_settings/auto_deploy", "", tid...)
		if v := a.ok("GET", "/api/v1/environment_settings/auto_deploy", "", tid...)["value"]; v != true {
			t.Errorf("auto_deploy after delete: %v, want the default true", v)
		}
		a.fails(400, "no_such_setting", "POST", "/api/v1/environment_settings/no_such_setting", `{"value":1}`, tid...)
		a.fails(404, "no_such_setting", "GET", "/api/v1/environment_settings/no_such_setting", "", tid...)
		a.fails(400, "auto_deploy takes a boolean", "POST", "/api/v1/environment_settings/auto_deploy", `{"value":"often"}`, tid...)
		a.fails(400, "Invalid value. resource_action_logs_retention takes an integer", "POST", "/api/v1/environment_settings/resource_action_logs_retention", `{"value":1.5}`, tid...)
		a.fails(400, "Invalid request: Field 'tid' is required.", "GET", "/api/v1/environment_settings", "")
		a.fails(400, "not a valid UUID", "GET", "/api/v1/environment_settings", "", "X-Inmanta-tid", "nope")
		a.fails(404, "The given environment id does not exist!", "GET", "/api/v1/environment_settings", "", "X-Inmanta-tid", uuid.NewString())

		// Deleting an environment removes its settings with it.
		a.ok("POST", "/api/v1/environment_settings/auto_deploy", `{"value":false}`, tid...)
		a.ok("DELETE", "/api/v1/environment/"+eid, "")
		a.fails(404, "environment", "GET", "/api/v1/environment/"+eid, "")
		if left, err := db.Settings(t.Context(), uuid.MustParse(eid)); err != nil || len(left) != 0 {
			t.Errorf("settings left after the environment was deleted: %v %v", left, err)
		}
		a.ok("DELETE", "/api/v1/project/"+pid, "")
		a.fails(404, "The project with given id does not exist.", "GET", "/api/v1/project/"+pid, "")
		a.fails(404, "does not exist", "DELETE", "/api/v1/project/"+pid, "")
		if n := a.checked.Load(); n < 35 {
			t.Errorf("only %d answers were checked against the OpenAPI document", n)
		}
	})
}

func TestInmantaV2(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := start(t, db)
		p := obj(t, a.ok("PUT", "/api/v2/project", `{"name":"p"}`)["data"])
		pid := str(p["id"])
		env := obj(t, a.ok("PUT", "/api/v2/environment", `{"project_id":"`+pid+`","name":"e","description":"d","icon":"data:x"}`)["data"])
		eid := str(env["id"])
		if env["project_id"] != pid || env["description"] != "d" || env["icon"] != "data:x" || env["halted"] != false {
			t.Errorf("created environment %v", env)
		}
		a.fails(400, "description", "PUT", "/api/v2/environment", `{"project_id":"`+pid+`","name":"f","description":"`+strings.Repeat("x", 256)+`"}`)

		plain := obj(t, list(t, obj(t, a.ok("GET", "/api/v2/project/"+pid, "")["data"])["environments"])[0])
		if plain["description"] != "" || plain["icon"] != "" {
			t.Errorf("environment without details has description/icon: %v", plain)
		}
		detailed := obj(t, list(t, obj(t, a.ok("GET", "/api/v2/project/"+pid+"?environment_details=true", "")["data"])["environments"])[0])
		if detailed["description"] != "d" {
			t.Errorf("environment with details: %v", detailed)
		}
		if l := list(t, a.ok("GET", "/api/v2/project", "")["data"]); len(l) != 1 {
			t.Errorf("project list %v", l)
		}
		if l := list(t, a.ok("GET", "/api/v2/environment?details=true", "")["data"]); len(l) != 1 || obj(t, l[0])["icon"] != "data:x" {
			t.Errorf("environment list %v", l)
		}
		mod := obj(t, a.ok("POST", "/api/v2/environment/"+eid, `{"name":"e2","description":"new"}`)["data"])
		if mod["name"] != "e2" || mod["description"] != "new" || mod["icon"] != "data:x" {
			t.Errorf("modified environment %v", mod)
		}
		a.fails(404, "does not exist", "POST", "/api/v2/environment/"+eid, `{"name":"e3","project_id":"`+uuid.NewString()+`"}`)
		a.fails(409, "e2", "DELETE", "/api/v2/project/"+pid, "")
		a.ok("DELETE", "/api/v2/environment/"+eid, "")
		a.ok("DELETE", "/api/v2/project/"+pid, "")
		a.fails(404, "does not exist", "GET", "/api/v2/project/"+pid, "")
	})
}

// Inmanta's own protocol behaviours, pinned.
func TestInmantaProtocolBehaviours(t *testing.T) {
	a := start(t, datatest.SQLite(t))
	pid := str(obj(t, a.ok("PUT", "/api/v1/project", `{"name":"p"}`)["project"])["id"])
	eid := str(obj(t, a.ok("PUT", "/api/v1/environment", `{"project_id":"`+pid+`","name":"e"}`)["environment"])["id"])

	a.fails(400, "could not be decoded as JSON", "PUT", "/api/v1/project", `{"name": "x"`)
	a.fails(400, "Invalid request", "GET", "/api/v1/project/not-a-uuid", "")
	a.fails(400, "body.colour: unknown field", "PUT", "/api/v1/project", `{"name":"x","colour":"red"}`)
	a.fails(400, "expected a string, got number", "PUT", "/api/v1/project", `{"name":5}`)
	a.fails(400, "Field 'name' is required.", "PUT", "/api/v1/project", `{}`)
	a.fails(405, "DELETE is not allowed", "DELETE", "/api/v1/project", "")

	// A header argument given in the body must agree with the header.
	a.ok("POST", "/api/v1/environment_settings/auto_deploy", `{"value":true,"tid":"`+eid+`"}`)
	a.fails(400, "differs", "POST", "/api/v1/environment_settings/auto_deploy", `{"value":true,"tid":"`+uuid.NewString()+`"}`, "X-Inmanta-tid", eid)

	// A validation failure lists every failing field, in Inmanta's shape.
	r := a.do("PUT", "/api/v2/environment", `{"project_id":"nope","name":"","description":"`+strings.Repeat("x", 300)+`"}`)
	var body struct {
		Message      string `json:"message"`
		ErrorDetails struct {
			ValidationErrors []struct {
				Loc []string `json:"loc"`
				Msg string   `json:"msg"`
			} `json:"validation_errors"`
		} `json:"error_details"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || r.status != 400 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if n := len(body.ErrorDetails.ValidationErrors); n != 1 || body.ErrorDetails.ValidationErrors[0].Loc[1] != "project_id" {
		t.Errorf("decoding errors come first and alone: %s", r.body)
	}
	r = a.do("PUT", "/api/v2/environment", `{"project_id":"`+pid+`","name":"","description":"`+strings.Repeat("x", 300)+`"}`)
	if err := json.Unmarshal(r.body, &body); err != nil || r.status != 400 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var locs []string
	for _, v := range body.ErrorDetails.ValidationErrors {
		locs = append(locs, strings.Join(v.Loc, "."))
	}
	if strings.Join(locs, ",") != "body.name,body.description" {
		t.Errorf("validation errors at %v, want body.name and body.description", locs)
	}
	if !strings.HasPrefix(body.Message, "Invalid request: ") {
		t.Errorf("message %q lacks Inmanta's prefix", body.Message)
	}
}
