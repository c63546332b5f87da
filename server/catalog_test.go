package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

var (
	errNoTemplate = protocol.Named("templateDoesNotExist", 404, "the template {template-name} does not exist",
		"list the templates, then ask for {template-name} again by its exact name")
	errBusy    = protocol.Named("busy", 503, "the builder is busy", "retry in a minute")
	errUnknown = protocol.Named("neverDeclared", 409, "nobody declared this")
)

// GetTemplate declares its named errors; its group adds errBusy.
type GetTemplate struct {
	protocol.Method[Item] `path:"/templates/<template-name>" operation:"GET" msg:"Getting template {template-name}" success_msg:"Got {template-name}"`

	TemplateName string `json:"template-name"`
}

func (GetTemplate) Errors() []*protocol.Error { return []*protocol.Error{errNoTemplate} }

type catalogHandles struct{}

func (catalogHandles) GetTemplate(_ context.Context, in GetTemplate) (Item, error) {
	switch in.TemplateName {
	case "missing":
		return Item{}, errNoTemplate
	case "busy":
		return Item{}, errBusy
	case "rogue":
		return Item{}, errUnknown
	}
	return Item{Name: in.TemplateName}, nil
}

var catalogGroup = &protocol.Group{Name: "catalog", Methods: []any{GetTemplate{}}, Errors: []*protocol.Error{errBusy}}

func TestNamedErrors(t *testing.T) {
	var violations []string
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)),
		server.WithContractViolations(func(method string, err *protocol.Error) { violations = append(violations, method+": "+err.Name) }))
	if err := s.Register(catalogHandles{}, catalogGroup); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	for _, tc := range []struct {
		name        string
		status      int
		want        *protocol.Error
		message     string
		suggestions string
	}{
		{"missing", 404, errNoTemplate, "the template missing does not exist", "list the templates, then ask for missing again by its exact name"},
		{"busy", 503, errBusy, "the builder is busy", "retry in a minute"},
		{"rogue", 500, protocol.ErrInternal, "An internal error occurred; the server log has the details.", ""},
	} {
		resp, err := http.Get(ts.URL + "/api/v1/templates/" + tc.name)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := protocol.Problem{}.Decode(resp.StatusCode, body)
		if resp.StatusCode != tc.status || !errors.Is(got, tc.want) || got.Message != tc.message || strings.Join(got.Suggestions, "|") != tc.suggestions {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
		if tc.status == 500 && strings.Contains(string(body), "neverDeclared") {
			t.Errorf("an undeclared named error leaked: %s", body)
		}
	}
	if strings.Join(violations, ",") != "GetTemplate: neverDeclared" {
		t.Errorf("violations heard: %q", violations)
	}
	// errors.Is holds by name, whatever the message says after filling.
	if !errors.Is(&protocol.Error{Status: 404, Name: "templateDoesNotExist", Message: "other"}, errNoTemplate) {
		t.Error("errors.Is does not match a named error by its name")
	}
}

func TestNamedErrorsInOpenAPI(t *testing.T) {
	doc, err := protocol.OpenAPI(protocol.Info{Title: "t", Version: "1"}, catalogGroup)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := doc.JSON()
	var d struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Description string                   `json:"description"`
				Named       []protocol.NamedErrorDoc `json:"x-named-errors"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	op := d.Paths["/api/v1/templates/{template-name}"]["get"]
	for status, want := range map[string]string{"404": "templateDoesNotExist", "503": "busy"} {
		r := op.Responses[status]
		if len(r.Named) != 1 || r.Named[0].Name != want || len(r.Named[0].Suggestions) != 1 || !strings.Contains(r.Description, want+": ") {
			t.Errorf("%s: %+v", status, r)
		}
	}
	spec, _ := protocol.Describe(GetTemplate{})
	if spec.Msg != "Getting template {template-name}" || spec.SuccessMsg != "Got {template-name}" {
		t.Errorf("messages: %q %q", spec.Msg, spec.SuccessMsg)
	}
}

type (
	UnnamedInCatalog struct {
		protocol.Method[Item] `path:"/x" operation:"GET"`
	}
	UnknownPlaceholder struct {
		protocol.Method[Item] `path:"/x" operation:"GET"`
	}
	TwiceNamed struct {
		protocol.Method[Item] `path:"/x" operation:"GET"`
	}
	BadMsg struct {
		protocol.Method[Item] `path:"/x" operation:"GET" msg:"Getting {nothing}"`
	}
)

func (UnnamedInCatalog) Errors() []*protocol.Error {
	return []*protocol.Error{protocol.NotFound("no name")}
}
func (UnknownPlaceholder) Errors() []*protocol.Error {
	return []*protocol.Error{protocol.Named("x", 404, "no {colour}")}
}
func (TwiceNamed) Errors() []*protocol.Error {
	return []*protocol.Error{protocol.Named("x", 404, "a"), protocol.Named("x", 409, "b")}
}

func TestCatalogDeclarationErrors(t *testing.T) {
	for _, tc := range []struct {
		decl any
		want string
	}{
		{UnnamedInCatalog{}, "an error without a name"},
		{UnknownPlaceholder{}, "names {colour}, which is not an argument"},
		{TwiceNamed{}, "two named errors are called x"},
		{BadMsg{}, "names {nothing}"},
	} {
		if _, err := protocol.Describe(tc.decl); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%T: err = %v, want %q", tc.decl, err, tc.want)
		}
	}
}
