package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/swaggo/swag"

	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/docs"
	"github.com/tagrpc/tagrpc/methods"
)

// loadDocument fetches a served document and validates it with kin-openapi.
func loadDocument(t *testing.T, a *api, path string) *openapi3.T {
	t.Helper()
	r := a.do("GET", path, "")
	if r.status != 200 {
		t.Fatalf("GET %s: status %d", path, r.status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("%s does not load: %v", path, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not valid: %v", path, err)
	}
	return doc
}

func TestOpenAPIDocuments(t *testing.T) {
	a := start(t, datatest.SQLite(t))
	for _, path := range []string{"/openapi.json", "/openapi-3.0.json"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			doc := loadDocument(t, a, path)
			for _, g := range methods.Groups {
				specs, err := g.Specs()
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range specs {
					p := strings.NewReplacer("<", "{", ">", "}").Replace(s.URL)
					item := doc.Paths.Find(p)
					if item == nil {
						t.Errorf("%s: path %s is missing", s.Name, p)
						continue
					}
					op := item.GetOperation(s.Operation)
					if op == nil || op.OperationID != s.Name {
						t.Errorf("%s: no %s operation at %s", s.Name, s.Operation, p)
						continue
					}
					if len(op.Parameters)+len(s.Args) > 0 && op.Responses.Default() == nil {
						t.Errorf("%s: no error response", s.Name)
					}
					ok := op.Responses.Status(s.Status)
					if ok == nil {
						t.Errorf("%s: no %d response", s.Name, s.Status)
					} else if hasBody := ok.Value.Content.Get("application/json") != nil; hasBody != s.Reply {
						t.Errorf("%s: success response has a body: %v, want %v", s.Name, hasBody, s.Reply)
					}
					if op.Summary == "" {
						t.Errorf("%s: no summary from its doc comment", s.Name)
					}
					for _, arg := range s.Args {
						if arg.Kwargs != "" {
							if op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/json").Schema.Value.AdditionalProperties.Schema == nil {
								t.Errorf("%s: the body takes no keys beside the declared ones, but %s takes them", s.Name, arg.Name)
							}
							continue
						}
						if string(arg.In) == "body" {
							if op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/json").Schema.Value.Properties[arg.Name] == nil {
								t.Errorf("%s: body argument %s is not in the request body", s.Name, arg.Name)
							}
							continue
						}
						name := arg.Name
						if arg.Header != "" {
							name = arg.Header
						}
						if op.Parameters.GetByInAndName(string(arg.In), name) == nil {
							t.Errorf("%s: parameter %s in %s is missing", s.Name, name, arg.In)
						}
					}
				}
			}
		})
	}
}

// The served document is the committed snapshot: go generate and the
// running server build it from the same declarations.
func TestServedDocumentIsTheSnapshot(t *testing.T) {
	a := start(t, datatest.SQLite(t))
	r := a.do("GET", "/openapi.json", "")
	if string(r.body) != docs.OpenAPI {
		t.Error("GET /openapi.json differs from docs/openapi.json: run go generate ./...")
	}
	if swagRead(t) != docs.OpenAPI {
		t.Error("the document registered with swag is not the snapshot")
	}
}

func swagRead(t *testing.T) string {
	t.Helper()
	s, err := swag.ReadDoc()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
