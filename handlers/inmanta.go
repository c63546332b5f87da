package handlers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/protocol/jwtauth"
)

// Inmanta implements the Inmanta groups, v1 and v2: both versions share
// their storage and most of their logic.
type Inmanta struct {
	db     *data.DB
	tokens *jwtauth.Authenticator // nil: the server issues no tokens
}

// NewInmanta returns the Inmanta handles on db, issuing tokens with tokens
// (which may be nil).
func NewInmanta(db *data.DB, tokens *jwtauth.Authenticator) *Inmanta {
	return &Inmanta{db: db, tokens: tokens}
}

const (
	projectNotFound     = "The project with given id does not exist."
	environmentNotFound = "The environment with given id does not exist."
)

// newID is the id the client chose, or a new one.
func newID(chosen *uuid.UUID) uuid.UUID {
	if chosen != nil {
		return *chosen
	}
	return uuid.New()
}

// environmentIDs returns the ids of the environments of one project.
func (h *Inmanta) environments(ctx context.Context, projectID uuid.UUID) ([]data.Environment, error) {
	envs, err := h.db.ListEnvironments(ctx, &projectID)
	if err != nil {
		return nil, fmt.Errorf("list environments of project %s: %w", projectID, err)
	}
	return envs, nil
}

func ids(envs []data.Environment) []uuid.UUID {
	out := make([]uuid.UUID, len(envs))
	for i, e := range envs {
		out[i] = e.ID
	}
	return out
}

func projectV1(p data.Project, envs []data.Environment) methods.ProjectV1 {
	return methods.ProjectV1{ID: p.ID, Name: p.Name, Environments: ids(envs)}
}

// project is the v2 model; details adds the environments' descriptions and
// icons.
func project(p data.Project, envs []data.Environment, details bool) methods.Project {
	out := methods.Project{ID: p.ID, Name: p.Name, Environments: make([]methods.Environment, len(envs))}
	for i, e := range envs {
		out.Environments[i] = environment(e, nil, details)
	}
	return out
}

func environment(e data.Environment, settings map[string]any, details bool) methods.Environment {
	if settings == nil {
		settings = map[string]any{}
	}
	out := methods.Environment{
		ID: e.ID, Name: e.Name, ProjectID: e.ProjectID, RepoURL: e.RepoURL, RepoBranch: e.RepoBranch,
		Settings: settings, Halted: e.Halted,
	}
	if details {
		// Without details Inmanta answers "" for both.
		out.Description, out.Icon = e.Description, e.Icon
	}
	return out
}

func environmentV1(e data.Environment, settings map[string]any) methods.EnvironmentV1 {
	if settings == nil {
		settings = map[string]any{}
	}
	return methods.EnvironmentV1{
		ID: e.ID, Name: e.Name, Project: e.ProjectID, RepoURL: e.RepoURL, RepoBranch: e.RepoBranch,
		Settings: settings, Halted: e.Halted, Description: e.Description, Icon: e.Icon,
	}
}

// settings returns the values set on an environment, decoded.
func (h *Inmanta) settings(ctx context.Context, envID uuid.UUID) (map[string]any, error) {
	raw, err := h.db.Settings(ctx, envID)
	if err != nil {
		return nil, fmt.Errorf("load settings of environment %s: %w", envID, err)
	}
	out, err := decodeSettings(raw)
	if err != nil {
		return nil, fmt.Errorf("settings of environment %s: %w", envID, err)
	}
	return out, nil
}

func decodeSettings(raw map[string]json.RawMessage) (map[string]any, error) {
	out := make(map[string]any, len(raw))
	for name, v := range raw {
		var value any
		if err := json.Unmarshal(v, &value); err != nil {
			return nil, fmt.Errorf("setting %s holds invalid JSON: %w", name, err)
		}
		out[name] = value
	}
	return out, nil
}

// Projects.

func (h *Inmanta) createProject(ctx context.Context, name string, id *uuid.UUID) (data.Project, error) {
	p := data.Project{ID: newID(id), Name: name}
	return p, storeError(h.db.CreateProject(ctx, p), projectNotFound)
}

func (h *Inmanta) getProject(ctx context.Context, id uuid.UUID) (data.Project, []data.Environment, error) {
	p, err := h.db.GetProject(ctx, id)
	if err != nil {
		return p, nil, storeError(err, projectNotFound)
	}
	envs, err := h.environments(ctx, id)
	return p, envs, err
}

func (h *Inmanta) modifyProject(ctx context.Context, id uuid.UUID, name string) (data.Project, []data.Environment, error) {
	p, err := h.db.RenameProject(ctx, id, name)
	if err != nil {
		return p, nil, storeError(err, projectNotFound)
	}
	envs, err := h.environments(ctx, id)
	return p, envs, err
}

// listProjects returns every project with its environments, in two queries.
func (h *Inmanta) listProjects(ctx context.Context) ([]data.Project, map[uuid.UUID][]data.Environment, error) {
	ps, err := h.db.ListProjects(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list projects: %w", err)
	}
	envs, err := h.db.EnvironmentsByProject(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list environments: %w", err)
	}
	return ps, envs, nil
}

// CreateProject implements methods.CreateProject.
func (h *Inmanta) CreateProject(ctx context.Context, in methods.CreateProject) (methods.ProjectV1, error) {
	p, err := h.createProject(ctx, in.Name, in.ProjectID)
	return projectV1(p, nil), err
}

// ModifyProject implements methods.ModifyProject.
func (h *Inmanta) ModifyProject(ctx context.Context, in methods.ModifyProject) (methods.ProjectV1, error) {
	p, envs, err := h.modifyProject(ctx, in.ID, in.Name)
	return projectV1(p, envs), err
}

// DeleteProject implements methods.DeleteProject.
func (h *Inmanta) DeleteProject(ctx context.Context, in methods.DeleteProject) error {
	return storeError(h.db.DeleteProject(ctx, in.ID), projectNotFound)
}

// ListProjects implements methods.ListProjects.
func (h *Inmanta) ListProjects(ctx context.Context, _ methods.ListProjects) ([]methods.ProjectV1, error) {
	ps, envs, err := h.listProjects(ctx)
	out := make([]methods.ProjectV1, len(ps))
	for i, p := range ps {
		out[i] = projectV1(p, envs[p.ID])
	}
	return out, err
}

// GetProject implements methods.GetProject. Its handle argument shows
// Inmanta's remapping: the method's id is the handle's ProjectID.
func (h *Inmanta) GetProject(ctx context.Context, in struct {
	ProjectID uuid.UUID `arg:"id"`
}) (methods.ProjectV1, error) {
	p, envs, err := h.getProject(ctx, in.ProjectID)
	return projectV1(p, envs), err
}

// ProjectCreate implements methods.ProjectCreate.
func (h *Inmanta) ProjectCreate(ctx context.Context, in methods.ProjectCreate) (methods.Project, error) {
	p, err := h.createProject(ctx, in.Name, in.ProjectID)
	return project(p, nil, false), err
}

// ProjectModify implements methods.ProjectModify.
func (h *Inmanta) ProjectModify(ctx context.Context, in methods.ProjectModify) (methods.Project, error) {
	p, envs, err := h.modifyProject(ctx, in.ID, in.Name)
	return project(p, envs, false), err
}

// ProjectDelete implements methods.ProjectDelete.
func (h *Inmanta) ProjectDelete(ctx context.Context, in methods.ProjectDelete) error {
	return storeError(h.db.DeleteProject(ctx, in.ID), projectNotFound)
}

// ProjectList implements methods.ProjectList.
func (h *Inmanta) ProjectList(ctx context.Context, in methods.ProjectList) (protocol.Page[methods.Project], error) {
	ps, meta, bounds, err := h.db.ProjectsPage(ctx, in.Page)
	if err != nil {
		return protocol.Page[methods.Project]{}, fmt.Errorf("list projects: %w", err)
	}
	envs, err := h.db.EnvironmentsByProject(ctx)
	if err != nil {
		return protocol.Page[methods.Project]{}, fmt.Errorf("list environments: %w", err)
	}
	out := make([]methods.Project, len(ps))
	for i, p := range ps {
		out[i] = project(p, envs[p.ID], in.EnvironmentDetails)
	}
	return protocol.Page[methods.Project]{Data: out, Metadata: meta, Bounds: bounds}, nil
}

// ProjectGet implements methods.ProjectGet.
func (h *Inmanta) ProjectGet(ctx context.Context, in methods.ProjectGet) (methods.Project, error) {
	p, envs, err := h.getProject(ctx, in.ID)
	return project(p, envs, in.EnvironmentDetails), err
}

// Environments.

type newEnvironment struct {
	projectID             uuid.UUID
	id                    *uuid.UUID
	name, repo, branch    string
	description, iconData string
}

func (h *Inmanta) createEnvironment(ctx context.Context, n newEnvironment) (data.Environment, error) {
	e := data.Environment{
		ID: newID(n.id), ProjectID: n.projectID, Name: n.name, RepoURL: n.repo, RepoBranch: n.branch,
		Description: n.description, Icon: n.iconData,
	}
	err := h.db.CreateEnvironment(ctx, e)
	return e, storeError(err, "The project id for the environment does not exist.")
}

// getEnvironment loads an environment with the settings set on it.
func (h *Inmanta) getEnvironment(ctx context.Context, id uuid.UUID) (data.Environment, map[string]any, error) {
	e, err := h.db.GetEnvironment(ctx, id)
	if err != nil {
		return e, nil, storeError(err, environmentNotFound)
	}
	settings, err := h.settings(ctx, id)
	return e, settings, err
}

func (h *Inmanta) modifyEnvironment(ctx context.Context, id uuid.UUID, change func(*data.Environment)) (data.Environment, map[string]any, error) {
	e, err := h.db.UpdateEnvironment(ctx, id, func(e *data.Environment) error {
		change(e)
		return nil
	})
	if err != nil {
		return e, nil, storeError(err, environmentNotFound)
	}
	settings, err := h.settings(ctx, id)
	return e, settings, err
}

// CreateEnvironment implements methods.CreateEnvironment.
func (h *Inmanta) CreateEnvironment(ctx context.Context, in methods.CreateEnvironment) (methods.EnvironmentV1, error) {
	e, err := h.createEnvironment(ctx, newEnvironment{
		projectID: in.ProjectID, id: in.EnvironmentID, name: in.Name, repo: in.Repository, branch: in.Branch,
	})
	return environmentV1(e, nil), err
}

// ModifyEnvironment implements methods.ModifyEnvironment.
func (h *Inmanta) ModifyEnvironment(ctx context.Context, in methods.ModifyEnvironment) (methods.EnvironmentV1, error) {
	e, settings, err := h.modifyEnvironment(ctx, in.ID, func(e *data.Environment) {
		e.Name = in.Name
		setIf(&e.RepoURL, in.Repository)
		setIf(&e.RepoBranch, in.Branch)
	})
	return environmentV1(e, settings), err
}

// DeleteEnvironment implements methods.DeleteEnvironment.
func (h *Inmanta) DeleteEnvironment(ctx context.Context, in methods.DeleteEnvironment) error {
	return storeError(h.db.DeleteEnvironment(ctx, in.ID), environmentNotFound)
}

// ListEnvironments implements methods.ListEnvironments.
func (h *Inmanta) ListEnvironments(ctx context.Context, _ methods.ListEnvironments) ([]methods.EnvironmentV1, error) {
	envs, settings, err := h.listEnvironments(ctx)
	out := make([]methods.EnvironmentV1, len(envs))
	for i, e := range envs {
		out[i] = environmentV1(e, settings[e.ID])
	}
	return out, err
}

// GetEnvironment implements methods.GetEnvironment.
func (h *Inmanta) GetEnvironment(ctx context.Context, in methods.GetEnvironment) (methods.EnvironmentV1, error) {
	e, settings, err := h.getEnvironment(ctx, in.ID)
	return environmentV1(e, settings), err
}

// EnvironmentCreate implements methods.EnvironmentCreate.
func (h *Inmanta) EnvironmentCreate(ctx context.Context, in methods.EnvironmentCreate) (methods.Environment, error) {
	e, err := h.createEnvironment(ctx, newEnvironment{
		projectID: in.ProjectID, id: in.EnvironmentID, name: in.Name, repo: in.Repository, branch: in.Branch,
		description: in.Description, iconData: in.Icon,
	})
	return environment(e, nil, true), err
}

// EnvironmentModify implements methods.EnvironmentModify.
func (h *Inmanta) EnvironmentModify(ctx context.Context, in methods.EnvironmentModify) (methods.Environment, error) {
	e, settings, err := h.modifyEnvironment(ctx, in.ID, func(e *data.Environment) {
		e.Name = in.Name
		setIf(&e.RepoURL, in.Repository)
		setIf(&e.RepoBranch, in.Branch)
		setIf(&e.Description, in.Description)
		setIf(&e.Icon, in.Icon)
		setIf(&e.ProjectID, in.ProjectID)
	})
	return environment(e, settings, true), err
}

// EnvironmentDelete implements methods.EnvironmentDelete.
func (h *Inmanta) EnvironmentDelete(ctx context.Context, in methods.EnvironmentDelete) error {
	return storeError(h.db.DeleteEnvironment(ctx, in.ID), environmentNotFound)
}

// EnvironmentList implements methods.EnvironmentList.
func (h *Inmanta) EnvironmentList(ctx context.Context, in methods.EnvironmentList) (protocol.Page[methods.Environment], error) {
	envs, meta, bounds, err := h.db.EnvironmentsPage(ctx, in.Page)
	if err != nil {
		return protocol.Page[methods.Environment]{}, fmt.Errorf("list environments: %w", err)
	}
	all, err := h.db.SettingsByEnvironment(ctx)
	if err != nil {
		return protocol.Page[methods.Environment]{}, fmt.Errorf("list settings: %w", err)
	}
	out := make([]methods.Environment, len(envs))
	for i, e := range envs {
		settings, err := decodeSettings(all[e.ID])
		if err != nil {
			return protocol.Page[methods.Environment]{}, fmt.Errorf("settings of environment %s: %w", e.ID, err)
		}
		out[i] = environment(e, settings, in.Details)
	}
	return protocol.Page[methods.Environment]{Data: out, Metadata: meta, Bounds: bounds}, nil
}

// EnvironmentGet implements methods.EnvironmentGet.
func (h *Inmanta) EnvironmentGet(ctx context.Context, in methods.EnvironmentGet) (methods.Environment, error) {
	e, settings, err := h.getEnvironment(ctx, in.ID)
	return environment(e, settings, in.Details), err
}

// listEnvironments returns every environment with its settings, in two
// queries.
func (h *Inmanta) listEnvironments(ctx context.Context) ([]data.Environment, map[uuid.UUID]map[string]any, error) {
	envs, err := h.db.ListEnvironments(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("list environments: %w", err)
	}
	all, err := h.db.SettingsByEnvironment(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list settings: %w", err)
	}
	settings := make(map[uuid.UUID]map[string]any, len(all))
	for id, raw := range all {
		if settings[id], err = decodeSettings(raw); err != nil {
			return nil, nil, fmt.Errorf("settings of environment %s: %w", id, err)
		}
	}
	return envs, settings, nil
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Settings.

// setting looks a setting up by name; unknown names are an error of status.
func setting(name string, status int) (methods.SettingDefinition, error) {
	d, ok := methods.EnvironmentSettings[name]
	if !ok {
		return d, protocol.Errorf(status, "%s is not a valid setting", name)
	}
	return d, nil
}

// envArg is the handle argument of the settings methods: Inmanta's tid
// header, turned into the loaded environment by EnvironmentGetter.
type envArg = data.Environment

// ListSettings implements methods.ListSettings.
func (h *Inmanta) ListSettings(ctx context.Context, in struct {
	Env envArg `arg:"tid"`
}) (methods.SettingsReply, error) {
	settings, err := h.settings(ctx, in.Env.ID)
	return methods.SettingsReply{Settings: settings, Metadata: methods.EnvironmentSettings}, err
}

// GetSetting implements methods.GetSetting.
func (h *Inmanta) GetSetting(ctx context.Context, in struct {
	Env  envArg `arg:"tid"`
	Name string `arg:"id"`
}) (methods.SettingReply, error) {
	d, err := setting(in.Name, 404)
	if err != nil {
		return methods.SettingReply{}, err
	}
	raw, ok, err := h.db.Setting(ctx, in.Env.ID, in.Name)
	if err != nil {
		return methods.SettingReply{}, fmt.Errorf("load setting %s: %w", in.Name, err)
	}
	reply := methods.SettingReply{Value: d.Default, Metadata: methods.EnvironmentSettings}
	if ok {
		if err := json.Unmarshal(raw, &reply.Value); err != nil {
			return methods.SettingReply{}, fmt.Errorf("setting %s holds invalid JSON: %w", in.Name, err)
		}
	}
	return reply, nil
}

// SetSetting implements methods.SetSetting.
func (h *Inmanta) SetSetting(ctx context.Context, in struct {
	Env   envArg `arg:"tid"`
	Name  string `arg:"id"`
	Value json.RawMessage
}) (methods.Empty, error) {
	d, err := setting(in.Name, 400)
	if err != nil {
		return methods.Empty{}, err
	}
	value, err := d.Normalize(in.Value)
	if err != nil {
		return methods.Empty{}, protocol.BadRequest("Invalid value. %s", err.Error())
	}
	return methods.Empty{}, storeError(h.db.SetSetting(ctx, in.Env.ID, in.Name, value), environmentNotFound)
}

// DeleteSetting implements methods.DeleteSetting.
func (h *Inmanta) DeleteSetting(ctx context.Context, in struct {
	Env  envArg `arg:"tid"`
	Name string `arg:"id"`
}) (methods.Empty, error) {
	if _, err := setting(in.Name, 404); err != nil {
		return methods.Empty{}, err
	}
	return methods.Empty{}, storeError(h.db.DeleteSetting(ctx, in.Env.ID, in.Name), environmentNotFound)
}
