package handlers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

const binderKey = "binder-test-key-0123456789"

// startBinder serves db with the Binder API key and runs a worker until
// the test ends.
func startBinder(t *testing.T, db *data.DB, cfg handlers.BinderConfig) *api {
	t.Helper()
	cfg.APIKey = binderKey
	srv, worker, err := handlers.NewServerWith(db, nil, handlers.Config{Binder: cfg}, server.WithLogger(slog.New(slog.DiscardHandler)),
		server.WithContractViolations(func(method string, err *protocol.Error) {
			t.Errorf("%s returned the named error %s, which it does not declare", method, err.Name)
		}))
	if err != nil {
		t.Fatal(err)
	}
	worker.Lease, worker.Poll = 2*time.Second, 20*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); worker.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	v := newValidating(t, srv, func(msg string) { t.Error(msg) })
	ts := httptest.NewServer(v)
	t.Cleanup(ts.Close)
	return &api{t: t, base: ts.URL, checked: v.checked}
}

// gitRepo makes a local repository with one commit.
func gitRepo(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "org", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("numpy\n"), 0o644)
	for _, args := range [][]string{
		{"init", "--quiet"}, {"add", "."},
		{"-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "first"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// binderError checks a Binder error reply: its status and exact body.
func (a *api) binderError(status int, typ, msg, method, path, body string, headers ...string) {
	a.t.Helper()
	r := a.do(method, path, body, headers...)
	want, _ := json.Marshal(map[string]string{"type": typ, "error": msg})
	var got, exp any
	json.Unmarshal(r.body, &got)
	json.Unmarshal(want, &exp)
	if r.status != status || !jsonEqual(got, exp) {
		a.t.Errorf("%s %s: %d %s, want %d %s", method, path, r.status, r.body, status, want)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// waitFor polls a JSON reply until cond holds.
func (a *api) waitFor(path string, cond func(map[string]any) bool, headers ...string) map[string]any {
	a.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := a.ok("GET", path, "", headers...)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%s never got there: %v", path, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBinderAPI(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed to build from repositories: install it (.ci/run does)")
	}
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := startBinder(t, db, handlers.BinderConfig{})
		key := []string{"Authorization", binderKey}
		repo := gitRepo(t, "notebooks")

		// Build from a local repository, by path and as a file:// URL.
		r := a.ok("POST", "/builds/", `{"repository":"`+repo+`"}`, key...)
		if r["name"] != "org-notebooks" {
			t.Fatalf("build name: %v", r)
		}
		b := a.waitFor("/builds/org-notebooks", func(b map[string]any) bool { return b["status"] != "running" })
		if b["status"] != "completed" || b["phase"] != "finished" || b["repository"] != repo || b["start-time"] == nil {
			t.Fatalf("build: %v", b)
		}
		a.ok("POST", "/builds/", `{"repository":"file://`+gitRepo(t, "other")+`","force":"true"}`, key...) // binder-client sends text
		a.waitFor("/builds/org-other", func(b map[string]any) bool { return b["status"] == "completed" })
		all := a.do("GET", "/builds/", "", key...)
		if all.status != 200 || strings.Count(string(all.body), `"name"`) != 2 {
			t.Errorf("all builds: %s", all.body)
		}

		// An unreachable repository fails the build, with the reason.
		a.ok("POST", "/builds/", `{"repository":"file:///nowhere/at/all"}`, key...)
		b = a.waitFor("/builds/at-all", func(b map[string]any) bool { return b["status"] != "running" })
		if b["status"] != "failed" || !strings.Contains(str(b["reason"]), "cannot fetch file:///nowhere/at/all") {
			t.Errorf("unreachable repository: %v", b)
		}

		// The registry.
		tpl := a.ok("GET", "/templates/org-notebooks", "", key...)
		if tpl["name"] != "org-notebooks" || !strings.HasPrefix(str(tpl["image-source"]), "tagrpc/org-notebooks@") || tpl["port"] != 8888.0 || tpl["time-created"] == nil || tpl["time-modified"] == nil {
			t.Errorf("template: %v", tpl)
		}
		if all := a.do("GET", "/templates/", "", key...); strings.Count(string(all.body), `"image-source"`) != 2 {
			t.Errorf("all templates: %s", all.body)
		}

		// Deployments and preloading.
		d := a.ok("POST", "/applications/", `{"template-name":"org-notebooks","cull-timeout":"60"}`)
		id := str(d["id"])
		app := a.waitFor("/applications/org-notebooks/"+id, func(x map[string]any) bool { return x["status"] != "deploying" })
		if app["status"] != "running" || app["location"] != "http://127.0.0.1:8888/org-notebooks/"+id+"/" {
			t.Errorf("deployment: %v", app)
		}
		if apps := a.do("GET", "/applications/org-notebooks", "", key...); !strings.Contains(string(apps.body), id) {
			t.Errorf("deployments: %s", apps.body)
		}
		if p := a.ok("POST", "/preload/org-notebooks", "", key...); p["status"] != "completed" {
			t.Errorf("preload: %v", p)
		}
		if p := a.ok("GET", "/preload/org-notebooks", "", key...); p["name"] != "org-notebooks" {
			t.Errorf("preload status: %v", p)
		}
		if h := a.do("GET", "/health/", "", key...); h.status != 200 || strings.Count(string(h.body), `"online"`) != 4 {
			t.Errorf("health: %s", h.body)
		}

		// The named errors, in Binder's shape.
		a.binderError(404, "doesNotExist", "The requested resource does not exist", "GET", "/templates/nope", "", key...)
		a.binderError(500, "noBuildInfo", "Could not get build information for requested image", "GET", "/builds/nope", "")
		a.binderError(500, "badRepoSource", "Unsupported repo source", "POST", "/builds/", `{"repository":"ftp://x/y"}`, key...)
		a.binderError(500, "registryError", "Could not fetch template with name nope from registry", "POST", "/applications/", `{"template-name":"nope"}`)
		a.binderError(500, "noRecord", "There is no record for that template/ID combination", "GET", "/applications/org-notebooks/nope", "")
		a.binderError(500, "registryError", "Could not fetch the template to preload from the registry", "POST", "/preload/nope", "", key...)
		a.binderError(404, "doesNotExist", "The requested resource does not exist", "GET", "/preload/org-other", "", key...)
	})
}

func TestBinderRefusals(t *testing.T) {
	db := datatest.SQLite(t)
	blocked := make(chan struct{})
	a := startBinder(t, db, handlers.BinderConfig{Builds: blockingBuilder{release: blocked}})
	defer close(blocked)
	key := []string{"Authorization", binderKey}
	unauthorized := func(method, path, body string, headers ...string) {
		a.binderError(403, "unauthorized", "Unauthorized request", method, path, body, headers...)
	}
	unauthorized("GET", "/templates/", "")
	unauthorized("GET", "/templates/", "", "Authorization", strings.Repeat("x", len(binderKey))) // same length, wrong
	unauthorized("GET", "/templates/", "", "Authorization", "Bearer "+binderKey)
	unauthorized("POST", "/builds/", `{"repository":"/a/b"}`)
	unauthorized("GET", "/health/", "")

	// A missing required parameter is malformedRequest, and the handle
	// does not run: no build is recorded.
	a.binderError(422, "malformedRequest", "Request does not contain the required parameters for this endpoint: repository", "POST", "/builds/", `{}`, key...)
	a.binderError(422, "malformedRequest", "Request does not contain the required parameters for this endpoint: template-name", "POST", "/applications/", `{"cull-timeout":5}`)
	if all := a.do("GET", "/builds/", "", key...); string(all.body) != "[]\n" {
		t.Errorf("a refused build was recorded: %s", all.body)
	}

	// A second start of a running build is refused unless forced.
	a.ok("POST", "/builds/", `{"repository":"/a/slow"}`, key...)
	a.binderError(500, "alreadyBuilding", "Already building the image", "POST", "/builds/", `{"repository":"/a/slow"}`, key...)
	a.ok("POST", "/builds/", `{"repository":"/a/slow","force":true}`, key...)
}

// blockingBuilder builds nothing until released or stopped.
type blockingBuilder struct{ release chan struct{} }

func (b blockingBuilder) Build(ctx context.Context, _ data.Build, phase func(string)) (data.Template, error) {
	phase(data.PhaseBuilding)
	select {
	case <-ctx.Done():
		return data.Template{}, ctx.Err()
	case <-b.release:
		return data.Template{ImageSource: "released", Port: 1}, nil
	}
}

// A build in progress when its server stops is taken up again by the next
// one, and ends; it never stays running.
func TestBinderBuildSurvivesRestart(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		first, worker, err := handlers.NewServerWith(db, nil, handlers.Config{Binder: handlers.BinderConfig{APIKey: binderKey, Builds: blockingBuilder{release: make(chan struct{})}}},
			server.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		worker.Lease, worker.Poll = 500*time.Millisecond, 10*time.Millisecond
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); worker.Run(ctx) }()
		ts := httptest.NewServer(first)
		a := &api{t: t, base: ts.URL}
		a.ok("POST", "/builds/", `{"repository":"/org/restart"}`, "Authorization", binderKey)
		a.waitFor("/builds/org-restart", func(b map[string]any) bool { return b["phase"] == "building" })
		stop() // the server stops mid-build
		<-done
		ts.Close()

		b, err := db.Build(context.Background(), "org-restart")
		if err != nil || b.Status != data.BuildRunning {
			t.Fatalf("after the stop: %+v %v", b, err)
		}
		released := make(chan struct{})
		close(released)
		a = startBinder(t, db, handlers.BinderConfig{Builds: blockingBuilder{release: released}})
		b2 := a.waitFor("/builds/org-restart", func(b map[string]any) bool { return b["status"] != "running" })
		if b2["status"] != "completed" {
			t.Errorf("after the restart: %v", b2)
		}
		if got, _ := db.Build(context.Background(), "org-restart"); got.Attempts != 2 {
			t.Errorf("attempts %d, want 2 (one per server)", got.Attempts)
		}
	})
}
