// Package methods holds the reference server's method declarations and the
// API types they use: the contract its handles implement and its clients
// call. It imports nothing of the server's storage or handles.
package methods

import (
	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
)

// InmantaV1 is Inmanta's v1 API for projects, environments and environment
// settings, at /api/v1, with Inmanta's error shape.
var InmantaV1 = &protocol.Group{
	Name:  "inmanta-v1",
	Doc:   "Inmanta projects, environments and environment settings (API v1).",
	Codec: InmantaErrors{},
	Methods: []any{
		CreateProject{}, ModifyProject{}, DeleteProject{}, ListProjects{}, GetProject{},
		CreateEnvironment{}, ModifyEnvironment{}, DeleteEnvironment{}, ListEnvironments{}, GetEnvironment{},
		ListSettings{}, GetSetting{}, SetSetting{}, DeleteSetting{},
		CreateToken{},
	},
}

// InmantaV2 is Inmanta's v2 API for projects and environments, at /api/v2:
// every reply is enveloped as {"data": …}.
var InmantaV2 = &protocol.Group{
	Name:  "inmanta-v2",
	Doc:   "Inmanta projects and environments (API v2, enveloped replies).",
	Codec: InmantaErrors{},
	Methods: []any{
		ProjectCreate{}, ProjectModify{}, ProjectDelete{}, ProjectList{}, ProjectGet{},
		EnvironmentCreate{}, EnvironmentModify{}, EnvironmentDelete{}, EnvironmentList{}, EnvironmentGet{},
		EnvironmentCreateToken{}, EnvironmentTokenList{}, EnvironmentTokenRevoke{},
	},
}

// EnvironmentHeader carries the environment id of calls scoped to one
// environment (Inmanta's INMANTA_MT_HEADER).
const EnvironmentHeader = "X-Inmanta-tid"

// Project is a project as v2 returns it, with its environments.
type Project struct {
	ID           uuid.UUID     `json:"id"`
	Name         string        `json:"name"`
	Environments []Environment `json:"environments"`
}

// Environment is an environment as v2 returns it.
type Environment struct {
	ID                  uuid.UUID      `json:"id"`
	Name                string         `json:"name"`
	ProjectID           uuid.UUID      `json:"project_id"`
	RepoURL             string         `json:"repo_url"`
	RepoBranch          string         `json:"repo_branch"`
	Settings            map[string]any `json:"settings"`
	Halted              bool           `json:"halted"`
	IsMarkedForDeletion bool           `json:"is_marked_for_deletion"`
	Description         string         `json:"description"`
	Icon                string         `json:"icon"`
}

// ProjectV1 is a project as v1 returns it: environments by id.
type ProjectV1 struct {
	ID           uuid.UUID   `json:"id"`
	Name         string      `json:"name"`
	Environments []uuid.UUID `json:"environments"`
}

// EnvironmentV1 is an environment as v1 returns it.
type EnvironmentV1 struct {
	ID                  uuid.UUID      `json:"id"`
	Name                string         `json:"name"`
	Project             uuid.UUID      `json:"project"`
	RepoURL             string         `json:"repo_url"`
	RepoBranch          string         `json:"repo_branch"`
	Settings            map[string]any `json:"settings"`
	Halted              bool           `json:"halted"`
	IsMarkedForDeletion bool           `json:"is_marked_for_deletion"`
	Description         string         `json:"description"`
	Icon                string         `json:"icon"`
}
