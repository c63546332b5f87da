package methods

import (
	"time"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
)

// CreateToken creates or gets a token for the given client types, limited
// to the environment of the X-Inmanta-tid header.
//
// An idempotent token carries no issue or expiry time, so the same request
// gives the same token. It fails with Unavailable when the server runs
// without a token secret.
type CreateToken struct {
	protocol.Method[string] `path:"/environment_auth" operation:"POST" envelope:"true" envelope_key:"token"`

	Tid         uuid.UUID `json:"tid" header:"X-Inmanta-tid" reply_header:"true" doc:"The id of the environment."`
	ClientTypes []string  `json:"client_types" validate:"required,min=1,dive,oneof=api agent compiler" doc:"The client types the token is valid for: api, agent, compiler."`
	Idempotent  bool      `json:"idempotent" default:"true" doc:"Give the same token for the same request: no issue or expiry time."`
}

// EnvironmentCreateToken creates or gets a token for the given client
// types, limited to the environment of the X-Inmanta-tid header.
type EnvironmentCreateToken struct {
	protocol.Method[string] `path:"/environment_auth" operation:"POST" api_version:"2" envelope:"true"`

	Tid         uuid.UUID `json:"tid" header:"X-Inmanta-tid" reply_header:"true" doc:"The id of the environment."`
	ClientTypes []string  `json:"client_types" validate:"required,min=1,dive,oneof=api agent compiler" doc:"The client types the token is valid for: api, agent, compiler."`
	Idempotent  bool      `json:"idempotent" default:"true" doc:"Give the same token for the same request: no issue or expiry time."`
}

// EnvironmentTokenList lists the tokens issued for the environment of the
// X-Inmanta-tid header, oldest first: all of them, or a page at a time when
// given a limit.
type EnvironmentTokenList struct {
	protocol.Method[protocol.Page[Token]] `path:"/environment_auth" operation:"GET" api_version:"2"`

	Tid  uuid.UUID       `json:"tid" header:"X-Inmanta-tid" reply_header:"true" doc:"The id of the environment."`
	Page protocol.Paging `paging:"sort=issued_at;unlimited"`
}

// EnvironmentTokenRevoke revokes a token of the environment of the
// X-Inmanta-tid header: every server refuses it from its next request on.
//
// It fails with NotFound when the environment issued no token of that id.
type EnvironmentTokenRevoke struct {
	protocol.Method[protocol.NoReply] `path:"/environment_auth/<jti>" operation:"DELETE" api_version:"2" envelope:"true"`

	Tid uuid.UUID `json:"tid" header:"X-Inmanta-tid" reply_header:"true" doc:"The id of the environment."`
	Jti string    `json:"jti" doc:"The id of the token (its jti claim)."`
}

// Token describes an issued token; the token itself is not kept.
type Token struct {
	ID          string     `json:"id" doc:"The token's jti claim."`
	Environment uuid.UUID  `json:"environment"`
	ClientTypes []string   `json:"client_types"`
	Idempotent  bool       `json:"idempotent"`
	IssuedAt    time.Time  `json:"issued_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
}
