// Package handlers implements the reference server's methods (package
// methods) on top of its storage (package data).
package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/data"
	_ "github.com/tagrpc/tagrpc/docs" // the declarations' doc comments, for /openapi.json
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/protocol/jwtauth"
	"github.com/tagrpc/tagrpc/server"
)

// NewServer returns a server with every API group of the reference server
// registered on db. The binary and the tests both build the server here,
// so the tests exercise exactly what is served.
//
// With tokens, authentication is on: requests need a bearer token it
// checks, and the token methods issue tokens with it. Tokens revoked in db
// are refused. Without, every request is let through.
//
// The Binder group has no API key (its privileged methods refuse every
// call) and no worker running, and the integrations are the adhoc
// provider's alone: NewServerWith configures them.
func NewServer(db *data.DB, tokens *jwtauth.Authenticator, opts ...server.Option) (*server.Server, error) {
	srv, _, err := NewServerWith(db, tokens, Config{}, opts...)
	return srv, err
}

// Config configures the groups that take more than a database.
type Config struct {
	Binder BinderConfig
	// IntegrationProviders serve Beaker integrations beside the adhoc
	// provider (a FileProvider, say).
	IntegrationProviders []IntegrationProvider
	// CallTimeout bounds a call_in_context call; 0: 10 s.
	CallTimeout time.Duration
}

// NewServerWith is NewServer with cfg; it returns the worker that advances
// Binder's builds and deployments, for the caller to Run.
func NewServerWith(db *data.DB, tokens *jwtauth.Authenticator, cfg Config, opts ...server.Option) (*server.Server, *BinderWorker, error) {
	binder := cfg.Binder
	opts = append([]server.Option{server.WithInfo(methods.Info)}, opts...)
	opts = append(opts, server.WithGetter(EnvironmentGetter(db)),
		server.WithGroupAuth(methods.Collections, CollectionAuth(db)),
		server.WithGroupAuth(methods.Binder, binder.auth()),
		server.WithGroupAuth(methods.Mobyle, MobyleAuth(db)), server.WithGroupAuth(methods.MobyleAdmin, MobyleAuth(db)))
	if tokens != nil {
		tokens.SetRevoked(db.TokenRevoked)
		opts = append(opts, server.WithAuth(Auth(tokens)))
	}
	srv := server.New(opts...)
	if err := srv.Register(NewInmanta(db, tokens), methods.InmantaV1, methods.InmantaV2); err != nil {
		return nil, nil, err
	}
	if err := srv.Register(NewCollections(db), methods.Collections, methods.CollectionsAdmin); err != nil {
		return nil, nil, err
	}
	handles, worker := NewBinder(db, binder, srv.Logger())
	if err := srv.Register(handles, methods.Binder); err != nil {
		return nil, nil, err
	}
	if err := srv.Register(NewIntegrations(db, cfg.CallTimeout, cfg.IntegrationProviders...), methods.Integrations); err != nil {
		return nil, nil, err
	}
	if err := srv.Register(NewMobyle(db), methods.Mobyle, methods.MobyleAdmin); err != nil {
		return nil, nil, err
	}
	return srv, worker, nil
}

// EnvironmentGetter loads the environment an id names, for handles that
// ask for a data.Environment where the method takes an environment id
// (Inmanta's convert_environment getter).
func EnvironmentGetter(db *data.DB) func(context.Context, uuid.UUID) (data.Environment, error) {
	return func(ctx context.Context, id uuid.UUID) (data.Environment, error) {
		env, err := db.GetEnvironment(ctx, id)
		if errors.Is(err, data.ErrNotFound) {
			return env, protocol.NotFound("The given environment id does not exist!")
		}
		if err != nil {
			return env, fmt.Errorf("load environment %s: %w", id, err)
		}
		return env, nil
	}
}

// storeError turns a storage error into the error to answer with: a
// missing row is a 404 with notFound as its message, a conflict a 409 with
// the storage's message; anything else is an internal error.
func storeError(err error, notFound string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, data.ErrNotFound):
		return protocol.NotFound("%s", notFound).Wrap(err)
	case errors.Is(err, data.ErrConflict):
		return protocol.Conflict("%s", conflictMessage(err)).Wrap(err)
	}
	return err
}

// conflictMessage is what the storage said of a conflict, without the
// sentinel's own text.
func conflictMessage(err error) string {
	var ce *data.ConflictError
	if errors.As(err, &ce) {
		return ce.Msg
	}
	return err.Error()
}

// Auth is the reference server's authentication: authn reads the caller,
// the client types are Inmanta's, and the environment a token is limited
// to is checked against the X-Inmanta-tid header.
func Auth(authn protocol.Authenticator) protocol.Auth {
	return protocol.Auth{Authenticator: authn, ClientTypes: methods.ClientTypes, EnvironmentHeader: methods.EnvironmentHeader}
}
