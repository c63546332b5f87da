package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"
	"github.com/julienschmidt/httprouter"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/protocol/jwtauth"
	"github.com/tagrpc/tagrpc/server"
)

// The benchmarks serve the same two calls through tagrpc and through a
// hand-written httprouter handler doing the same decoding, validation and
// encoding against the same in-memory store, and report the ratio.

type benchProject struct {
	ID           uuid.UUID   `json:"id"`
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	Environments []uuid.UUID `json:"environments"`
}

type benchProjectReply struct {
	Project benchProject `json:"project"`
}

type benchStore struct {
	mu       sync.RWMutex
	projects map[uuid.UUID]benchProject
}

func (s *benchStore) get(id uuid.UUID) (benchProject, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.projects[id]
	return p, ok
}

func (s *benchStore) put(p benchProject) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[p.ID] = p
}

type (
	BenchGetProject struct {
		protocol.Method[benchProjectReply] `path:"/project/<id>" operation:"GET"`

		ID uuid.UUID `json:"id"`
	}
	BenchModifyProject struct {
		protocol.Method[benchProjectReply] `path:"/project/<id>" operation:"POST"`

		ID          uuid.UUID `json:"id"`
		Tid         uuid.UUID `json:"tid" header:"X-Inmanta-tid"`
		Name        string    `json:"name" validate:"required,max=64"`
		Description string    `json:"description" default:"" validate:"max=255"`
	}
)

type benchHandles struct{ store *benchStore }

func (h benchHandles) BenchGetProject(_ context.Context, in BenchGetProject) (benchProjectReply, error) {
	p, ok := h.store.get(in.ID)
	if !ok {
		return benchProjectReply{}, protocol.NotFound("The project with given id does not exist.")
	}
	return benchProjectReply{Project: p}, nil
}

func (h benchHandles) BenchModifyProject(_ context.Context, in BenchModifyProject) (benchProjectReply, error) {
	p, ok := h.store.get(in.ID)
	if !ok {
		return benchProjectReply{}, protocol.NotFound("The project with given id does not exist.")
	}
	p.Name, p.Description = in.Name, in.Description
	h.store.put(p)
	return benchProjectReply{Project: p}, nil
}

// Invokers lets the server call the handles without reflect.Call, as the
// Invokers that tagrpc-gen writes do.
func (benchHandles) Invokers() protocol.Invokers {
	return protocol.Invokers{
		"BenchGetProject":    protocol.Invoke(benchHandles.BenchGetProject),
		"BenchModifyProject": protocol.Invoke(benchHandles.BenchModifyProject),
	}
}

// handWritten is what one would write without tagrpc.
func handWritten(store *benchStore) http.Handler {
	v := validator.New(validator.WithRequiredStructEnabled())
	fail := func(w http.ResponseWriter, status int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}
	r := httprouter.New()
	r.GET("/api/v1/project/:id", func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		id, err := uuid.Parse(ps.ByName("id"))
		if err != nil {
			fail(w, 400, "id: not a valid UUID")
			return
		}
		p, ok := store.get(id)
		if !ok {
			fail(w, 404, "The project with given id does not exist.")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(benchProjectReply{Project: p})
	})
	r.POST("/api/v1/project/:id", func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		id, err := uuid.Parse(ps.ByName("id"))
		if err != nil {
			fail(w, 400, "id: not a valid UUID")
			return
		}
		if _, err := uuid.Parse(r.Header.Get("X-Inmanta-tid")); err != nil {
			fail(w, 400, "tid: not a valid UUID")
			return
		}
		var in struct {
			Name        string `json:"name" validate:"required,max=64"`
			Description string `json:"description" validate:"max=255"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			fail(w, 400, err.Error())
			return
		}
		if err := v.Struct(&in); err != nil {
			fail(w, 400, err.Error())
			return
		}
		p, ok := store.get(id)
		if !ok {
			fail(w, 404, "The project with given id does not exist.")
			return
		}
		p.Name, p.Description = in.Name, in.Description
		store.put(p)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(benchProjectReply{Project: p})
	})
	return r
}

func benchSetup(b *testing.B) (tag, hand http.Handler, id uuid.UUID) {
	id = uuid.New()
	store := &benchStore{projects: map[uuid.UUID]benchProject{
		id: {ID: id, Name: "proj", Description: "a project", Environments: []uuid.UUID{uuid.New(), uuid.New()}},
	}}
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	g := &protocol.Group{Name: "bench", Methods: []any{BenchGetProject{}, BenchModifyProject{}}}
	if err := s.Register(benchHandles{store}, g); err != nil {
		b.Fatal(err)
	}
	return s, handWritten(store), id
}

// side is one handler of a pair and how to build its request.
type side struct {
	name   string
	h      http.Handler
	newReq func() *http.Request
}

// runPair serves requests through two handlers, alternating them (and
// which goes first) within each iteration so that the machine's drift
// weighs on both alike, and reports each one's ns/op and allocs/op and
// the ratio of the first to the second.
func runPair(b *testing.B, x, y side, wantStatus int) {
	for _, s := range []side{x, y} {
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, s.newReq())
		if rec.Code != wantStatus {
			b.Fatalf("%s: status %d, want %d: %s", s.name, rec.Code, wantStatus, rec.Body)
		}
	}
	allocs := func(s side) float64 {
		return testing.AllocsPerRun(500, func() { s.h.ServeHTTP(httptest.NewRecorder(), s.newReq()) })
	}
	timed := func(s side) time.Duration {
		rec, req := httptest.NewRecorder(), s.newReq()
		t0 := time.Now()
		s.h.ServeHTTP(rec, req)
		return time.Since(t0)
	}
	var tx, ty time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			ty += timed(y)
			tx += timed(x)
		} else {
			tx += timed(x)
			ty += timed(y)
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(tx.Nanoseconds())/n, x.name+"-ns/op")
	b.ReportMetric(float64(ty.Nanoseconds())/n, y.name+"-ns/op")
	b.ReportMetric(allocs(x), x.name+"-allocs/op")
	b.ReportMetric(allocs(y), y.name+"-allocs/op")
	b.ReportMetric(float64(tx)/float64(ty), "ratio")
}

func BenchmarkGetProject(b *testing.B) {
	tag, hand, id := benchSetup(b)
	url := "/api/v1/project/" + id.String()
	req := func() *http.Request { return httptest.NewRequest(http.MethodGet, url, nil) }
	runPair(b, side{"tagrpc", tag, req}, side{"handwritten", hand, req}, 200)
}

func BenchmarkModifyProject(b *testing.B) {
	tag, hand, id := benchSetup(b)
	url := "/api/v1/project/" + id.String()
	tid := uuid.NewString()
	const body = `{"name":"renamed","description":"a longer description of the project"}`
	req := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, url, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Inmanta-tid", tid)
		return r
	}
	runPair(b, side{"tagrpc", tag, req}, side{"handwritten", hand, req}, 200)
}

// BenchmarkAuthOverhead serves GET /api/v1/project/<id> with and without
// bearer-token authentication, alternating the two within each iteration
// so the machine's drift weighs on both alike, and reports the ratio.
func BenchmarkAuthOverhead(b *testing.B) {
	id := uuid.New()
	store := &benchStore{projects: map[uuid.UUID]benchProject{
		id: {ID: id, Name: "proj", Description: "a project", Environments: []uuid.UUID{uuid.New(), uuid.New()}},
	}}
	authn, err := jwtauth.New(jwtauth.Config{Secret: []byte("0123456789abcdef0123456789abcdef-bench")})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := authn.Issue("bench", []string{"api"}, "", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	open := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	guarded := server.New(server.WithLogger(slog.New(slog.DiscardHandler)), server.WithAuth(protocol.Auth{Authenticator: authn}))
	g := &protocol.Group{Name: "bench", Methods: []any{BenchGetProject{}, BenchModifyProject{}}}
	for _, s := range []*server.Server{open, guarded} {
		if err := s.Register(benchHandles{store}, g); err != nil {
			b.Fatal(err)
		}
	}
	url := "/api/v1/project/" + id.String()
	plainReq := func() *http.Request { return httptest.NewRequest(http.MethodGet, url, nil) }
	authReq := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, url, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
	runPair(b, side{"auth", guarded, authReq}, side{"open", open, plainReq}, 200)
}
