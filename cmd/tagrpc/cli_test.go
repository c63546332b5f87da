package main_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/server"
)

// The command line is tested as its users run it: the built binary, against
// a live server on a real database.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tagrpc-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tagrpc")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// tagrpc runs the binary against url with the given arguments.
func tagrpc(t *testing.T, url string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "TAGRPC_URL="+url, "TAGRPC_TOKEN=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}
}

func liveServer(t *testing.T) string {
	t.Helper()
	srv, err := handlers.NewServer(datatest.SQLite(t), nil, server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

func (r result) must(t *testing.T, code int, stdout, stderr string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stdout, stdout) || !strings.Contains(r.stderr, stderr) {
		t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout with %q, stderr with %q", r.code, code, r.stdout, r.stderr, stdout, stderr)
	}
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func TestCLICallsEveryGroup(t *testing.T) {
	url := liveServer(t)
	r := tagrpc(t, url, "inmanta-v1", "create-project", "--name", "cli")
	r.must(t, 0, `"name": "cli"`, "")
	project := uuidRE.FindString(r.stdout)

	tagrpc(t, url, "inmanta-v2", "environment-create", "--project-id", project, "--name", "dev", "--repository", "https://git/x").must(t, 0, `"name": "dev"`, "")
	tagrpc(t, url, "inmanta-v2", "project-list", "--output", "yaml").must(t, 0, "data:\n  - environments:", "")
	tagrpc(t, url, "inmanta-v2", "environment-list", "--limit", "1", "--filter", "project_id="+project, "-o", "table").must(t, 0, "NAME", "")

	tagrpc(t, url, "collections-admin", "collection-create", "--name", "things", "--project-id", project).
		must(t, 0, `"name": "things"`, "Created collection things")
	r = tagrpc(t, url, "collections-admin", "collection-token-create", "--project-id", project, "--kind", "run")
	r.must(t, 0, `"token": "tgc_`, "")
	token := regexp.MustCompile(`tgc_[A-Za-z0-9_-]+`).FindString(r.stdout)

	items := `{"key":"a:1","value":"1"}`
	tagrpc(t, url, "--token", token, "collections", "collection-put-items", "things", "--items", "["+items+`,{"key":"a:2","value":"2"},{"key":"b:1","value":"3"}]`).
		must(t, 0, `"upserted": 3`, "")
	itemsFile := filepath.Join(t.TempDir(), "items.json")
	os.WriteFile(itemsFile, []byte(`[{"key":"c:1","value":"4"}]`), 0o644)
	tagrpc(t, url, "--token", token, "collections", "collection-put-items", "things", "--items", "@"+itemsFile).must(t, 0, `"upserted": 1`, "")

	// A stream prints one item a line as it arrives, the cursor after.
	r = tagrpc(t, url, "--token", token, "collections", "collection-stream", "things", "--key", "a:*", "--limit", "1")
	r.must(t, 0, `{"key":"a:1","value":"1","created":`, `{"cursor":"`)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 1 {
		t.Errorf("streamed %d lines: %q", len(lines), r.stdout)
	}
	r = tagrpc(t, url, "--token", token, "collections", "collection-stream", "things")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); r.code != 0 || len(lines) != 4 {
		t.Errorf("full stream: exit %d, %q", r.code, r.stdout)
	}
}

func TestCLIFailures(t *testing.T) {
	url := liveServer(t)
	for _, tc := range []struct {
		name   string
		args   []string
		url    string
		code   int
		stderr string
	}{
		{"missing path argument", []string{"inmanta-v1", "get-project"}, url, 2, "get-project takes 1 path argument(s) (id), got 0"},
		{"bad path argument", []string{"inmanta-v1", "get-project", "nope"}, url, 2, `<id> "nope": not a valid UUID`},
		{"unknown flag", []string{"inmanta-v1", "list-projects", "--colour", "red"}, url, 2, "unknown flag: --colour"},
		{"required flag", []string{"inmanta-v1", "create-project"}, url, 2, `required flag(s) "name" not set`},
		{"bad output", []string{"-o", "xml", "inmanta-v1", "list-projects"}, url, 2, `--output "xml" is not json, yaml or table`},
		{"unknown command", []string{"inmanta-v9"}, url, 2, "unknown command"},
		{"not found, with suggestions", []string{"collections-admin", "collection-get", "nope"}, url, 3,
			"Getting collection nope\nError: the collection nope does not exist\n" +
				"  - Possible fix: list the collections with: tagrpc collections-admin collection-list\n" +
				"  - Possible fix: create it with: tagrpc collections-admin collection-create --name nope --project-id <project>\n"},
		{"validation", []string{"inmanta-v2", "project-create", "--name", ""}, url, 3, "Error: "},
		{"no token", []string{"collections", "collection-stream", "things"}, url, 3, "Error: Unauthorized"},
		{"binder, suggestions from the catalog", []string{"binder", "build-status", "nope"}, url, 4,
			"Getting status of build for image: nope\nError: Could not get build information for requested image\n" +
				"  - Possible fix: ensure that your build server is running and is accessible from this machine\n"},
		{"binder without the key", []string{"binder", "health-status"}, url, 3,
			"Error: Unauthorized request\n  - Possible fix: make sure to include a valid API token with any privileged requests\n"},
		{"connection refused", []string{"inmanta-v2", "project-list"}, "http://127.0.0.1:1", 5, "cannot reach the server at http://127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tagrpc(t, tc.url, tc.args...).must(t, tc.code, "", tc.stderr)
		})
	}
}

func TestCLICompletionAndHelp(t *testing.T) {
	tagrpc(t, "", "completion", "bash").must(t, 0, "bash completion", "")
	r := tagrpc(t, "", "inmanta-v1", "create-environment", "--help")
	r.must(t, 0, "Creates a new environment in a project.", "")
	for _, flag := range []string{"--project-id string", "--name string", "--repository string"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("help lacks %s:\n%s", flag, r.stdout)
		}
	}
}
