package protocol_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/tagrpc/tagrpc/protocol"
)

func authReq(header string) *http.Request {
	r, _ := http.NewRequest("GET", "/", nil)
	if header != "" {
		r.Header.Set("Authorization", header)
	}
	return r
}

func TestAPIKey(t *testing.T) {
	k := protocol.APIKey{Key: "s3cret", Caller: protocol.Caller{Subject: "binder", ClientTypes: []string{"api"}}, Status: 403}
	tests := []struct {
		header string
		status int
	}{{"s3cret", 0}, {"", 403}, {"s3cre", 403}, {"Bearer s3cret", 403}, {"s3cret ", 403}}
	for _, tt := range tests {
		c, err := k.Authenticate(context.Background(), authReq(tt.header))
		var pe *protocol.Error
		switch {
		case tt.status == 0 && (err != nil || c.Subject != "binder"):
			t.Errorf("%q: %v, %v; want the key's caller", tt.header, c, err)
		case tt.status != 0 && (!errors.As(err, &pe) || pe.Status != tt.status):
			t.Errorf("%q: %v; want %d", tt.header, err, tt.status)
		}
	}
	if _, err := (protocol.APIKey{}).Authenticate(context.Background(), authReq("")); err == nil {
		t.Error("an empty key lets an empty header in")
	}
}

func TestBearerLookup(t *testing.T) {
	tokens := map[string]*protocol.Caller{"run-1": {Subject: "run", ClientTypes: []string{"api"}}}
	lookup := protocol.BearerLookup(func(_ context.Context, token string) (*protocol.Caller, error) {
		if token == "broken" {
			return nil, errors.New("database down")
		}
		return tokens[token], nil
	})
	if c, err := lookup.Authenticate(context.Background(), authReq("Bearer run-1")); err != nil || c.Subject != "run" {
		t.Errorf("known token: %v, %v", c, err)
	}
	for _, h := range []string{"", "Bearer", "Basic run-1", "Bearer nope"} {
		if _, err := lookup.Authenticate(context.Background(), authReq(h)); !errors.Is(err, protocol.ErrUnauthorized) {
			t.Errorf("%q: %v, want ErrUnauthorized", h, err)
		}
	}
	if _, err := lookup.Authenticate(context.Background(), authReq("Bearer broken")); err == nil || errors.Is(err, protocol.ErrUnauthorized) {
		t.Errorf("a failing lookup: %v; want its error, not a 401", err)
	}
}
