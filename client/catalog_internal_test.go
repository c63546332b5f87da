package client

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

// bareErrors carries a named error's name and message but no suggestions,
// as Binder's {"type", "error"} shape does.
type bareErrors struct{}

func (bareErrors) ContentType() string { return "application/json" }
func (bareErrors) Encode(e *protocol.Error) []byte {
	b, _ := json.Marshal(map[string]string{"type": e.Name, "error": e.Message})
	return b
}
func (bareErrors) Decode(status int, body []byte) *protocol.Error {
	var m map[string]string
	_ = json.Unmarshal(body, &m)
	return &protocol.Error{Status: status, Name: m["type"], Message: m["error"]}
}
func (bareErrors) BodyType() reflect.Type { return reflect.TypeFor[map[string]string]() }

var errNoSuchThing = protocol.Named("noSuchThing", 404, "no thing is called {name}", "list the things first")

type GetThing struct {
	protocol.Method[word] `path:"/things/<name>" operation:"GET"`

	Name string `json:"name"`
}

func (GetThing) Errors() []*protocol.Error { return []*protocol.Error{errNoSuchThing} }

type thingHandles struct{}

func (thingHandles) GetThing(context.Context, GetThing) (word, error) { return word{}, errNoSuchThing }

func TestNamedErrorsReachTheClient(t *testing.T) {
	g := &protocol.Group{Name: "things", Codec: bareErrors{}, Methods: []any{GetThing{}}}
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	if err := s.Register(thingHandles{}, g); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	var out word
	err := New(ts.URL).call(context.Background(), newMethod(GetThing{}, g), &GetThing{Name: "widget"}, &out)
	var pe *protocol.Error
	if !errors.Is(err, errNoSuchThing) || !errors.As(err, &pe) {
		t.Fatalf("err = %v, want errNoSuchThing", err)
	}
	if pe.Message != "no thing is called widget" || len(pe.Suggestions) != 1 || pe.Suggestions[0] != "list the things first" {
		t.Errorf("message %q, suggestions %q (from the catalog, as the wire has none)", pe.Message, pe.Suggestions)
	}
}
