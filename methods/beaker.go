package methods

import (
	"encoding/json"
	"time"

	"github.com/tagrpc/tagrpc/protocol"
)

// Integrations is Beaker's integrations API: per session, a flattened map
// of the integrations of every provider, with their resources. Only adding
// an integration names its provider; bodies reach the providers as
// keyword arguments, as Beaker's **kwargs.
var Integrations = &protocol.Group{
	Name:          "beaker-integrations",
	Doc:           "Beaker integrations: a session's flattened map of integrations across providers, and their resources.",
	InvalidStatus: 422,
	Methods: []any{
		IntegrationList{}, IntegrationGet{}, IntegrationResources{}, IntegrationResource{},
		IntegrationAdd{}, IntegrationUpdate{}, IntegrationAddResource{}, IntegrationUpdateResource{},
		IntegrationDeleteResource{}, ContextCall{},
	},
}

// Integration is one integration, whichever provider holds it.
type Integration struct {
	UUID        string              `json:"uuid"`
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Provider    string              `json:"provider" doc:"The provider holding it, e.g. adhoc:specialists."`
	Slug        string              `json:"slug" doc:"Made from the name."`
	Datatype    string              `json:"datatype" doc:"api, database or dataset."`
	URL         string              `json:"url"`
	ImgURL      string              `json:"img_url"`
	Source      string              `json:"source"`
	LastUpdated time.Time           `json:"last_updated"`
	Resources   map[string]Resource `json:"resources"`
}

// Resource is a file or an example of an integration.
type Resource struct {
	ResourceID   string `json:"resource_id"`
	ResourceType string `json:"resource_type" doc:"file or example."`
	Integration  string `json:"integration" doc:"The uuid of its integration."`
	// A file's fields.
	Name     string `json:"name,omitempty"`
	Filepath string `json:"filepath,omitempty"`
	Content  string `json:"content,omitempty"`
	// An example's fields.
	Query string `json:"query,omitempty"`
	Code  string `json:"code,omitempty"`
	Notes string `json:"notes,omitempty"`
}

// IntegrationMap is a session's integrations by uuid.
type IntegrationMap struct {
	Integrations map[string]Integration `json:"integrations"`
}

// ResourceList is the resources of an integration.
type ResourceList struct {
	Resources []Resource `json:"resources"`
}

// IntegrationList lists the integrations of every provider in a session.
type IntegrationList struct {
	protocol.Method[IntegrationMap] `path:"/beaker/integrations/<session_id>" operation:"GET" bare:"true"`

	SessionID string `json:"session_id"`
}

// IntegrationGet gets one integration.
type IntegrationGet struct {
	protocol.Method[Integration] `path:"/beaker/integrations/<session_id>/<integration_id>" operation:"GET" bare:"true"`

	SessionID     string `json:"session_id"`
	IntegrationID string `json:"integration_id"`
}

// IntegrationResources lists the resources of an integration: all of them,
// or those of one type (file, example).
type IntegrationResources struct {
	protocol.Method[ResourceList] `path:"/beaker/integrations/<session_id>/<integration_id>/<resource_type>" operation:"GET" bare:"true"`

	SessionID     string `json:"session_id"`
	IntegrationID string `json:"integration_id"`
	ResourceType  string `json:"resource_type" validate:"oneof=all file example" doc:"all, file or example."`
}

// IntegrationResource gets one resource of an integration.
type IntegrationResource struct {
	protocol.Method[Resource] `path:"/beaker/integrations/<session_id>/<integration_id>/<resource_type>/<resource_id>" operation:"GET" bare:"true"`

	SessionID     string `json:"session_id"`
	IntegrationID string `json:"integration_id"`
	ResourceType  string `json:"resource_type" validate:"oneof=all file example"`
	ResourceID    string `json:"resource_id"`
}

// IntegrationAdd adds an integration on the provider the body names; the
// rest of the body goes to the provider as it is.
type IntegrationAdd struct {
	protocol.Method[Integration] `path:"/beaker/integrations/<session_id>/" operation:"POST" bare:"true"`

	SessionID string         `json:"session_id"`
	Provider  string         `json:"provider" doc:"The provider to hold it, e.g. adhoc:specialists."`
	Fields    map[string]any `json:"fields" kwargs:"path" doc:"The integration's fields: name, description, datatype, url, img_url, source."`
}

// IntegrationUpdate changes an integration; the id in the path wins over
// one in the body.
type IntegrationUpdate struct {
	protocol.Method[Integration] `path:"/beaker/integrations/<session_id>/<integration_id>" operation:"POST" bare:"true"`

	SessionID     string         `json:"session_id"`
	IntegrationID string         `json:"integration_id"`
	Fields        map[string]any `json:"fields" kwargs:"path"`
}

// IntegrationAddResource adds a resource of a type to an integration.
type IntegrationAddResource struct {
	protocol.Method[Resource] `path:"/beaker/integrations/<session_id>/<integration_id>/<resource_type>" operation:"POST" bare:"true"`

	SessionID     string         `json:"session_id"`
	IntegrationID string         `json:"integration_id"`
	ResourceType  string         `json:"resource_type" validate:"oneof=file example" doc:"file or example."`
	Fields        map[string]any `json:"fields" kwargs:"path" doc:"file: name, filepath, content; example: query, code, notes."`
}

// IntegrationUpdateResource changes a resource; the ids in the path win.
type IntegrationUpdateResource struct {
	protocol.Method[Resource] `path:"/beaker/integrations/<session_id>/<integration_id>/<resource_type>/<resource_id>" operation:"POST" bare:"true"`

	SessionID     string         `json:"session_id"`
	IntegrationID string         `json:"integration_id"`
	ResourceType  string         `json:"resource_type" validate:"oneof=file example"`
	ResourceID    string         `json:"resource_id"`
	Fields        map[string]any `json:"fields" kwargs:"path"`
}

// IntegrationDeleteResource deletes a resource.
type IntegrationDeleteResource struct {
	protocol.Method[Empty] `path:"/beaker/integrations/<session_id>/<integration_id>/<resource_type>/<resource_id>" operation:"DELETE" bare:"true"`

	SessionID     string `json:"session_id"`
	IntegrationID string `json:"integration_id"`
	ResourceType  string `json:"resource_type" validate:"oneof=file example"`
	ResourceID    string `json:"resource_id"`
}

// ContextCall calls a function of a member of a session's context by name
// (Beaker's call_in_context): the context itself ("context"), a provider
// ("provider:<name>") or an integration ("integration:<uuid>"). Only the
// functions a member declares callable are reachable.
type ContextCall struct {
	protocol.Method[CallResult] `path:"/beaker/context/<session_id>/call" operation:"POST" bare:"true"`

	SessionID string                     `json:"session_id"`
	Target    string                     `json:"target" validate:"required" doc:"context, provider:<name> or integration:<uuid>."`
	Function  string                     `json:"function" validate:"required" doc:"The function, in snake_case."`
	Args      []json.RawMessage          `json:"args" doc:"Positional arguments."`
	Kwargs    map[string]json.RawMessage `json:"kwargs" doc:"Keyword arguments."`
}

// CallResult is what a called function returned.
type CallResult struct {
	Status string `json:"status" doc:"ok"`
	Return any    `json:"return"`
}
