package handlers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/client"
	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

// recorder is a provider that keeps what it was given, to show bodies
// reach providers unchanged.
type recorder struct {
	handlers.AdhocProvider
	got []map[string]any
	ids []string
}

func (r *recorder) Handles(p string) bool { return p == "rec:x" }
func (r *recorder) List(context.Context, string) ([]methods.Integration, error) {
	return nil, nil
}
func (r *recorder) Get(context.Context, string, string) (methods.Integration, bool, error) {
	return methods.Integration{}, false, nil
}
func (r *recorder) Add(_ context.Context, _, provider string, fields map[string]any) (methods.Integration, error) {
	r.got = append(r.got, fields)
	return methods.Integration{UUID: "rec-1", Provider: provider, Name: "recorded"}, nil
}

// The recorder lets call_in_context reach Slow and Add2, and nothing else.
func (r *recorder) Callables() []string { return []string{"Slow", "Add2"} }

// Slow waits for its context, past any call's timeout.
func (r *recorder) Slow(ctx context.Context, _ struct{}) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}

// Add2 adds two integers.
func (r *recorder) Add2(_ context.Context, in struct {
	A int `json:"a"`
	B int `json:"b" validate:"min=0"`
}) (int, error) {
	return in.A + in.B, nil
}

// String is exported but not declared callable.
func (r *recorder) String() string { return "recorder" }

func (r *recorder) secret(context.Context, struct{}) (string, error) { return "s", nil }

// startBeaker serves db with a file provider and the recorder beside the
// adhoc one.
func startBeaker(t *testing.T, db *data.DB, rec *recorder) *api {
	t.Helper()
	file := filepath.Join(t.TempDir(), "catalogue.json")
	os.WriteFile(file, []byte(`[{"uuid":"f-1","name":"Census","datatype":"dataset","url":"https://census.example",
		"resources":{"r1":{"resource_type":"example","query":"population?","code":"load()"}}}]`), 0o644)
	fp, err := handlers.LoadFileProvider("file:catalogue", file)
	if err != nil {
		t.Fatal(err)
	}
	srv, _, err := handlers.NewServerWith(db, nil, handlers.Config{IntegrationProviders: []handlers.IntegrationProvider{fp, rec}, CallTimeout: 200 * time.Millisecond},
		server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	v := newValidating(t, srv, func(msg string) { t.Error(msg) })
	ts := httptest.NewServer(v)
	t.Cleanup(ts.Close)
	return &api{t: t, base: ts.URL, checked: v.checked}
}

func TestBeakerIntegrations(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := startBeaker(t, db, &recorder{})
		const base = "/beaker/integrations/s1"
		in := a.ok("POST", base+"/", `{"provider":"adhoc:specialists","name":"My API","datatype":"api","url":"https://api.example","description":"d","session_id":"other"}`)
		id := str(in["uuid"])
		if in["slug"] != "my_api" || in["provider"] != "adhoc:specialists" || in["last_updated"] == nil || len(obj(t, in["resources"])) != 0 {
			t.Fatalf("added: %v", in)
		}
		// The map is flattened across providers; other sessions see only the file's.
		all := obj(t, a.ok("GET", base, "")["integrations"])
		if len(all) != 2 || obj(t, all[id])["name"] != "My API" || obj(t, all["f-1"])["provider"] != "file:catalogue" {
			t.Errorf("session s1: %v", all)
		}
		if other := obj(t, a.ok("GET", "/beaker/integrations/s2", "")["integrations"]); len(other) != 1 {
			t.Errorf("session s2: %v", other)
		}
		if h := a.do("HEAD", base, ""); h.status != 200 || len(h.body) != 0 {
			t.Errorf("HEAD: %d %q", h.status, h.body)
		}
		// The path's id wins over the body's.
		up := a.ok("POST", base+"/"+id, `{"uuid":"forged","integration_id":"forged","name":"Renamed","img_url":"https://img"}`)
		if up["uuid"] != id || up["name"] != "Renamed" || up["slug"] != "renamed" || up["url"] != "https://api.example" {
			t.Errorf("updated: %v", up)
		}
		// Resources.
		f := a.ok("POST", base+"/"+id+"/file", `{"name":"readme","filepath":"/docs/README.md","content":"hello","resource_id":"forged"}`)
		ex := a.ok("POST", base+"/"+id+"/example", `{"query":"how many?","code":"count()","notes":"n"}`)
		fid, exid := str(f["resource_id"]), str(ex["resource_id"])
		if f["integration"] != id || f["resource_type"] != "file" || fid == "forged" || ex["query"] != "how many?" {
			t.Errorf("resources: %v %v", f, ex)
		}
		for typ, want := range map[string]int{"all": 2, "file": 1, "example": 1} {
			if rs := a.ok("GET", base+"/"+id+"/"+typ, "")["resources"].([]any); len(rs) != want {
				t.Errorf("%s resources: %v", typ, rs)
			}
		}
		if r := a.ok("GET", base+"/"+id+"/all/"+exid, ""); r["code"] != "count()" {
			t.Errorf("get resource: %v", r)
		}
		if r := a.ok("POST", base+"/"+id+"/file/"+fid, `{"content":"changed","integration":"forged"}`); r["content"] != "changed" || r["name"] != "readme" || r["integration"] != id {
			t.Errorf("update resource: %v", r)
		}
		if r := a.ok("DELETE", base+"/"+id+"/file/"+fid, ""); len(r) != 0 {
			t.Errorf("delete: %v", r)
		}
		if rs := a.ok("GET", base+"/"+id+"/all", "")["resources"].([]any); len(rs) != 1 {
			t.Errorf("after delete: %v", rs)
		}
		// The file's integrations are read, not written.
		if r := a.ok("GET", base+"/f-1/example/r1", ""); r["integration"] != "f-1" || r["query"] != "population?" {
			t.Errorf("file resource: %v", r)
		}

		for _, tc := range []struct {
			status             int
			method, path, body string
			want               string
		}{
			{404, "GET", base + "/nope", "", `no integration \"nope\" in session \"s1\"`},
			{404, "GET", "/beaker/integrations/s2/" + id, "", `no integration`},
			{404, "GET", base + "/" + id + "/file/" + fid, "", `has no file resource`},
			{404, "GET", base + "/" + id + "/file/" + exid, "", `has no file resource`},
			{404, "DELETE", base + "/" + id + "/file/" + fid, "", `has no file resource`},
			{404, "POST", base + "/", `{"provider":"cloud:x","name":"n","datatype":"api"}`, `no provider \"cloud:x\"`},
			{400, "GET", base + "/" + id + "/video", "", `path.resource_type`},
			{400, "POST", base + "/" + id + "/video", `{}`, `path.resource_type`},
			{422, "POST", base + "/", `{"name":"n"}`, `body.provider`},
			{422, "POST", base + "/", `{"provider":"adhoc:x","datatype":"api"}`, `field \"name\" is required`},
			{422, "POST", base + "/", `{"provider":"adhoc:x","name":"n","datatype":"video"}`, `must be api, database or dataset`},
			{422, "POST", base + "/", `{"provider":"adhoc:x","name":"n","datatype":"api","colour":"red"}`, `field \"colour\" is not one of`},
			{422, "POST", base + "/" + id + "/file", `{"name":"x"}`, `\"filepath\" is required`},
			{403, "POST", base + "/f-1", `{"name":"x"}`, `provider file:catalogue is read-only`},
			{403, "POST", base + "/f-1/example", `{"query":"q"}`, `read-only`},
		} {
			r := a.do(tc.method, tc.path, tc.body)
			if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
				t.Errorf("%s %s %s: %d %s, want %d with %s", tc.method, tc.path, tc.body, r.status, r.body, tc.status, tc.want)
			}
		}
	})
}

// Bodies reach a provider as keyword arguments, unchanged; the declared
// arguments and the path's are taken out.
func TestBeakerKwargsReachTheProvider(t *testing.T) {
	rec := &recorder{}
	a := startBeaker(t, datatest.SQLite(t), rec)
	body := `{"provider":"rec:x","session_id":"forged","name":"n","n":12345678901234567890,"list":[1,"two",{"three":3}],"obj":{"a":null},"flag":false}`
	a.ok("POST", "/beaker/integrations/s1/", body)
	var want map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"name":"n","n":12345678901234567890,"list":[1,"two",{"three":3}],"obj":{"a":null},"flag":false}`))
	dec.UseNumber()
	dec.Decode(&want)
	if len(rec.got) != 1 || !reflect.DeepEqual(rec.got[0], want) {
		t.Errorf("the provider got %#v, want %#v", rec.got, want)
	}

	// The generated client spreads the keyword arguments into the body.
	c := client.New(a.base)
	got, err := c.IntegrationAdd(context.Background(), methods.IntegrationAdd{SessionID: "s1", Provider: "rec:x", Fields: map[string]any{"name": "via client", "k": "v"}})
	if err != nil || got.UUID != "rec-1" {
		t.Fatalf("client: %+v %v", got, err)
	}
	if len(rec.got) != 2 || rec.got[1]["name"] != "via client" || rec.got[1]["k"] != "v" || len(rec.got[1]) != 2 {
		t.Errorf("from the client the provider got %#v", rec.got[1])
	}
	_, err = c.IntegrationGet(context.Background(), methods.IntegrationGet{SessionID: "s1", IntegrationID: "nope"})
	if pe, ok := err.(*protocol.Error); !ok || pe.Status != 404 {
		t.Errorf("client get unknown: %v", err)
	}
}

func TestCallInContext(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		a := startBeaker(t, db, &recorder{})
		in := a.ok("POST", "/beaker/integrations/s1/", `{"provider":"adhoc:x","name":"Weather API","datatype":"api","description":"forecasts"}`)
		id := str(in["uuid"])
		a.ok("POST", "/beaker/integrations/s1/"+id+"/example", `{"query":"rain tomorrow?","code":"forecast(1)"}`)
		call := func(body string) answer { return a.do("POST", "/beaker/context/s1/call", body) }
		for _, tc := range []struct {
			name, body string
			status     int
			want       string
		}{
			{"context function", `{"target":"context","function":"find_integrations","args":["weather"]}`, 200, `"status":"ok","return":[{"uuid":"` + id},
			{"context by keyword", `{"target":"context","function":"find_integrations","kwargs":{"query":"census"}}`, 200, `"name":"Census"`},
			{"integration function", `{"target":"integration:` + id + `","function":"describe"}`, 200, `"return":{"datatype":"api","name":"Weather API","provider":"adhoc:x","resources":{"example":1}}`},
			{"integration with arguments", `{"target":"integration:` + id + `","function":"find_resources","args":["RAIN"],"kwargs":{"resource_type":"example"}}`, 200, `"query":"rain tomorrow?"`},
			{"provider function", `{"target":"provider:rec:x","function":"add2","args":[2],"kwargs":{"b":40}}`, 200, `"return":42`},
			{"timeout", `{"target":"provider:rec:x","function":"slow"}`, 504, "slow did not complete within 200ms"},
			{"undeclared exported method", `{"target":"provider:rec:x","function":"string"}`, 404, `\"string\" is not a function this target lets you call (it has: add2, slow)`},
			{"unexported method", `{"target":"provider:rec:x","function":"secret"}`, 404, "is not a function this target lets you call"},
			{"Go name", `{"target":"provider:rec:x","function":"Add2"}`, 404, "is not a function"},
			{"a provider without functions", `{"target":"provider:adhoc:x","function":"list"}`, 404, `provider \"adhoc:x\" has no functions to call`},
			{"a non-member", `{"target":"server","function":"shutdown"}`, 404, `no target \"server\"`},
			{"unknown integration", `{"target":"integration:nope","function":"describe"}`, 404, `no integration \"nope\"`},
			{"wrong argument type", `{"target":"provider:rec:x","function":"add2","args":["two",1]}`, 400, "the arguments of add2"},
			{"argument failing validation", `{"target":"provider:rec:x","function":"add2","kwargs":{"a":1,"b":-1}}`, 400, "the arguments of add2"},
			{"unknown keyword", `{"target":"provider:rec:x","function":"add2","kwargs":{"c":1}}`, 400, `unknown field \"c\"`},
			{"too many arguments", `{"target":"provider:rec:x","function":"add2","args":[1,2,3]}`, 400, "at most 2 positional arguments (a, b), got 3"},
			{"both ways", `{"target":"provider:rec:x","function":"add2","args":[1],"kwargs":{"a":2}}`, 400, `got argument \"a\" both by position and by name`},
			{"missing required", `{"target":"integration:` + id + `","function":"find_resources"}`, 400, "the arguments of find_resources"},
			{"no function", `{"target":"context"}`, 422, "body.function"},
		} {
			r := call(tc.body)
			if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
				t.Errorf("%s: %d %s, want %d with %s", tc.name, r.status, r.body, tc.status, tc.want)
			}
		}
	})
}
