package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
)

// Mobyle serves Mobyle2's API and its management methods. Access is
// decided in data by the declared policies; the handles only say who asks.
type Mobyle struct {
	db *data.DB
}

// NewMobyle returns the handles of the Mobyle groups.
func NewMobyle(db *data.DB) *Mobyle { return &Mobyle{db: db} }

// MobyleAuth reads a Mobyle user's bearer token, and the admin-mode flag
// with which an administrator acts as one.
func MobyleAuth(db *data.DB) protocol.Auth {
	return protocol.Auth{Authenticator: protocol.AuthenticatorFunc(func(ctx context.Context, r *http.Request) (*protocol.Caller, error) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, protocol.Unauthorized("send Authorization: Bearer <token>")
		}
		u, err := db.MobyleUserByToken(ctx, strings.TrimSpace(token))
		if errors.Is(err, data.ErrNotFound) {
			return nil, protocol.Unauthorized("the token is not known")
		}
		if err != nil {
			return nil, err
		}
		adminMode := u.IsAdmin && strings.EqualFold(r.Header.Get(methods.MobyleAdminModeHeader), "true")
		return &protocol.Caller{Subject: u.ID, ClientTypes: []string{"api"}, Admin: adminMode}, nil
	})}
}

// viewer is the caller as access rules see them; a handle's Caller is the
// zero Caller for an anonymous one.
func viewer(c *protocol.Caller) data.Viewer {
	if c == nil || c.Subject == "" {
		return data.Viewer{}
	}
	return data.Viewer{UserID: c.Subject, Admin: c.Admin}
}

// refusal turns what data says of access into the answer: 401 for an
// anonymous caller, 403 for a known one, 404 for a missing object.
func refusal(err error, v data.Viewer, what string) error {
	switch {
	case errors.Is(err, data.ErrForbidden) && v.UserID == "":
		return protocol.Unauthorized("%s needs credentials", what)
	case errors.Is(err, data.ErrForbidden):
		return protocol.Forbidden("you may not %s", what)
	case errors.Is(err, data.ErrNotFound):
		return protocol.NotFound("%s", strings.TrimPrefix(err.Error(), "data: not found: "))
	}
	return err
}

// MobyleServers implements methods.MobyleServers.
func (h *Mobyle) MobyleServers(ctx context.Context, in struct{ Caller *protocol.Caller }) (map[string]methods.MobyleServer, error) {
	servers, err := h.db.MobyleServers(ctx)
	if err != nil {
		return nil, err
	}
	services, err := h.db.MobyleServices(ctx, viewer(in.Caller))
	if err != nil {
		return nil, err
	}
	out := map[string]methods.MobyleServer{}
	for _, s := range servers {
		ms := methods.MobyleServer{URL: s.URL, Active: s.Active, Services: []string{}}
		for _, svc := range services {
			if svc.Server == s.Name {
				ms.Services = append(ms.Services, svc.Name)
			}
		}
		out[s.Name] = ms
	}
	return out, nil
}

// MobyleServerGet implements methods.MobyleServerGet.
func (h *Mobyle) MobyleServerGet(ctx context.Context, in struct {
	methods.MobyleServerGet
	Caller *protocol.Caller
}) (methods.MobyleServer, error) {
	all, err := h.MobyleServers(ctx, struct{ Caller *protocol.Caller }{in.Caller})
	if err != nil {
		return methods.MobyleServer{}, err
	}
	s, ok := all[in.Name]
	if !ok {
		return s, protocol.NotFound("no server %q", in.Name)
	}
	return s, nil
}

// runner says what a caller may run: anonymous callers the server-level
// services, users while their account is active.
type runner struct {
	anonymous, active bool
}

func (h *Mobyle) runner(ctx context.Context, c *protocol.Caller) (runner, error) {
	if c == nil || c.Subject == "" {
		return runner{anonymous: true}, nil
	}
	u, err := h.db.MobyleUser(ctx, data.Viewer{Admin: true}, c.Subject)
	if err != nil {
		return runner{}, err
	}
	return runner{active: u.Status == "active"}, nil
}

// apiService shows a service; authorized says whether this caller may run
// it: it is enabled, and the caller an active user (anonymous callers run
// server-level services only).
func apiService(s data.MobyleService, r runner) methods.MobyleService {
	authorized := !s.Disabled && ((r.anonymous && s.ProjectID == "") || r.active)
	return methods.MobyleService{Name: s.Name, Server: s.Server, Project: s.ProjectID, Type: s.Type,
		Exported: s.Exported, Disabled: s.Disabled, Authorized: authorized}
}

func fullname(s data.MobyleService) string { return s.Name + "::" + s.ProjectID + "::" + s.Server }

// MobyleServices implements methods.MobyleServices.
func (h *Mobyle) MobyleServices(ctx context.Context, in struct{ Caller *protocol.Caller }) (map[string]methods.MobyleService, error) {
	r, err := h.runner(ctx, in.Caller)
	if err != nil {
		return nil, err
	}
	services, err := h.db.MobyleServices(ctx, viewer(in.Caller))
	out := map[string]methods.MobyleService{}
	for _, s := range services {
		out[fullname(s)] = apiService(s, r)
	}
	return out, err
}

// MobyleServiceGet implements methods.MobyleServiceGet.
func (h *Mobyle) MobyleServiceGet(ctx context.Context, in struct {
	methods.MobyleServiceGet
	Caller *protocol.Caller
}) (methods.MobyleService, error) {
	parts := strings.Split(in.Fullname, "::")
	if len(parts) != 3 {
		return methods.MobyleService{}, protocol.BadRequest("%q is not service::project::server", in.Fullname)
	}
	v := viewer(in.Caller)
	s, err := h.db.MobyleService(ctx, v, parts[0], parts[1], parts[2])
	if err != nil {
		return methods.MobyleService{}, refusal(err, v, "see service "+in.Fullname)
	}
	r, err := h.runner(ctx, in.Caller)
	return apiService(s, r), err
}

func (h *Mobyle) apiUser(ctx context.Context, v data.Viewer, u data.MobyleUser) (methods.MobyleUser, error) {
	out := methods.MobyleUser{Email: u.Email, Type: u.Type, AuthenticationType: u.AuthenticationType, Status: u.Status,
		StatusMessage: u.StatusMessage, IsAdmin: u.IsAdmin, Groups: []string{}, Projects: []string{}}
	if u.Groups != "" {
		out.Groups = strings.Split(u.Groups, ",")
	}
	// The user's projects, as far as the viewer may see them.
	projects, err := h.db.MobyleProjects(ctx, v)
	for _, p := range projects {
		member := p.Owner == u.ID
		for _, m := range p.Members {
			member = member || m.UserID == u.ID
		}
		if member {
			out.Projects = append(out.Projects, p.ID)
		}
	}
	return out, err
}

// MobyleUsers implements methods.MobyleUsers: administrators in admin
// mode only.
func (h *Mobyle) MobyleUsers(ctx context.Context, in struct{ Caller *protocol.Caller }) (map[string]methods.MobyleUser, error) {
	v := viewer(in.Caller)
	if !v.Admin {
		return nil, refusal(data.ErrForbidden, v, "list the users: it is for administrators in admin mode")
	}
	users, err := h.db.MobyleUsers(ctx, v)
	if err != nil {
		return nil, err
	}
	out := map[string]methods.MobyleUser{}
	for _, u := range users {
		if out[u.ID], err = h.apiUser(ctx, v, u); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MobyleUserGet implements methods.MobyleUserGet.
func (h *Mobyle) MobyleUserGet(ctx context.Context, in struct {
	methods.MobyleUserGet
	Caller *protocol.Caller
}) (methods.MobyleUser, error) {
	v := viewer(in.Caller)
	u, err := h.db.MobyleUser(ctx, v, in.ID)
	if err != nil {
		return methods.MobyleUser{}, refusal(err, v, "see user "+in.ID)
	}
	return h.apiUser(ctx, v, u)
}

func (h *Mobyle) apiProject(ctx context.Context, v data.Viewer, p data.MobyleProject) (methods.MobyleProject, error) {
	out := methods.MobyleProject{Name: p.Name, Public: p.Public, Owner: p.Owner, Managers: []string{}, Contributors: []string{},
		Watchers: []string{}, Services: []string{}, Jobs: []string{}, Data: []string{}}
	for _, m := range p.Members {
		switch m.Role {
		case "manager":
			out.Managers = append(out.Managers, m.UserID)
		case "contributor":
			out.Contributors = append(out.Contributors, m.UserID)
		case "watcher":
			out.Watchers = append(out.Watchers, m.UserID)
		}
	}
	services, err := h.db.MobyleServices(ctx, v)
	for _, s := range services {
		if s.ProjectID == p.ID {
			out.Services = append(out.Services, fullname(s))
		}
	}
	return out, err
}

// MobyleProjects implements methods.MobyleProjects.
func (h *Mobyle) MobyleProjects(ctx context.Context, in struct{ Caller *protocol.Caller }) (map[string]methods.MobyleProject, error) {
	v := viewer(in.Caller)
	projects, err := h.db.MobyleProjects(ctx, v)
	if err != nil {
		return nil, err
	}
	out := map[string]methods.MobyleProject{}
	for _, p := range projects {
		if out[p.ID], err = h.apiProject(ctx, v, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MobyleProjectGet implements methods.MobyleProjectGet.
func (h *Mobyle) MobyleProjectGet(ctx context.Context, in struct {
	methods.MobyleProjectGet
	Caller *protocol.Caller
}) (methods.MobyleProject, error) {
	v := viewer(in.Caller)
	p, err := h.db.MobyleProject(ctx, v, in.ID)
	if err != nil {
		return methods.MobyleProject{}, refusal(err, v, "see project "+in.ID)
	}
	return h.apiProject(ctx, v, p)
}

// MobyleUserCreate implements methods.MobyleUserCreate.
func (h *Mobyle) MobyleUserCreate(ctx context.Context, in struct {
	methods.MobyleUserCreate
	Caller *protocol.Caller
}) (methods.NewMobyleUser, error) {
	v := viewer(in.Caller)
	if !v.Admin {
		existing, err := h.db.MobyleUsers(ctx, data.Viewer{Admin: true})
		if err != nil {
			return methods.NewMobyleUser{}, err
		}
		if len(existing) > 0 {
			return methods.NewMobyleUser{}, refusal(data.ErrForbidden, v, "create users: it is for administrators in admin mode")
		}
	}
	u, token, err := h.db.CreateMobyleUser(ctx, data.MobyleUser{Email: in.Email, Type: in.Type, AuthenticationType: in.AuthenticationType,
		Status: in.Status, StatusMessage: in.StatusMessage, IsAdmin: in.IsAdmin, Groups: strings.Join(in.Groups, ",")})
	if err != nil {
		return methods.NewMobyleUser{}, err
	}
	return methods.NewMobyleUser{ID: u.ID, Token: token}, nil
}

// MobyleProjectCreate implements methods.MobyleProjectCreate.
func (h *Mobyle) MobyleProjectCreate(ctx context.Context, in struct {
	methods.MobyleProjectCreate
	Caller *protocol.Caller
}) (methods.MobyleProjectID, error) {
	if in.Caller == nil || in.Caller.Subject == "" {
		return methods.MobyleProjectID{}, protocol.Unauthorized("creating a project needs credentials")
	}
	p, err := h.db.CreateMobyleProject(ctx, data.MobyleProject{Name: in.Name, Owner: in.Caller.Subject, Public: in.Public})
	return methods.MobyleProjectID{ID: p.ID}, err
}

// MobyleProjectModify implements methods.MobyleProjectModify.
func (h *Mobyle) MobyleProjectModify(ctx context.Context, in struct {
	methods.MobyleProjectModify
	Caller *protocol.Caller
}) error {
	v := viewer(in.Caller)
	return refusal(h.db.ModifyMobyleProject(ctx, v, in.ID, in.Name, in.Public), v, "change project "+in.ID)
}

// MobyleMemberSet implements methods.MobyleMemberSet.
func (h *Mobyle) MobyleMemberSet(ctx context.Context, in struct {
	methods.MobyleMemberSet
	Caller *protocol.Caller
}) error {
	v := viewer(in.Caller)
	return refusal(h.db.SetMobyleMember(ctx, v, in.ID, in.UserID, in.Role), v, "change the members of project "+in.ID)
}

// MobyleServerPut implements methods.MobyleServerPut.
func (h *Mobyle) MobyleServerPut(ctx context.Context, in struct {
	methods.MobyleServerPut
	Caller *protocol.Caller
}) error {
	v := viewer(in.Caller)
	if !v.Admin {
		return refusal(data.ErrForbidden, v, "change servers: it is for administrators in admin mode")
	}
	return h.db.PutMobyleServer(ctx, data.MobyleServer{Name: in.Name, URL: in.URL, Active: in.Active})
}

// MobyleServicePut implements methods.MobyleServicePut.
func (h *Mobyle) MobyleServicePut(ctx context.Context, in struct {
	methods.MobyleServicePut
	Caller *protocol.Caller
}) error {
	v := viewer(in.Caller)
	if !v.Admin {
		return refusal(data.ErrForbidden, v, "change services: it is for administrators in admin mode")
	}
	err := h.db.PutMobyleService(ctx, data.MobyleService{Name: in.Name, ProjectID: in.Project, Server: in.Server, Type: in.Type,
		Exported: in.Exported, Disabled: in.Disabled})
	return refusal(err, v, "change services")
}
