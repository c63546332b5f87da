package protocol

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Caller is who makes a request, as its credentials say. A handle reads
// it by having a field of type Caller (or *Caller) in its argument struct;
// with authentication off it is the zero Caller.
type Caller struct {
	Subject     string   // who: a user, an agent, a service
	ClientTypes []string // what kinds of client the credentials speak for
	Environment string   // the one environment the credentials are limited to, if any
	TokenID     string   // the credentials' id (a JWT's jti), for revocation
	Project     string   // the one project the credentials belong to, if any
	Admin       bool     // the caller acts with administrator rights (Mobyle2's admin mode)
}

// Authenticator reads the caller from a request's credentials. It returns
// an *Error with status 401 when there are none or they are not valid;
// the endpoint then answers with that error.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (*Caller, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, r *http.Request) (*Caller, error)

// Authenticate implements Authenticator.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, r *http.Request) (*Caller, error) {
	return f(ctx, r)
}

// Auth is how a server authenticates and what it allows.
type Auth struct {
	// Authenticator reads the caller; nil turns authentication off.
	Authenticator Authenticator
	// ClientTypes is the set of client types the application knows. A
	// method naming another is a registration error. Empty: any.
	ClientTypes []string
	// EnvironmentHeader is the header a request names its environment in
	// (Inmanta's X-Inmanta-tid). A caller limited to one environment is
	// refused with 403 when the request names another.
	EnvironmentHeader string
}

var callerType = reflect.TypeFor[Caller]()

// checkClientTypes refuses a method that names a client type the
// application did not declare.
func (a *Auth) checkClientTypes(s *MethodSpec) error {
	if a == nil || len(a.ClientTypes) == 0 {
		return nil
	}
	for _, ct := range s.ClientTypes {
		if !slices.Contains(a.ClientTypes, ct) {
			return Errorf(0, "client type %q is not one of the declared %s", ct, strings.Join(a.ClientTypes, ", "))
		}
	}
	return nil
}

// authorize authenticates r and checks the caller may call the method. A
// nil caller is the anonymous one.
func (e *Endpoint) authorize(r *http.Request) (*Caller, *Error) {
	a := e.auth
	if a == nil || a.Authenticator == nil {
		return nil, nil
	}
	if !e.spec.EnforceAuth {
		// Credentials are optional here; read them when they are given.
		if r.Header.Get("Authorization") == "" {
			return nil, nil
		}
		c, err := a.Authenticator.Authenticate(r.Context(), r)
		if err != nil {
			return nil, nil
		}
		return c, nil
	}
	c, err := a.Authenticator.Authenticate(r.Context(), r)
	if err != nil {
		pe := AsError(err)
		if pe.Status == http.StatusInternalServerError {
			e.log.Error("authentication failed", "method", e.spec.Name, "error", err)
		}
		return nil, pe
	}
	if !intersects(c.ClientTypes, e.spec.ClientTypes) {
		return nil, Forbidden("this method is for client types %s; the credentials are for %s",
			strings.Join(e.spec.ClientTypes, ", "), orNone(c.ClientTypes))
	}
	if c.Environment != "" && a.EnvironmentHeader != "" {
		if env := r.Header.Get(a.EnvironmentHeader); env != "" && !strings.EqualFold(env, c.Environment) {
			return nil, Forbidden("the credentials are limited to environment %s, not %s", c.Environment, env)
		}
	}
	return c, nil
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
