package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

type (
	InvGet struct {
		protocol.Method[Item] `path:"/inv/<id>" operation:"GET"`
		ID                    uuid.UUID `json:"id"`
	}
	InvList struct {
		protocol.Method[[]Item] `path:"/inv" operation:"GET"`
	}
	InvDelete struct {
		protocol.Method[protocol.NoReply] `path:"/inv/<id>" operation:"DELETE"`
		ID                                uuid.UUID `json:"id"`
	}
)

// invHandles serves the three shapes an Invoker takes; with invokers set,
// it lists them as tagrpc-gen would.
type invHandles struct {
	invokers protocol.Invokers
	deleted  *uuid.UUID
}

func (h *invHandles) InvGet(_ context.Context, in InvGet) (Item, error) {
	return Item{ID: in.ID, Name: "got"}, nil
}

func (h *invHandles) InvList(context.Context) ([]Item, error) {
	return []Item{{Name: "a"}, {Name: "b"}}, nil
}

func (h *invHandles) InvDelete(_ context.Context, in struct {
	Which uuid.UUID `arg:"id"`
}) error {
	*h.deleted = in.Which
	return nil
}

func (h *invHandles) Invokers() protocol.Invokers { return h.invokers }

var invGroup = &protocol.Group{Name: "inv", Methods: []any{InvGet{}, InvList{}, InvDelete{}}}

func TestInvokersServeLikeReflection(t *testing.T) {
	typed := protocol.Invokers{
		"InvGet":    protocol.Invoke((*invHandles).InvGet),
		"InvList":   protocol.InvokeNoArgs((*invHandles).InvList),
		"InvDelete": protocol.InvokeNoReply((*invHandles).InvDelete),
	}
	id := uuid.New()
	serve := func(inv protocol.Invokers) (answers []string, allocs float64, deleted uuid.UUID) {
		s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
		if err := s.Register(&invHandles{invokers: inv, deleted: &deleted}, invGroup); err != nil {
			t.Fatal(err)
		}
		for _, req := range []struct{ verb, path string }{
			{"GET", "/api/v1/inv/" + id.String()}, {"GET", "/api/v1/inv"}, {"DELETE", "/api/v1/inv/" + id.String()},
		} {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(req.verb, req.path, nil))
			answers = append(answers, rec.Result().Status+" "+rec.Body.String())
		}
		get := httptest.NewRequest(http.MethodGet, "/api/v1/inv/"+id.String(), nil)
		allocs = testing.AllocsPerRun(100, func() { s.ServeHTTP(httptest.NewRecorder(), get) })
		return answers, allocs, deleted
	}
	viaReflect, reflectAllocs, reflectDeleted := serve(nil)
	viaInvokers, invokerAllocs, invokerDeleted := serve(typed)
	if strings.Join(viaReflect, "\n") != strings.Join(viaInvokers, "\n") {
		t.Errorf("answers differ:\nreflect:  %q\ninvokers: %q", viaReflect, viaInvokers)
	}
	if reflectDeleted != id || invokerDeleted != id {
		t.Errorf("remapped argument: deleted %s and %s, want %s", reflectDeleted, invokerDeleted, id)
	}
	// reflect.Call allocates its results and the boxed reply; a direct
	// call boxes only the reply.
	if invokerAllocs >= reflectAllocs {
		t.Errorf("a GET costs %v allocations with invokers, %v without: the invokers are not used", invokerAllocs, reflectAllocs)
	}
}

func TestInvokerOfAnotherHandleIsAnError(t *testing.T) {
	s := server.New()
	var deleted uuid.UUID
	err := s.Register(&invHandles{deleted: &deleted, invokers: protocol.Invokers{
		"InvList": protocol.Invoke((*invHandles).InvGet),
	}}, invGroup)
	if err == nil || !strings.Contains(err.Error(), "InvList") || !strings.Contains(err.Error(), "invoker") {
		t.Fatalf("err = %v, want an error naming InvList and its invoker", err)
	}
}

type (
	// byPointer has MarshalText on its pointer only: encoding/json calls it
	// for an addressable value and not for a copy.
	byPointer   struct{ V string }
	shapedReply struct {
		Items []Item    `json:"items"`
		Inner byPointer `json:"inner"`
	}
	InvShaped struct {
		protocol.Method[shapedReply] `path:"/shaped" operation:"GET"`
	}
	InvPlain struct {
		protocol.Method[Item] `path:"/plain/<name>" operation:"GET"`
		Name                  string `json:"name"`
	}
	// InvTimed's handle runs on its own goroutine, with a frame of its own.
	InvTimed struct {
		protocol.Method[Item] `path:"/timed/<name>" operation:"GET" timeout:"5s"`
		Name                  string `json:"name"`
	}
)

func (*byPointer) MarshalText() ([]byte, error) { return []byte("by pointer"), nil }

type shapedHandles struct{ invokers protocol.Invokers }

func (shapedHandles) InvShaped(context.Context) (shapedReply, error) {
	return shapedReply{Items: []Item{{Name: "a"}}, Inner: byPointer{V: "by value"}}, nil
}

func (shapedHandles) InvPlain(_ context.Context, in InvPlain) (Item, error) {
	return Item{Name: in.Name}, nil
}

func (shapedHandles) InvTimed(_ context.Context, in InvTimed) (Item, error) {
	return Item{Name: in.Name}, nil
}

func (h shapedHandles) Invokers() protocol.Invokers { return h.invokers }

// Replies the server recycles are written exactly as the handle's value
// would be, even where encoding/json treats a pointer differently, and one
// request's reply never shows in another's.
func TestInvokedRepliesEncodeLikeValues(t *testing.T) {
	g := &protocol.Group{Name: "shaped", Methods: []any{InvShaped{}, InvPlain{}, InvTimed{}}}
	typed := protocol.Invokers{
		"InvShaped": protocol.InvokeNoArgs(shapedHandles.InvShaped),
		"InvPlain":  protocol.Invoke(shapedHandles.InvPlain),
		"InvTimed":  protocol.Invoke(shapedHandles.InvTimed),
	}
	get := func(s *server.Server, path string) string {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Body.String()
	}
	viaReflect := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	viaInvokers := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	for s, inv := range map[*server.Server]protocol.Invokers{viaReflect: nil, viaInvokers: typed} {
		if err := s.Register(shapedHandles{inv}, g); err != nil {
			t.Fatal(err)
		}
	}
	const want = `{"items":[{"id":"00000000-0000-0000-0000-000000000000","name":"a"}],"inner":{"V":"by value"}}` + "\n"
	for name, s := range map[string]*server.Server{"reflection": viaReflect, "invokers": viaInvokers} {
		if got := get(s, "/api/v1/shaped"); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
		for _, n := range []string{"first", "second", "third"} {
			for _, route := range []string{"/api/v1/plain/", "/api/v1/timed/"} {
				if got, want := get(s, route+n), `"name":"`+n+`"`; !strings.Contains(got, want) {
					t.Errorf("%s: %s%s: %s, want %s", name, route, n, got, want)
				}
			}
		}
	}
}
