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
	srv, _, err := handlers.NewServerWith(db, nil, handlers.Config{IntegrationProviders: []handlers.IntegrationProvider{fp, rec}},
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
