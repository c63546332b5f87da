package methods

import (
	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
)

// CreateProject creates a new project.
//
// It fails with Conflict when a project of that name exists.
type CreateProject struct {
	protocol.Method[ProjectV1] `path:"/project" operation:"PUT" envelope:"true" envelope_key:"project"`

	Name      string     `json:"name" validate:"required" doc:"The name of the project."`
	ProjectID *uuid.UUID `json:"project_id" doc:"A unique uuid; when it is not given the server generates one."`
}

// ModifyProject renames a project.
type ModifyProject struct {
	protocol.Method[ProjectV1] `path:"/project/<id>" operation:"POST" envelope:"true" envelope_key:"project"`

	ID   uuid.UUID `json:"id" doc:"The id of the project to modify."`
	Name string    `json:"name" validate:"required" doc:"The new name for the project."`
}

// DeleteProject deletes a project.
//
// It fails with Conflict while the project still has environments.
type DeleteProject struct {
	protocol.Method[protocol.NoReply] `path:"/project/<id>" operation:"DELETE"`

	ID uuid.UUID `json:"id" doc:"The id of the project to delete."`
}

// ListProjects returns all projects, sorted by name, with the ids of their
// environments.
type ListProjects struct {
	protocol.Method[[]ProjectV1] `path:"/project" operation:"GET" envelope:"true" envelope_key:"projects"`
}

// GetProject returns a project and the ids of all its environments.
//
// It fails with NotFound when no project has the given id.
type GetProject struct {
	protocol.Method[ProjectV1] `path:"/project/<id>" operation:"GET" envelope:"true" envelope_key:"project"`

	ID uuid.UUID `json:"id" doc:"The id of the project to retrieve."`
}

// CreateEnvironment creates a new environment in a project.
//
// It fails with NotFound when the project does not exist and with Conflict
// when the project already has an environment of that name.
type CreateEnvironment struct {
	protocol.Method[EnvironmentV1] `path:"/environment" operation:"PUT" envelope:"true" envelope_key:"environment"`

	ProjectID     uuid.UUID  `json:"project_id" doc:"The id of the project this environment belongs to."`
	Name          string     `json:"name" validate:"required" doc:"The name of the environment."`
	Repository    string     `json:"repository" default:"" doc:"The URL of the repository of the configuration model."`
	Branch        string     `json:"branch" default:"" doc:"The branch of the repository to use."`
	EnvironmentID *uuid.UUID `json:"environment_id" doc:"A unique uuid; when it is not given the server generates one."`
}

// ModifyEnvironment renames an environment and changes its repository.
type ModifyEnvironment struct {
	protocol.Method[EnvironmentV1] `path:"/environment/<id>" operation:"POST" envelope:"true" envelope_key:"environment"`

	ID         uuid.UUID `json:"id" doc:"The id of the environment to modify."`
	Name       string    `json:"name" validate:"required" doc:"The new name of the environment."`
	Repository *string   `json:"repository" doc:"The URL of the repository; unchanged when not given."`
	Branch     *string   `json:"branch" doc:"The branch of the repository; unchanged when not given."`
}

// DeleteEnvironment deletes an environment and its settings.
type DeleteEnvironment struct {
	protocol.Method[protocol.NoReply] `path:"/environment/<id>" operation:"DELETE"`

	ID uuid.UUID `json:"id" doc:"The id of the environment to delete."`
}

// ListEnvironments returns all environments, sorted by name.
type ListEnvironments struct {
	protocol.Method[[]EnvironmentV1] `path:"/environment" operation:"GET" envelope:"true" envelope_key:"environments"`
}

// GetEnvironment returns an environment.
//
// It fails with NotFound when no environment has the given id.
type GetEnvironment struct {
	protocol.Method[EnvironmentV1] `path:"/environment/<id>" operation:"GET" envelope:"true" envelope_key:"environment"`

	ID uuid.UUID `json:"id" doc:"The id of the environment to return."`
}
