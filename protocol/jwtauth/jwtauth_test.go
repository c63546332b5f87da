package jwtauth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/protocol/jwtauth"
)

var secret = []byte("0123456789abcdef0123456789abcdef-jwt")

func authenticate(a *jwtauth.Authenticator, header string) (*protocol.Caller, error) {
	r, _ := http.NewRequest("GET", "/", nil)
	if header != "" {
		r.Header.Set("Authorization", header)
	}
	return a.Authenticate(context.Background(), r)
}

func TestIssueAndAuthenticate(t *testing.T) {
	a, err := jwtauth.New(jwtauth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	tok, claims, err := a.Issue("alice", []string{"api", "agent"}, "env-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second time from the cache
		c, err := authenticate(a, "Bearer "+tok)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != "alice" || len(c.ClientTypes) != 2 || c.Environment != "env-1" || c.TokenID != claims.ID {
			t.Errorf("caller %+v", c)
		}
	}
	if _, err := jwtauth.New(jwtauth.Config{Secret: []byte("short")}); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
}

func TestRevocation(t *testing.T) {
	revoked := map[string]bool{}
	a, err := jwtauth.New(jwtauth.Config{Secret: secret, RevocationCache: time.Nanosecond,
		Revoked: func(_ context.Context, jti string) (bool, error) { return revoked[jti], nil }})
	if err != nil {
		t.Fatal(err)
	}
	tok, claims, _ := a.Issue("bob", []string{"api"}, "", 0)
	if _, err := authenticate(a, "Bearer "+tok); err != nil {
		t.Fatal(err)
	}
	revoked[claims.ID] = true
	time.Sleep(time.Millisecond)
	if _, err := authenticate(a, "Bearer "+tok); !errors.Is(err, protocol.ErrUnauthorized) {
		t.Errorf("revoked token: %v, want ErrUnauthorized", err)
	}
}

// FuzzAuthenticate: whatever the Authorization header holds, the answer
// is a caller or a 401; never a panic or another status.
func FuzzAuthenticate(f *testing.F) {
	a, err := jwtauth.New(jwtauth.Config{Secret: secret})
	if err != nil {
		f.Fatal(err)
	}
	tok, _, _ := a.Issue("fuzz", []string{"api"}, "", time.Hour)
	for _, s := range []string{"", "Bearer", "Bearer ", "Bearer " + tok, "bearer " + tok + "x", "Basic abc", "Bearer a.b.c",
		"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "Bearer " + tok[:len(tok)/2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		c, err := authenticate(a, header)
		if err == nil {
			if c == nil {
				t.Fatal("no caller and no error")
			}
			return
		}
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Status != 401 {
			t.Fatalf("header %q: %v, want a 401", header, err)
		}
	})
}
