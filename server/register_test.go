package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

type Item struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// Declarations with one mistake each.
type (
	UnknownTag struct {
		protocol.Method[Item] `path:"/item" operation:"GET" colour:"blue"`
	}
	UnknownVerb struct {
		protocol.Method[Item] `path:"/item" operation:"FETCH"`
	}
	MissingParam struct {
		protocol.Method[Item] `path:"/item/<id>" operation:"GET"`
		Name                  string `json:"name"`
	}
	StructParam struct {
		protocol.Method[Item] `path:"/item/<id>" operation:"GET"`
		ID                    Item `json:"id"`
	}
	BadDefault struct {
		protocol.Method[Item] `path:"/item" operation:"GET"`
		Limit                 int `json:"limit" default:"many"`
	}
	QueryStruct struct {
		protocol.Method[Item] `path:"/item" operation:"GET"`
		Filter                Item `json:"filter"`
	}
	NoMarker struct {
		ID uuid.UUID `json:"id"`
	}
	GetItem struct {
		protocol.Method[Item] `path:"/item/<id>" operation:"GET"`
		ID                    uuid.UUID `json:"id"`
	}
	GetItemAgain struct {
		protocol.Method[Item] `path:"/item/<id>" operation:"GET"`
		ID                    uuid.UUID `json:"id"`
	}
	ListItemsFixed struct {
		protocol.Method[[]Item] `path:"/item/list" operation:"GET"`
	}
	DeleteItem struct {
		protocol.Method[protocol.NoReply] `path:"/item/<id>" operation:"DELETE"`
		ID                                uuid.UUID `json:"id"`
	}
)

type handles struct{}

func (handles) UnknownTag(context.Context, UnknownTag) (Item, error)           { return Item{}, nil }
func (handles) UnknownVerb(context.Context, UnknownVerb) (Item, error)         { return Item{}, nil }
func (handles) MissingParam(context.Context, MissingParam) (Item, error)       { return Item{}, nil }
func (handles) StructParam(context.Context, StructParam) (Item, error)         { return Item{}, nil }
func (handles) BadDefault(context.Context, BadDefault) (Item, error)           { return Item{}, nil }
func (handles) QueryStruct(context.Context, QueryStruct) (Item, error)         { return Item{}, nil }
func (handles) NoMarker(context.Context, NoMarker) (Item, error)               { return Item{}, nil }
func (handles) GetItem(context.Context, GetItem) (Item, error)                 { return Item{}, nil }
func (handles) GetItemAgain(context.Context, GetItemAgain) (Item, error)       { return Item{}, nil }
func (handles) ListItemsFixed(context.Context, ListItemsFixed) ([]Item, error) { return nil, nil }
func (handles) DeleteItem(context.Context, DeleteItem) error                   { return nil }

// Handles with one mistake each, for GetItem.
type (
	noHandle      struct{}
	extraHandle   struct{ handles }
	unknownArg    struct{}
	wrongType     struct{}
	wrongReply    struct{}
	replyOnDelete struct{}
)

func (extraHandle) Orphan(context.Context, struct{}) (Item, error) { return Item{}, nil }
func (unknownArg) GetItem(context.Context, struct {
	ItemID uuid.UUID `arg:"item_id"`
}) (Item, error) {
	return Item{}, nil
}
func (wrongType) GetItem(context.Context, struct {
	ID string `arg:"id"`
}) (Item, error) {
	return Item{}, nil
}
func (wrongReply) GetItem(context.Context, GetItem) (*Item, error) { return nil, nil }
func (replyOnDelete) DeleteItem(context.Context, DeleteItem) (Item, error) {
	return Item{}, nil
}

func TestRegistrationErrors(t *testing.T) {
	tests := []struct {
		name    string
		methods []any
		handler any
		want    []string // every part must appear in the error
	}{
		{"unknown tag", []any{UnknownTag{}}, handles{}, []string{"UnknownTag", `unknown tag key "colour"`}},
		{"unknown verb", []any{UnknownVerb{}}, handles{}, []string{"UnknownVerb", `operation:"FETCH"`}},
		{"path param with no field", []any{MissingParam{}}, handles{}, []string{"MissingParam", "<id>", "no field"}},
		{"path param not scalar", []any{StructParam{}}, handles{}, []string{"StructParam", "field ID", "must be a scalar"}},
		{"bad default", []any{BadDefault{}}, handles{}, []string{"BadDefault", "field Limit", `default "many"`}},
		{"struct in query", []any{QueryStruct{}}, handles{}, []string{"QueryStruct", "field Filter", "cannot be read from the query"}},
		{"no marker", []any{NoMarker{}}, handles{}, []string{"NoMarker", "does not embed protocol.Method"}},
		{"two methods on one route", []any{GetItem{}, GetItemAgain{}}, handles{}, []string{"GetItem", "GetItemAgain", "GET /api/v1/item/:id"}},
		{"routes httprouter cannot hold together", []any{GetItem{}, ListItemsFixed{}}, handles{}, []string{"ListItemsFixed", "GetItem", "/api/v1/item/list", "/api/v1/item/:id"}},
		{"declaration with no handle", []any{GetItem{}}, noHandle{}, []string{"GetItem", "has no handle"}},
		{"handle with no declaration", []any{GetItem{}}, extraHandle{}, []string{"Orphan", "no group declares"}},
		{"handle names unknown argument", []any{GetItem{}}, unknownArg{}, []string{"GetItem", "ItemID", `"item_id"`}},
		{"type mismatch with no getter", []any{GetItem{}}, wrongType{}, []string{"GetItem", "field ID", "no getter converts uuid.UUID to string"}},
		{"wrong reply type", []any{GetItem{}}, wrongReply{}, []string{"GetItem", "*server_test.Item", "reply type is server_test.Item"}},
		{"reply from a method without one", []any{DeleteItem{}}, replyOnDelete{}, []string{"DeleteItem", "must return only error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := server.New()
			err := s.Register(tt.handler, &protocol.Group{Name: "items", Methods: tt.methods})
			if err == nil {
				t.Fatal("Register succeeded; want an error")
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not mention %q", err, part)
				}
			}
		})
	}
}

type goodHandles struct{}

func (goodHandles) GetItem(context.Context, GetItem) (Item, error) { return Item{}, nil }
func (goodHandles) DeleteItem(context.Context, DeleteItem) error   { return nil }

func TestRegisterAcceptsGoodGroups(t *testing.T) {
	s := server.New()
	v1 := &protocol.Group{Name: "read", Methods: []any{GetItem{}}}
	v2 := &protocol.Group{Name: "write", Methods: []any{DeleteItem{}}}
	if err := s.Register(goodHandles{}, v1, v2); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Specs()); got != 2 {
		t.Errorf("Specs() has %d methods, want 2", got)
	}
}
