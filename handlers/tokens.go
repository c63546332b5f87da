package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/protocol/jwtauth"
)

// createToken issues a token limited to env and records it, so that it can
// be listed and revoked.
func (h *Inmanta) createToken(ctx context.Context, env data.Environment, types []string, idempotent bool, who *protocol.Caller) (string, error) {
	if h.tokens == nil {
		return "", protocol.Unavailable("this server runs without a token secret: start it with --auth to issue tokens")
	}
	types = slices.Clone(types)
	slices.Sort(types)
	types = slices.Compact(types)
	var (
		token string
		rec   = data.Token{EnvironmentID: env.ID, ClientTypes: types, Subject: who.Subject, Idempotent: idempotent, IssuedAt: time.Now()}
		err   error
	)
	if idempotent {
		// The same environment and client types give the same claims, so
		// the same token and the same id.
		sum := sha256.Sum256([]byte(env.ID.String() + "/" + strings.Join(types, ",")))
		c := jwtauth.Claims{ClientTypes: types, Environment: env.ID.String()}
		c.ID = hex.EncodeToString(sum[:16])
		rec.ID = c.ID
		token, err = h.tokens.Sign(c)
	} else {
		var c jwtauth.Claims
		token, c, err = h.tokens.Issue(who.Subject, types, env.ID.String(), 0)
		rec.ID = c.ID
	}
	if err != nil {
		return "", err
	}
	return token, storeError(h.db.RecordToken(ctx, rec), environmentNotFound)
}

type tokenArgs struct {
	Env         envArg `arg:"tid"`
	ClientTypes []string
	Idempotent  bool
	Who         *protocol.Caller
}

// CreateToken implements methods.CreateToken.
func (h *Inmanta) CreateToken(ctx context.Context, in tokenArgs) (string, error) {
	return h.createToken(ctx, in.Env, in.ClientTypes, in.Idempotent, in.Who)
}

// EnvironmentCreateToken implements methods.EnvironmentCreateToken.
func (h *Inmanta) EnvironmentCreateToken(ctx context.Context, in tokenArgs) (string, error) {
	return h.createToken(ctx, in.Env, in.ClientTypes, in.Idempotent, in.Who)
}

// EnvironmentTokenList implements methods.EnvironmentTokenList.
func (h *Inmanta) EnvironmentTokenList(ctx context.Context, in struct {
	Env  envArg `arg:"tid"`
	Page protocol.Paging
}) (protocol.Page[methods.Token], error) {
	list, meta, bounds, err := h.db.TokensPage(ctx, in.Env.ID, in.Page)
	if err != nil {
		return protocol.Page[methods.Token]{}, err
	}
	out := make([]methods.Token, len(list))
	for i, t := range list {
		out[i] = methods.Token{ID: t.ID, Environment: t.EnvironmentID, ClientTypes: t.ClientTypes, Idempotent: t.Idempotent,
			IssuedAt: t.IssuedAt, ExpiresAt: timeOrNil(t.ExpiresAt), RevokedAt: timeOrNil(t.RevokedAt)}
	}
	return protocol.Page[methods.Token]{Data: out, Metadata: meta, Bounds: bounds}, nil
}

// EnvironmentTokenRevoke implements methods.EnvironmentTokenRevoke.
func (h *Inmanta) EnvironmentTokenRevoke(ctx context.Context, in struct {
	Env envArg `arg:"tid"`
	Jti string
}) error {
	notFound := "The environment issued no token with id " + in.Jti + "."
	t, err := h.db.Token(ctx, in.Jti)
	if err != nil {
		return storeError(err, notFound)
	}
	if t.EnvironmentID != in.Env.ID {
		return protocol.NotFound("%s", notFound)
	}
	if err := h.db.RevokeToken(ctx, in.Jti, time.Now()); err != nil {
		return storeError(err, notFound)
	}
	if h.tokens != nil {
		h.tokens.Forget(in.Jti)
	}
	return nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
