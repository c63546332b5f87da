package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

type Color string

type Address struct {
	Street string `json:"street" validate:"required"`
	Zip    int    `json:"zip" validate:"gte=1000,lte=9999"`
}

// Echo declarations: each handle returns its decoded arguments, so a test
// sees exactly what the framework decoded.
type (
	QueryKinds struct {
		protocol.Method[QueryKinds] `path:"/kinds/<id>/<n>" operation:"GET"`

		ID     uuid.UUID           `json:"id"`
		N      int8                `json:"n"`
		S      string              `json:"s" default:"dflt"`
		B      bool                `json:"b" default:"false"`
		U      uint16              `json:"u" default:"7"`
		F      float64             `json:"f" default:"1.5"`
		T      *time.Time          `json:"t"`
		C      Color               `json:"c" default:"red" validate:"oneof=red green blue"`
		Sort   []string            `json:"sort"`
		Ints   []int               `json:"ints"`
		Filter map[string]string   `json:"filter"`
		Multi  map[string][]string `json:"multi"`
		Opt    *int                `json:"opt"`
		Limit  int                 `json:"limit" default:"100" validate:"max=1000"`
	}
	BodyKinds struct {
		protocol.Method[BodyKinds] `path:"/kinds/<id>" operation:"POST" envelope:"true" envelope_key:"result"`

		ID      uuid.UUID       `json:"id"`
		Tid     uuid.UUID       `json:"tid" header:"X-Inmanta-tid" reply_header:"true"`
		Name    string          `json:"name" validate:"required,max=10"`
		Count   int             `json:"count" default:"1"`
		When    time.Time       `json:"when" default:"2024-01-01T00:00:00Z"`
		Ref     *uuid.UUID      `json:"ref"`
		Address *Address        `json:"address"`
		Tags    []string        `json:"tags" validate:"max=3"`
		Raw     json.RawMessage `json:"raw"`
		Free    map[string]any  `json:"free"`
	}
	Small struct {
		protocol.Method[protocol.NoReply] `path:"/small" operation:"PUT" max_body:"64" status:"204"`

		Data string `json:"data"`
	}
	Slow struct {
		protocol.Method[protocol.NoReply] `path:"/slow" operation:"GET" timeout:"0.05"`

		Wait bool `json:"wait" default:"true"`
	}
	Boom struct {
		protocol.Method[protocol.NoReply] `path:"/boom" operation:"GET"`

		Panic bool `json:"panic" default:"false"`
		Fail  bool `json:"fail" default:"false"`
	}
)

type kinds struct{}

func (kinds) QueryKinds(_ context.Context, in QueryKinds) (QueryKinds, error) { return in, nil }
func (kinds) BodyKinds(_ context.Context, in BodyKinds) (BodyKinds, error)    { return in, nil }
func (kinds) Small(context.Context, Small) error                              { return nil }
func (kinds) Slow(ctx context.Context, in Slow) error {
	if in.Wait {
		time.Sleep(time.Second) // ignores its context on purpose: the 504 must not wait for it
	}
	return nil
}
func (kinds) Boom(_ context.Context, in Boom) error {
	if in.Panic {
		panic("boom")
	}
	if in.Fail {
		return errors.New("connect to db.internal:5432: password authentication failed")
	}
	return nil
}

var kindsGroup = &protocol.Group{Name: "kinds", Methods: []any{QueryKinds{}, BodyKinds{}, Small{}, Slow{}, Boom{}}}

// startKinds serves the kinds group on a loopback port.
func startKinds(t *testing.T) string {
	t.Helper()
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	if err := s.Register(kinds{}, kindsGroup); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("reply %d is not a JSON object: %v: %s", r.status, err, r.body)
	}
	return m
}

func call(t *testing.T, method, url, body string, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

const someID = "6f1c2a4e-7d0b-4c1e-9a57-0f2a3b4c5d6e"

func TestQueryDecoding(t *testing.T) {
	base := startKinds(t) + "/api/v1/kinds/" + someID
	r := call(t, "GET", base+"/-3?s=x&b=true&u=9&f=2.25&t=2024-05-01T10:00:00&c=blue&sort=a&sort=b&ints=1&ints=2&filter.a=b&filter.c=d&multi.k=1&multi.k=2&opt=5", "")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	got := r.json(t)
	want := map[string]any{
		"id": someID, "n": -3.0, "s": "x", "b": true, "u": 9.0, "f": 2.25,
		"t": "2024-05-01T10:00:00Z", "c": "blue", "limit": 100.0, "opt": 5.0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	wantJSON := map[string]string{
		"sort": `["a","b"]`, "ints": `[1,2]`, "filter": `{"a":"b","c":"d"}`, "multi": `{"k":["1","2"]}`,
	}
	for k, v := range wantJSON {
		if b, _ := json.Marshal(got[k]); string(b) != v {
			t.Errorf("%s = %s, want %s", k, b, v)
		}
	}

	r = call(t, "GET", base+"/1", "")
	got = r.json(t)
	if got["s"] != "dflt" || got["c"] != "red" || got["u"] != 7.0 || got["f"] != 1.5 || got["limit"] != 100.0 || got["t"] != nil || got["opt"] != nil || got["filter"] != nil {
		t.Errorf("defaults not applied or optional values not nil: %s", r.body)
	}
}

func TestBodyDecoding(t *testing.T) {
	base := startKinds(t) + "/api/v1/kinds/" + someID
	body := `{"name":"n","tags":["a"],"raw":[1,{"x":2}],"free":{"k":[true]},"ref":"` + someID + `","address":{"street":"s","zip":1234},"when":"2024-02-03T04:05:06"}`
	r := call(t, "POST", base, body, "X-Inmanta-tid", someID)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if got := r.header.Get("X-Inmanta-tid"); got != someID {
		t.Errorf("reply header X-Inmanta-tid = %q, want it echoed", got)
	}
	env := r.json(t)
	got, ok := env["result"].(map[string]any)
	if !ok || len(env) != 1 {
		t.Fatalf("reply is not enveloped under \"result\": %s", r.body)
	}
	if got["count"] != 1.0 || got["name"] != "n" || got["ref"] != someID || got["tid"] != someID || got["when"] != "2024-02-03T04:05:06Z" {
		t.Errorf("decoded %s", r.body)
	}
	if b, _ := json.Marshal(got["raw"]); string(b) != `[1,{"x":2}]` {
		t.Errorf("raw = %s", b)
	}

	// The header argument may come in the body instead of the header.
	r = call(t, "POST", base, `{"name":"n","tid":"`+someID+`"}`)
	if r.status != 200 {
		t.Errorf("tid in the body only: status %d: %s", r.status, r.body)
	}
}

func TestBadInput(t *testing.T) {
	url := startKinds(t)
	kinds := url + "/api/v1/kinds/" + someID
	other := uuid.NewString()
	tests := []struct {
		name, method, url, body string
		headers                 []string
		status                  int
		detail                  string   // part of the problem's detail
		locations               []string // every field error location, in order
	}{
		{"bad uuid in path", "GET", url + "/api/v1/kinds/nope/1", "", nil, 400, "path.id: not a valid UUID", []string{"path.id"}},
		{"int out of range", "GET", kinds + "/300", "", nil, 400, "out of range for a 8-bit value", []string{"path.n"}},
		{"bad bool", "GET", kinds + "/1?b=maybe", "", nil, 400, "not a valid boolean", []string{"query.b"}},
		{"negative uint", "GET", kinds + "/1?u=-1", "", nil, 400, "not a non-negative integer", []string{"query.u"}},
		{"bad date-time", "GET", kinds + "/1?t=yesterday", "", nil, 400, "not a valid date-time", []string{"query.t"}},
		{"enum not allowed", "GET", kinds + "/1?c=pink", "", nil, 400, "must be one of: red, green, blue", []string{"query.c"}},
		{"bad slice item", "GET", kinds + "/1?ints=1&ints=x", "", nil, 400, "item 1: not an integer", []string{"query.ints"}},
		{"empty map key", "GET", kinds + "/1?filter.=x", "", nil, 400, "filter.", []string{"query.filter."}},
		{"over max", "GET", kinds + "/1?limit=1001", "", nil, 400, "must be at most 1000", []string{"query.limit"}},
		{"every failing field listed", "GET", url + "/api/v1/kinds/nope/x?b=2", "", nil, 400, "3 arguments are invalid", []string{"path.id", "path.n", "query.b"}},
		{"missing required header", "POST", kinds, `{"name":"n"}`, nil, 400, "Field 'tid' is required.", []string{"header.X-Inmanta-Tid"}},
		{"header and body differ", "POST", kinds, `{"name":"n","tid":"` + other + `"}`, []string{"X-Inmanta-tid", someID}, 400, "differs from value", []string{"header.X-Inmanta-Tid"}},
		{"missing required body field", "POST", kinds, `{"count":2}`, []string{"X-Inmanta-tid", someID}, 400, "Field 'name' is required.", []string{"body.name"}},
		{"wrong type in body", "POST", kinds, `{"name":5}`, []string{"X-Inmanta-tid", someID}, 400, "body.name: expected a string, got number", []string{"body.name"}},
		{"unknown body field", "POST", kinds, `{"name":"n","colour":1}`, []string{"X-Inmanta-tid", someID}, 400, "body.colour: unknown field", []string{"body.colour"}},
		{"bad uuid in body", "POST", kinds, `{"name":"n","ref":"x"}`, []string{"X-Inmanta-tid", someID}, 400, "body.ref: not a valid UUID", []string{"body.ref"}},
		{"number for uuid in body", "POST", kinds, `{"name":"n","ref":5}`, []string{"X-Inmanta-tid", someID}, 400, "body.ref: expected a string", []string{"body.ref"}},
		{"nested validation", "POST", kinds, `{"name":"n","address":{"zip":5}}`, []string{"X-Inmanta-tid", someID}, 400, "2 arguments are invalid", []string{"body.address.street", "body.address.zip"}},
		{"too many items", "POST", kinds, `{"name":"n","tags":["a","b","c","d"]}`, []string{"X-Inmanta-tid", someID}, 400, "must be at most 3 items", []string{"body.tags"}},
		{"malformed JSON", "POST", kinds, `{"name":`, []string{"X-Inmanta-tid", someID}, 400, "could not be decoded as JSON", nil},
		{"syntax error", "POST", kinds, `{"name" "x"}`, []string{"X-Inmanta-tid", someID}, 400, "could not be decoded as JSON", nil},
		{"not an object", "POST", kinds, `[1]`, []string{"X-Inmanta-tid", someID}, 400, "must be a JSON object", nil},
		{"two values", "POST", kinds, `{"name":"n"} {}`, []string{"X-Inmanta-tid", someID}, 400, "more than one JSON value", nil},
		{"wrong content type", "POST", kinds, `{"name":"n"}`, []string{"X-Inmanta-tid", someID, "Content-Type", "text/plain"}, 415, `Content-Type "text/plain"`, nil},
		{"body over the method's limit", "PUT", url + "/api/v1/small", `{"data":"` + strings.Repeat("x", 100) + `"}`, nil, 413, "limit of 64 bytes", nil},
		{"unknown route", "GET", url + "/api/v1/nothing", "", nil, 404, "No route serves GET /api/v1/nothing", nil},
		{"wrong verb", "DELETE", kinds, "", nil, 405, "DELETE is not allowed", nil},
		{"timeout", "GET", url + "/api/v1/slow", "", nil, 504, "did not complete within its timeout of 50ms", nil},
		{"panic", "GET", url + "/api/v1/boom?panic=true", "", nil, 500, "internal error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.method, tt.url, tt.body, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var p struct {
				Detail string `json:"detail"`
				Status int    `json:"status"`
				Errors []struct {
					Location string `json:"location"`
					Message  string `json:"message"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatalf("not a problem body: %v: %s", err, r.body)
			}
			if !strings.Contains(p.Detail+" "+string(r.body), tt.detail) {
				t.Errorf("body %s does not say %q", r.body, tt.detail)
			}
			if p.Status != tt.status {
				t.Errorf("problem status %d, want %d", p.Status, tt.status)
			}
			var locs []string
			for _, e := range p.Errors {
				locs = append(locs, e.Location)
			}
			if strings.Join(locs, ",") != strings.Join(tt.locations, ",") {
				t.Errorf("error locations %v, want %v", locs, tt.locations)
			}
		})
	}
}

func TestPanicLeavesServerServing(t *testing.T) {
	url := startKinds(t)
	if r := call(t, "GET", url+"/api/v1/boom?panic=true", ""); r.status != 500 || bytes.Contains(r.body, []byte("boom")) {
		t.Fatalf("panic: status %d body %s; want 500 that does not leak the panic", r.status, r.body)
	}
	if r := call(t, "GET", url+"/api/v1/boom", ""); r.status != 200 {
		t.Fatalf("after a panic: status %d, want 200", r.status)
	}
}

func TestPlainErrorsRevealNothing(t *testing.T) {
	var logged bytes.Buffer
	s := server.New(server.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	if err := s.Register(kinds{}, kindsGroup); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	r := call(t, "GET", ts.URL+"/api/v1/boom?fail=true", "", "X-Request-Id", "req-42")
	if r.status != 500 || bytes.Contains(r.body, []byte("db.internal")) || bytes.Contains(r.body, []byte("password")) {
		t.Fatalf("status %d, body %s: want a 500 that reveals nothing", r.status, r.body)
	}
	if log := logged.String(); !strings.Contains(log, "password authentication failed") || !strings.Contains(log, "req-42") {
		t.Errorf("the cause is not logged with the request id:\n%s", log)
	}
}

func TestHeadOptionsAndStatus(t *testing.T) {
	url := startKinds(t)
	r := call(t, "HEAD", url+"/api/v1/kinds/"+someID+"/1", "")
	if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD: status %d, %d body bytes, Content-Type %q", r.status, len(r.body), r.header.Get("Content-Type"))
	}
	r = call(t, "OPTIONS", url+"/api/v1/kinds/"+someID, "")
	if r.status != 200 || !strings.Contains(r.header.Get("Allow"), "POST") {
		t.Errorf("OPTIONS: status %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	r = call(t, "PUT", url+"/api/v1/small", `{"data":"x"}`)
	if r.status != 204 {
		t.Errorf("declared status 204, got %d", r.status)
	}
}

// Request ids are carved from memory shared by many requests and the
// writers around replies are recycled: a reply's header must keep its own
// id after later requests, from any goroutine, and no two ids may match.
func TestRequestIDsOutliveTheirRequests(t *testing.T) {
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	if err := s.Register(kinds{}, kindsGroup); err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 150 // several blocks of ids per worker
	type seen struct {
		rec *httptest.ResponseRecorder
		id  string
	}
	results := make([][]seen, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				req := httptest.NewRequest("GET", "/api/v1/boom", nil)
				if i%10 == 0 {
					req.Header.Set("X-Request-Id", fmt.Sprintf("client-%d-%d", w, i))
				}
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				results[w] = append(results[w], seen{rec, rec.Header().Get("X-Request-Id")})
			}
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, rs := range results {
		for _, r := range rs {
			if now := r.rec.Header().Get("X-Request-Id"); now != r.id || r.id == "" {
				t.Fatalf("a reply's X-Request-Id was %q and is now %q", r.id, now)
			}
			if ids[r.id] {
				t.Fatalf("id %q given twice", r.id)
			}
			ids[r.id] = true
		}
	}
}

func TestRequestID(t *testing.T) {
	url := startKinds(t)
	r := call(t, "GET", url+"/api/v1/boom", "", "X-Request-Id", "abc-123")
	if got := r.header.Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("X-Request-Id %q, want the client's echoed", got)
	}
	a := call(t, "GET", url+"/api/v1/boom", "").header.Get("X-Request-Id")
	long := strings.Repeat("x", 200)
	b := call(t, "GET", url+"/api/v1/boom", "", "X-Request-Id", long).header.Get("X-Request-Id")
	if a == "" || b == "" || a == b || b == long {
		t.Errorf("generated ids %q and %q: want two distinct ids, never an oversized client one", a, b)
	}
}

// BodyScalars has a body argument of every scalar kind, each with a
// default, so that a test sees each one both sent and absent.
type BodyScalars struct {
	protocol.Method[BodyScalars] `path:"/scalars" operation:"POST"`

	B   bool    `json:"b" default:"true"`
	I   int     `json:"i" default:"-1"`
	I8  int8    `json:"i8" default:"-8"`
	I16 int16   `json:"i16" default:"-16"`
	I32 int32   `json:"i32" default:"-32"`
	I64 int64   `json:"i64" default:"-64"`
	U   uint    `json:"u" default:"1"`
	U8  uint8   `json:"u8" default:"8"`
	U16 uint16  `json:"u16" default:"16"`
	U32 uint32  `json:"u32" default:"32"`
	U64 uint64  `json:"u64" default:"64"`
	F32 float32 `json:"f32" default:"0.5"`
	F64 float64 `json:"f64" default:"0.25"`
	S   string  `json:"s" default:"dflt"`
	C   Color   `json:"c" default:"red"`
}

type scalarHandles struct{}

func (scalarHandles) BodyScalars(_ context.Context, in BodyScalars) (BodyScalars, error) {
	return in, nil
}

func TestBodyScalarsRoundTrip(t *testing.T) {
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	if err := s.Register(scalarHandles{}, &protocol.Group{Name: "scalars", Methods: []any{BodyScalars{}}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	const (
		defaults = `{"b":true,"i":-1,"i8":-8,"i16":-16,"i32":-32,"i64":-64,"u":1,"u8":8,"u16":16,"u32":32,"u64":64,"f32":0.5,"f64":0.25,"s":"dflt","c":"red"}`
		extremes = `{"b":false,"i":-9223372036854775808,"i8":127,"i16":-32768,"i32":2147483647,"i64":9223372036854775807,"u":18446744073709551615,"u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615,"f32":3.25,"f64":-1e+300,"s":"","c":"blue"}`
	)
	for _, tc := range []struct{ name, body, want string }{
		{"all absent", `{}`, defaults},
		{"all sent", extremes, extremes},
	} {
		r := call(t, "POST", ts.URL+"/api/v1/scalars", tc.body)
		if r.status != 200 || strings.TrimSpace(string(r.body)) != tc.want {
			t.Errorf("%s: %d %s\nwant %s", tc.name, r.status, r.body, tc.want)
		}
	}
}

type (
	failingJSON struct{}
	badReply    struct {
		Ratio float64     `json:"ratio"`
		Part  failingJSON `json:"part"`
	}
	// Neither may send a 200 it cannot finish, with an envelope or without.
	BadPlain struct {
		protocol.Method[badReply] `path:"/bad/<what>" operation:"GET"`
		What                      string `json:"what" validate:"oneof=nan marshaler fine"`
	}
	BadEnveloped struct {
		protocol.Method[badReply] `path:"/bad/<what>" operation:"GET" api_version:"2" envelope:"true"`
		What                      string `json:"what" validate:"oneof=nan marshaler fine"`
	}
)

func (failingJSON) MarshalJSON() ([]byte, error) { return nil, errors.New("part is not ready") }

type badHandles struct{}

func badValue(what string) (badReply, error) {
	switch what {
	case "nan":
		return badReply{Ratio: math.NaN()}, nil
	case "marshaler":
		return badReply{Part: failingJSON{}}, nil
	}
	return badReply{}, protocol.NotFound("nothing fine here")
}

func (badHandles) BadPlain(_ context.Context, in BadPlain) (badReply, error) {
	return badValue(in.What)
}
func (badHandles) BadEnveloped(_ context.Context, in BadEnveloped) (badReply, error) {
	return badValue(in.What)
}

// A reply encoding/json refuses is a 500 that says nothing internal, with
// an envelope or without, and to HEAD as to GET.
func TestUnencodableReplyIs500(t *testing.T) {
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	if err := s.Register(badHandles{}, &protocol.Group{Name: "bad", Methods: []any{BadPlain{}, BadEnveloped{}}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	for _, v := range []string{"v1", "v2"} {
		for _, what := range []string{"nan", "marshaler"} {
			r := call(t, "GET", ts.URL+"/api/"+v+"/bad/"+what, "")
			if r.status != 500 || strings.Contains(string(r.body), "NaN") || strings.Contains(string(r.body), "not ready") ||
				!strings.Contains(r.header.Get("Content-Type"), "problem+json") {
				t.Errorf("%s %s: %d %q %s", v, what, r.status, r.header.Get("Content-Type"), r.body)
			}
		}
	}
	if r := call(t, "HEAD", ts.URL+"/api/v1/bad/nan", ""); r.status != 500 || len(r.body) != 0 {
		t.Errorf("HEAD answers what GET would: %d %q", r.status, r.body)
	}
}
