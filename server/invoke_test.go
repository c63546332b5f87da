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
