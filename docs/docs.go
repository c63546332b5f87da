// Package docs holds what go generate derives from the reference server's
// declarations for its documentation: their doc comments (zz_docs.go,
// registered with protocol for the OpenAPI document) and a snapshot of the
// OpenAPI 3.1 document (openapi.json), registered with swag so tools of the
// swag ecosystem can read it.
package docs

import (
	_ "embed"

	"github.com/swaggo/swag"
)

//go:generate go run ../cmd/tagrpc-gen -root ..

// OpenAPI is the OpenAPI 3.1 document of the reference server, as
// generated.
//
//go:embed openapi.json
var OpenAPI string

type document struct{}

// ReadDoc implements swag.Swagger.
func (document) ReadDoc() string { return OpenAPI }

func init() {
	swag.Register(swag.Name, document{})
}
