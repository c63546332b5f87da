// Package jwtauth issues and checks the bearer tokens of a tagrpc server:
// JWTs signed with HS256 and a server secret, carrying Inmanta's claims
// for client types (urn:inmanta:ct) and environment (urn:inmanta:env).
package jwtauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tagrpc/tagrpc/protocol"
)

// Claims are a token's claims.
type Claims struct {
	jwt.RegisteredClaims
	ClientTypes []string `json:"urn:inmanta:ct"`
	Environment string   `json:"urn:inmanta:env,omitempty"`
}

// Config configures an Authenticator.
type Config struct {
	// Secret signs and verifies tokens: at least 32 bytes.
	Secret []byte
	// Issuer is the iss claim written and required (default "tagrpc").
	Issuer string
	// Revoked, when set, says whether the token with a jti was revoked.
	// Its answers are cached for RevocationCache, so that every replica
	// refuses a revoked token within that time of its revocation.
	Revoked func(ctx context.Context, jti string) (bool, error)
	// RevocationCache bounds how long a revocation check is reused
	// (default one second).
	RevocationCache time.Duration
}

// MinSecret is the shortest secret accepted: HS256 wants a key as long as
// its hash.
const MinSecret = 32

// maxCached bounds the verified tokens kept; the cache is emptied when full.
const maxCached = 10_000

// Authenticator checks bearer tokens; it is a protocol.Authenticator.
type Authenticator struct {
	cfg    Config
	parser *jwt.Parser
	key    any // the secret, boxed once for the key function

	mu       sync.RWMutex
	verified map[string]verified // token → what it said, once its signature held
}

type verified struct {
	caller    *protocol.Caller
	expires   time.Time // zero: never
	checkedAt time.Time // of the revocation check
}

// New returns an Authenticator for cfg.
func New(cfg Config) (*Authenticator, error) {
	if len(cfg.Secret) < MinSecret {
		return nil, fmt.Errorf("jwtauth: the secret has %d bytes; it needs at least %d", len(cfg.Secret), MinSecret)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "tagrpc"
	}
	if cfg.RevocationCache <= 0 {
		cfg.RevocationCache = time.Second
	}
	return &Authenticator{
		cfg: cfg,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(cfg.Issuer), jwt.WithLeeway(5*time.Second)),
		key:      cfg.Secret,
		verified: map[string]verified{},
	}, nil
}

// SetRevoked sets the revocation check (see Config.Revoked). Call it
// before the Authenticator serves requests.
func (a *Authenticator) SetRevoked(fn func(ctx context.Context, jti string) (bool, error)) {
	a.cfg.Revoked = fn
}

// Forget drops what is cached of the token with a jti, so that this
// server checks it again on its next use: call it on revoking a token.
// Other servers see the revocation within Config.RevocationCache.
func (a *Authenticator) Forget(jti string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, v := range a.verified {
		if v.caller.TokenID == jti {
			delete(a.verified, k)
		}
	}
}

// Issue signs a token for subject with the given client types, limited to
// environment when it is not empty, valid for ttl (0: no expiry; a
// negative ttl issues an expired token, for tests).
func (a *Authenticator) Issue(subject string, clientTypes []string, environment string, ttl time.Duration) (string, Claims, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", Claims{}, fmt.Errorf("jwtauth: token id: %w", err)
	}
	now := time.Now().Truncate(time.Second)
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: a.cfg.Issuer, Subject: subject, IssuedAt: jwt.NewNumericDate(now), ID: hex.EncodeToString(id[:]),
		},
		ClientTypes: clientTypes, Environment: environment,
	}
	if ttl != 0 {
		c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	}
	s, err := a.Sign(c)
	return s, c, err
}

// Sign signs claims as they are, with the issuer set to the server's. The
// same claims give the same token: Inmanta's idempotent tokens, which
// carry no issue time, rely on it.
func (a *Authenticator) Sign(c Claims) (string, error) {
	c.Issuer = a.cfg.Issuer
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(a.cfg.Secret)
	if err != nil {
		return "", fmt.Errorf("jwtauth: sign: %w", err)
	}
	return s, nil
}

// Authenticate implements protocol.Authenticator: it reads the bearer
// token of r. Every failure is a 401 saying why.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (*protocol.Caller, error) {
	token, err := bearer(r.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	a.mu.RLock()
	v, hit := a.verified[token]
	a.mu.RUnlock()
	if !hit {
		if v, err = a.verify(token); err != nil {
			return nil, err
		}
	}
	if !v.expires.IsZero() && now.After(v.expires.Add(5*time.Second)) {
		return nil, protocol.Unauthorized("the token has expired")
	}
	if a.cfg.Revoked != nil && v.caller.TokenID != "" && now.Sub(v.checkedAt) > a.cfg.RevocationCache {
		revoked, err := a.cfg.Revoked(ctx, v.caller.TokenID)
		if err != nil {
			return nil, fmt.Errorf("jwtauth: check revocation of %s: %w", v.caller.TokenID, err)
		}
		if revoked {
			return nil, protocol.Unauthorized("the token has been revoked")
		}
		v.checkedAt = now
		hit = false // store the new check time
	}
	if !hit {
		a.mu.Lock()
		if len(a.verified) >= maxCached {
			clear(a.verified)
		}
		a.verified[token] = v
		a.mu.Unlock()
	}
	return v.caller, nil
}

// verify checks a token's signature and claims.
func (a *Authenticator) verify(token string) (verified, error) {
	var c Claims
	_, err := a.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return a.key, nil })
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return verified{}, protocol.Unauthorized("the token has expired")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return verified{}, protocol.Unauthorized("the token's signature is not valid")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return verified{}, protocol.Unauthorized("the token was not issued by this server")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return verified{}, protocol.Unauthorized("the token is malformed")
	default:
		return verified{}, protocol.Unauthorized("the token is not valid: %s", err.Error())
	}
	v := verified{caller: &protocol.Caller{
		Subject: c.Subject, ClientTypes: c.ClientTypes, Environment: c.Environment, TokenID: c.ID,
	}}
	if c.ExpiresAt != nil {
		v.expires = c.ExpiresAt.Time
	}
	return v, nil
}

// bearer takes the token out of an Authorization header.
func bearer(h string) (string, error) {
	if h == "" {
		return "", protocol.Unauthorized("no credentials: send Authorization: Bearer <token>")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", protocol.Unauthorized("the Authorization header is not Bearer <token>")
	}
	return strings.TrimSpace(token), nil
}
