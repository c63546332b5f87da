package protocol

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
)

// APIKey authenticates a request by an opaque key sent as the whole
// Authorization header (Binder's scheme), compared in constant time. Every
// holder of the key is the same caller.
type APIKey struct {
	Key    string
	Caller Caller // who the key holder is; its ClientTypes decide what it may call
	// Status of a refusal: 401 by default; Binder's API answers 403.
	Status int
}

// Authenticate implements Authenticator.
func (k APIKey) Authenticate(_ context.Context, r *http.Request) (*Caller, error) {
	got := r.Header.Get("Authorization")
	if k.Key == "" || subtle.ConstantTimeCompare([]byte(got), []byte(k.Key)) != 1 {
		status := k.Status
		if status == 0 {
			status = http.StatusUnauthorized
		}
		if got == "" {
			return nil, Errorf(status, "no credentials: send the API key as the Authorization header")
		}
		return nil, Errorf(status, "the API key is not valid")
	}
	c := k.Caller
	return &c, nil
}

// BearerLookup authenticates a bearer token by looking it up, e.g. in a
// database of user and run tokens (OpenFn's scheme). The function returns
// nil, nil for a token it does not know.
type BearerLookup func(ctx context.Context, token string) (*Caller, error)

// Authenticate implements Authenticator.
func (f BearerLookup) Authenticate(ctx context.Context, r *http.Request) (*Caller, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, Unauthorized("no credentials: send Authorization: Bearer <token>")
	}
	c, err := f(ctx, strings.TrimSpace(token))
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, Unauthorized("the token is not known")
	}
	return c, nil
}
