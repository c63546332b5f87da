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

// runPair serves the same request through both handlers, alternating
// them (and which goes first) within each iteration so that the machine's
// drift weighs on both alike, and reports each one's ns/op and allocs/op
// and the ratio of tagrpc to the hand-written handler.
func runPair(b *testing.B, tag, hand http.Handler, newReq func() *http.Request, wantStatus int) {
	for _, h := range []http.Handler{hand, tag} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, newReq())
		if rec.Code != wantStatus {
			b.Fatalf("status %d, want %d: %s", rec.Code, wantStatus, rec.Body)
		}
	}
	serve := func(h http.Handler) { h.ServeHTTP(httptest.NewRecorder(), newReq()) }
	allocsTag := testing.AllocsPerRun(500, func() { serve(tag) })
	allocsHand := testing.AllocsPerRun(500, func() { serve(hand) })
	timed := func(h http.Handler) time.Duration {
		rec, req := httptest.NewRecorder(), newReq()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		return time.Since(t0)
	}
	var tTag, tHand time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			tHand += timed(hand)
			tTag += timed(tag)
		} else {
			tTag += timed(tag)
			tHand += timed(hand)
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(tTag.Nanoseconds())/n, "tagrpc-ns/op")
	b.ReportMetric(float64(tHand.Nanoseconds())/n, "handwritten-ns/op")
	b.ReportMetric(allocsTag, "tagrpc-allocs/op")
	b.ReportMetric(allocsHand, "handwritten-allocs/op")
	b.ReportMetric(float64(tTag)/float64(tHand), "ratio")
}

func BenchmarkGetProject(b *testing.B) {
	tag, hand, id := benchSetup(b)
	url := "/api/v1/project/" + id.String()
	runPair(b, tag, hand, func() *http.Request {
		return httptest.NewRequest(http.MethodGet, url, nil)
	}, 200)
}

func BenchmarkModifyProject(b *testing.B) {
	tag, hand, id := benchSetup(b)
	url := "/api/v1/project/" + id.String()
	tid := uuid.NewString()
	const body = `{"name":"renamed","description":"a longer description of the project"}`
	runPair(b, tag, hand, func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, url, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Inmanta-tid", tid)
		return r
	}, 200)
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
	for _, c := range []struct {
		h   http.Handler
		req func() *http.Request
	}{{open, plainReq}, {guarded, authReq}} {
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, c.req())
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	allocsOpen := testing.AllocsPerRun(200, func() { open.ServeHTTP(httptest.NewRecorder(), plainReq()) })
	allocsAuth := testing.AllocsPerRun(200, func() { guarded.ServeHTTP(httptest.NewRecorder(), authReq()) })
	var tOpen, tAuth time.Duration
	b.ResetTimer()
	timed := func(h http.Handler, r *http.Request) time.Duration {
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, r)
		return time.Since(t0)
	}
	for i := 0; i < b.N; i++ {
		// Which goes first alternates: the second of a pair runs warmer.
		if i%2 == 0 {
			tOpen += timed(open, plainReq())
			tAuth += timed(guarded, authReq())
		} else {
			tAuth += timed(guarded, authReq())
			tOpen += timed(open, plainReq())
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(tAuth.Nanoseconds())/n, "auth-ns/op")
	b.ReportMetric(float64(tOpen.Nanoseconds())/n, "open-ns/op")
	b.ReportMetric(allocsAuth, "auth-allocs/op")
	b.ReportMetric(allocsOpen, "open-allocs/op")
	b.ReportMetric(float64(tAuth)/float64(tOpen), "ratio")
}
