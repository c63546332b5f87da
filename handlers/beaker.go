package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
)

// IntegrationProvider holds integrations, as Beaker's providers do. Bodies
// reach it as keyword arguments (fields), unchanged. Its errors are
// answers: *protocol.Error values choose the status.
type IntegrationProvider interface {
	// Handles says whether the provider answers to a provider name of an
	// added integration ("adhoc:<slug>", say).
	Handles(provider string) bool
	List(ctx context.Context, session string) ([]methods.Integration, error)
	// Get returns (false) when the provider does not hold the integration.
	Get(ctx context.Context, session, id string) (methods.Integration, bool, error)
	Add(ctx context.Context, session, provider string, fields map[string]any) (methods.Integration, error)
	Update(ctx context.Context, session, id string, fields map[string]any) (methods.Integration, error)
	AddResource(ctx context.Context, session, id, typ string, fields map[string]any) (methods.Resource, error)
	UpdateResource(ctx context.Context, session, id, resourceID string, fields map[string]any) (methods.Resource, error)
	DeleteResource(ctx context.Context, session, id, resourceID string) error
}

// Integrations serves Beaker's integrations: the flattened map across its
// providers, the first of which answers for the ones it handles.
type Integrations struct {
	providers []IntegrationProvider
	// CallTimeout bounds a call_in_context call; 0: 10 s.
	CallTimeout time.Duration
}

// NewIntegrations serves the adhoc provider on db, and the others given.
func NewIntegrations(db *data.DB, callTimeout time.Duration, others ...IntegrationProvider) *Integrations {
	return &Integrations{providers: append([]IntegrationProvider{AdhocProvider{DB: db}}, others...), CallTimeout: callTimeout}
}

// holder finds the provider holding an integration.
func (h *Integrations) holder(ctx context.Context, session, id string) (IntegrationProvider, methods.Integration, error) {
	for _, p := range h.providers {
		in, ok, err := p.Get(ctx, session, id)
		if err != nil {
			return nil, in, err
		}
		if ok {
			return p, in, nil
		}
	}
	return nil, methods.Integration{}, protocol.NotFound("no integration %q in session %q", id, session)
}

// IntegrationList implements methods.IntegrationList.
func (h *Integrations) IntegrationList(ctx context.Context, in methods.IntegrationList) (methods.IntegrationMap, error) {
	out := methods.IntegrationMap{Integrations: map[string]methods.Integration{}}
	for _, p := range h.providers {
		list, err := p.List(ctx, in.SessionID)
		if err != nil {
			return out, err
		}
		for _, i := range list {
			out.Integrations[i.UUID] = i
		}
	}
	return out, nil
}

// IntegrationGet implements methods.IntegrationGet.
func (h *Integrations) IntegrationGet(ctx context.Context, in methods.IntegrationGet) (methods.Integration, error) {
	_, i, err := h.holder(ctx, in.SessionID, in.IntegrationID)
	return i, err
}

// IntegrationResources implements methods.IntegrationResources.
func (h *Integrations) IntegrationResources(ctx context.Context, in methods.IntegrationResources) (methods.ResourceList, error) {
	_, i, err := h.holder(ctx, in.SessionID, in.IntegrationID)
	if err != nil {
		return methods.ResourceList{}, err
	}
	out := methods.ResourceList{Resources: []methods.Resource{}}
	for _, r := range i.Resources {
		if in.ResourceType == "all" || r.ResourceType == in.ResourceType {
			out.Resources = append(out.Resources, r)
		}
	}
	slices.SortFunc(out.Resources, func(a, b methods.Resource) int { return strings.Compare(a.ResourceID, b.ResourceID) })
	return out, nil
}

// resource finds a resource of an integration, and the provider holding
// it; typ "all" matches any type.
func (h *Integrations) resource(ctx context.Context, session, id, typ, resourceID string) (IntegrationProvider, methods.Resource, error) {
	p, i, err := h.holder(ctx, session, id)
	if err != nil {
		return nil, methods.Resource{}, err
	}
	r, ok := i.Resources[resourceID]
	if !ok || (typ != "all" && r.ResourceType != typ) {
		return nil, methods.Resource{}, protocol.NotFound("integration %q has no %s resource %q", id, typ, resourceID)
	}
	return p, r, nil
}

// IntegrationResource implements methods.IntegrationResource.
func (h *Integrations) IntegrationResource(ctx context.Context, in methods.IntegrationResource) (methods.Resource, error) {
	_, r, err := h.resource(ctx, in.SessionID, in.IntegrationID, in.ResourceType, in.ResourceID)
	return r, err
}

// IntegrationAdd implements methods.IntegrationAdd.
func (h *Integrations) IntegrationAdd(ctx context.Context, in methods.IntegrationAdd) (methods.Integration, error) {
	for _, p := range h.providers {
		if p.Handles(in.Provider) {
			return p.Add(ctx, in.SessionID, in.Provider, in.Fields)
		}
	}
	return methods.Integration{}, protocol.NotFound("no provider %q (adhoc:<slug> adds to the server's own)", in.Provider)
}

// IntegrationUpdate implements methods.IntegrationUpdate.
func (h *Integrations) IntegrationUpdate(ctx context.Context, in methods.IntegrationUpdate) (methods.Integration, error) {
	p, _, err := h.holder(ctx, in.SessionID, in.IntegrationID)
	if err != nil {
		return methods.Integration{}, err
	}
	return p.Update(ctx, in.SessionID, in.IntegrationID, in.Fields)
}

// IntegrationAddResource implements methods.IntegrationAddResource.
func (h *Integrations) IntegrationAddResource(ctx context.Context, in methods.IntegrationAddResource) (methods.Resource, error) {
	p, _, err := h.holder(ctx, in.SessionID, in.IntegrationID)
	if err != nil {
		return methods.Resource{}, err
	}
	return p.AddResource(ctx, in.SessionID, in.IntegrationID, in.ResourceType, in.Fields)
}

// IntegrationUpdateResource implements methods.IntegrationUpdateResource.
func (h *Integrations) IntegrationUpdateResource(ctx context.Context, in methods.IntegrationUpdateResource) (methods.Resource, error) {
	p, _, err := h.resource(ctx, in.SessionID, in.IntegrationID, in.ResourceType, in.ResourceID)
	if err != nil {
		return methods.Resource{}, err
	}
	return p.UpdateResource(ctx, in.SessionID, in.IntegrationID, in.ResourceID, in.Fields)
}

// IntegrationDeleteResource implements methods.IntegrationDeleteResource.
func (h *Integrations) IntegrationDeleteResource(ctx context.Context, in methods.IntegrationDeleteResource) (methods.Empty, error) {
	p, _, err := h.resource(ctx, in.SessionID, in.IntegrationID, in.ResourceType, in.ResourceID)
	if err != nil {
		return methods.Empty{}, err
	}
	return methods.Empty{}, p.DeleteResource(ctx, in.SessionID, in.IntegrationID, in.ResourceID)
}

// The fields an integration and its resources take from a body.
var (
	integrationFields = []string{"name", "description", "datatype", "url", "img_url", "source"}
	resourceFields    = map[string][]string{"file": {"name", "filepath", "content"}, "example": {"query", "code", "notes"}}
	slugChars         = regexp.MustCompile(`[^a-z0-9]+`)
)

// stringFields reads the named fields of a body as strings, refusing keys
// that are none of them: a 422 naming the field.
func stringFields(fields map[string]any, allowed []string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range fields {
		if !slices.Contains(allowed, k) {
			return nil, protocol.Unprocessable("field %q is not one of %s", k, strings.Join(allowed, ", "))
		}
		s, ok := v.(string)
		if !ok && v != nil {
			return nil, protocol.Unprocessable("field %q must be a string", k)
		}
		out[k] = s
	}
	return out, nil
}

// AdhocProvider holds integrations in the server's database, under any
// provider name adhoc:<slug>.
type AdhocProvider struct {
	DB *data.DB
}

// Handles implements IntegrationProvider.
func (p AdhocProvider) Handles(provider string) bool {
	slug, ok := strings.CutPrefix(provider, "adhoc:")
	return ok && slug != ""
}

func decodeIntegration(d data.IntegrationDoc) (methods.Integration, error) {
	var i methods.Integration
	if err := json.Unmarshal([]byte(d.Doc), &i); err != nil {
		return i, fmt.Errorf("integration %s: stored document: %w", d.UUID, err)
	}
	return i, nil
}

// List implements IntegrationProvider.
func (p AdhocProvider) List(ctx context.Context, session string) ([]methods.Integration, error) {
	docs, err := p.DB.Integrations(ctx, session)
	if err != nil {
		return nil, err
	}
	out := make([]methods.Integration, 0, len(docs))
	for _, d := range docs {
		i, err := decodeIntegration(d)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, nil
}

// Get implements IntegrationProvider.
func (p AdhocProvider) Get(ctx context.Context, session, id string) (methods.Integration, bool, error) {
	d, err := p.DB.Integration(ctx, session, id)
	if errors.Is(err, data.ErrNotFound) {
		return methods.Integration{}, false, nil
	}
	if err != nil {
		return methods.Integration{}, false, err
	}
	i, err := decodeIntegration(d)
	return i, err == nil, err
}

// setIntegration applies body fields to an integration and checks it.
func setIntegration(i *methods.Integration, fields map[string]any) error {
	f, err := stringFields(fields, integrationFields)
	if err != nil {
		return err
	}
	for k, v := range f {
		switch k {
		case "name":
			i.Name, i.Slug = v, strings.Trim(slugChars.ReplaceAllString(strings.ToLower(v), "_"), "_")
		case "description":
			i.Description = v
		case "datatype":
			i.Datatype = v
		case "url":
			i.URL = v
		case "img_url":
			i.ImgURL = v
		case "source":
			i.Source = v
		}
	}
	switch {
	case i.Name == "":
		return protocol.Unprocessable("field \"name\" is required")
	case !slices.Contains([]string{"api", "database", "dataset"}, i.Datatype):
		return protocol.Unprocessable("field \"datatype\" must be api, database or dataset, not %q", i.Datatype)
	}
	i.LastUpdated = time.Now().UTC()
	return nil
}

// Add implements IntegrationProvider.
func (p AdhocProvider) Add(ctx context.Context, session, provider string, fields map[string]any) (methods.Integration, error) {
	i := methods.Integration{UUID: uuid.NewString(), Provider: provider, Resources: map[string]methods.Resource{}}
	if err := setIntegration(&i, fields); err != nil {
		return i, err
	}
	doc, _ := json.Marshal(i)
	return i, p.DB.PutIntegration(ctx, data.IntegrationDoc{UUID: i.UUID, SessionID: session, Provider: provider, Doc: string(doc)})
}

// change updates a stored integration in a transaction.
func (p AdhocProvider) change(ctx context.Context, session, id string, fn func(*methods.Integration) error) (methods.Integration, error) {
	var out methods.Integration
	err := p.DB.UpdateIntegration(ctx, session, id, func(doc string) (string, error) {
		if err := json.Unmarshal([]byte(doc), &out); err != nil {
			return "", fmt.Errorf("integration %s: stored document: %w", id, err)
		}
		if out.Resources == nil {
			out.Resources = map[string]methods.Resource{}
		}
		if err := fn(&out); err != nil {
			return "", err
		}
		b, err := json.Marshal(out)
		return string(b), err
	})
	if errors.Is(err, data.ErrNotFound) {
		return out, protocol.NotFound("no integration %q in session %q", id, session)
	}
	return out, err
}

// Update implements IntegrationProvider.
func (p AdhocProvider) Update(ctx context.Context, session, id string, fields map[string]any) (methods.Integration, error) {
	return p.change(ctx, session, id, func(i *methods.Integration) error {
		delete(fields, "uuid") // the id of the path wins over one in the body
		return setIntegration(i, fields)
	})
}

// dropIDs takes out the ids a resource's body may repeat: those of the
// path, or the server's, win.
func dropIDs(fields map[string]any) {
	for _, k := range []string{"resource_id", "resource_type", "integration"} {
		delete(fields, k)
	}
}

func setResource(r *methods.Resource, fields map[string]any) error {
	f, err := stringFields(fields, resourceFields[r.ResourceType])
	if err != nil {
		return err
	}
	for k, v := range f {
		switch k {
		case "name":
			r.Name = v
		case "filepath":
			r.Filepath = v
		case "content":
			r.Content = v
		case "query":
			r.Query = v
		case "code":
			r.Code = v
		case "notes":
			r.Notes = v
		}
	}
	if r.ResourceType == "file" && r.Filepath == "" {
		return protocol.Unprocessable("field \"filepath\" is required for a file")
	}
	if r.ResourceType == "example" && r.Query == "" {
		return protocol.Unprocessable("field \"query\" is required for an example")
	}
	return nil
}

// AddResource implements IntegrationProvider.
func (p AdhocProvider) AddResource(ctx context.Context, session, id, typ string, fields map[string]any) (methods.Resource, error) {
	r := methods.Resource{ResourceID: uuid.NewString(), ResourceType: typ, Integration: id}
	_, err := p.change(ctx, session, id, func(i *methods.Integration) error {
		dropIDs(fields)
		if err := setResource(&r, fields); err != nil {
			return err
		}
		i.Resources[r.ResourceID] = r
		i.LastUpdated = time.Now().UTC()
		return nil
	})
	return r, err
}

// UpdateResource implements IntegrationProvider.
func (p AdhocProvider) UpdateResource(ctx context.Context, session, id, resourceID string, fields map[string]any) (methods.Resource, error) {
	var r methods.Resource
	_, err := p.change(ctx, session, id, func(i *methods.Integration) error {
		var ok bool
		if r, ok = i.Resources[resourceID]; !ok {
			return protocol.NotFound("integration %q has no resource %q", id, resourceID)
		}
		dropIDs(fields)
		if err := setResource(&r, fields); err != nil {
			return err
		}
		i.Resources[resourceID] = r
		i.LastUpdated = time.Now().UTC()
		return nil
	})
	return r, err
}

// DeleteResource implements IntegrationProvider.
func (p AdhocProvider) DeleteResource(ctx context.Context, session, id, resourceID string) error {
	_, err := p.change(ctx, session, id, func(i *methods.Integration) error {
		if _, ok := i.Resources[resourceID]; !ok {
			return protocol.NotFound("integration %q has no resource %q", id, resourceID)
		}
		delete(i.Resources, resourceID)
		i.LastUpdated = time.Now().UTC()
		return nil
	})
	return err
}

// FileProvider serves integrations loaded from a JSON file at start-up, in
// every session, read-only: a catalogue shipped beside the server.
type FileProvider struct {
	Name         string // its provider name, e.g. file:catalogue
	integrations []methods.Integration
}

// LoadFileProvider reads a JSON array of integrations.
func LoadFileProvider(name, path string) (*FileProvider, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("integrations file: %w", err)
	}
	p := &FileProvider{Name: name}
	if err := json.Unmarshal(b, &p.integrations); err != nil {
		return nil, fmt.Errorf("integrations file %s: %w", path, err)
	}
	for i := range p.integrations {
		in := &p.integrations[i]
		if in.UUID == "" {
			return nil, fmt.Errorf("integrations file %s: integration %d has no uuid", path, i)
		}
		in.Provider = name
		for id, r := range in.Resources {
			r.ResourceID, r.Integration = id, in.UUID
			in.Resources[id] = r
		}
	}
	return p, nil
}

// Handles implements IntegrationProvider: nothing is added to a file.
func (p *FileProvider) Handles(string) bool { return false }

// List implements IntegrationProvider.
func (p *FileProvider) List(context.Context, string) ([]methods.Integration, error) {
	return p.integrations, nil
}

// Get implements IntegrationProvider.
func (p *FileProvider) Get(_ context.Context, _, id string) (methods.Integration, bool, error) {
	for _, i := range p.integrations {
		if i.UUID == id {
			return i, true, nil
		}
	}
	return methods.Integration{}, false, nil
}

func (p *FileProvider) readOnly() error {
	return protocol.Forbidden("provider %s is read-only: its integrations come from a file", p.Name)
}

// Add implements IntegrationProvider.
func (p *FileProvider) Add(context.Context, string, string, map[string]any) (methods.Integration, error) {
	return methods.Integration{}, p.readOnly()
}

// Update implements IntegrationProvider.
func (p *FileProvider) Update(context.Context, string, string, map[string]any) (methods.Integration, error) {
	return methods.Integration{}, p.readOnly()
}

// AddResource implements IntegrationProvider.
func (p *FileProvider) AddResource(context.Context, string, string, string, map[string]any) (methods.Resource, error) {
	return methods.Resource{}, p.readOnly()
}

// UpdateResource implements IntegrationProvider.
func (p *FileProvider) UpdateResource(context.Context, string, string, string, map[string]any) (methods.Resource, error) {
	return methods.Resource{}, p.readOnly()
}

// DeleteResource implements IntegrationProvider.
func (p *FileProvider) DeleteResource(context.Context, string, string, string) error {
	return p.readOnly()
}

// contextMember is the session's context, as call_in_context reaches it.
type contextMember struct {
	h       *Integrations
	session string
}

// Callables implements protocol.Callable.
func (contextMember) Callables() []string { return []string{"ListIntegrations", "FindIntegrations"} }

// ListIntegrations is list_integrations: the session's flattened map.
func (c contextMember) ListIntegrations(ctx context.Context, _ struct{}) (methods.IntegrationMap, error) {
	return c.h.IntegrationList(ctx, methods.IntegrationList{SessionID: c.session})
}

// FindIntegrations is find_integrations(query): the integrations whose
// name or description holds the query, by name.
func (c contextMember) FindIntegrations(ctx context.Context, in struct {
	Query string `json:"query" validate:"required"`
}) ([]methods.Integration, error) {
	all, err := c.ListIntegrations(ctx, struct{}{})
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(in.Query)
	out := []methods.Integration{}
	for _, i := range all.Integrations {
		if strings.Contains(strings.ToLower(i.Name+" "+i.Description), q) {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(a, b methods.Integration) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// integrationMember is one integration, as call_in_context reaches it.
type integrationMember struct {
	in methods.Integration
}

// Callables implements protocol.Callable.
func (integrationMember) Callables() []string { return []string{"Describe", "FindResources"} }

// Describe is describe(): the integration's name, provider and counts.
func (m integrationMember) Describe(context.Context, struct{}) (map[string]any, error) {
	counts := map[string]int{}
	for _, r := range m.in.Resources {
		counts[r.ResourceType]++
	}
	return map[string]any{"name": m.in.Name, "provider": m.in.Provider, "datatype": m.in.Datatype, "resources": counts}, nil
}

// FindResources is find_resources(query, resource_type=None): resources
// holding the query in any of their texts.
func (m integrationMember) FindResources(_ context.Context, in struct {
	Query        string `json:"query" validate:"required"`
	ResourceType string `json:"resource_type" validate:"omitempty,oneof=file example"`
}) ([]methods.Resource, error) {
	q := strings.ToLower(in.Query)
	out := []methods.Resource{}
	for _, r := range m.in.Resources {
		text := strings.ToLower(strings.Join([]string{r.Name, r.Filepath, r.Content, r.Query, r.Code, r.Notes}, " "))
		if (in.ResourceType == "" || r.ResourceType == in.ResourceType) && strings.Contains(text, q) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b methods.Resource) int { return strings.Compare(a.ResourceID, b.ResourceID) })
	return out, nil
}

// ContextCall implements methods.ContextCall: it finds the member the
// target names and calls the function by name on its allow-list.
func (h *Integrations) ContextCall(ctx context.Context, in methods.ContextCall) (methods.CallResult, error) {
	var member protocol.Callable
	kind, name, _ := strings.Cut(in.Target, ":")
	switch {
	case in.Target == "context":
		member = contextMember{h: h, session: in.SessionID}
	case kind == "integration" && name != "":
		_, i, err := h.holder(ctx, in.SessionID, name)
		if err != nil {
			return methods.CallResult{}, err
		}
		member = integrationMember{in: i}
	case kind == "provider" && name != "":
		for _, p := range h.providers {
			named, isNamed := p.(interface{ ProviderName() string })
			if p.Handles(name) || (isNamed && named.ProviderName() == name) {
				c, ok := p.(protocol.Callable)
				if !ok {
					return methods.CallResult{}, protocol.NotFound("provider %q has no functions to call", name)
				}
				member = c
				break
			}
		}
		if member == nil {
			return methods.CallResult{}, protocol.NotFound("no provider %q", name)
		}
	default:
		return methods.CallResult{}, protocol.NotFound("no target %q: name context, provider:<name> or integration:<uuid>", in.Target)
	}
	timeout := h.CallTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	out, err := protocol.CallByName(ctx, member, in.Function, in.Args, in.Kwargs, timeout)
	if err != nil {
		return methods.CallResult{}, err
	}
	return methods.CallResult{Status: "ok", Return: out}, nil
}

// ProviderName names the file provider for call_in_context targets.
func (p *FileProvider) ProviderName() string { return p.Name }
