package methods

import (
	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
)

// ProjectCreate creates a new project.
//
// It fails with Conflict when a project of that name exists.
type ProjectCreate struct {
	protocol.Method[Project] `path:"/project" operation:"PUT" api_version:"2" envelope:"true"`

	Name      string     `json:"name" validate:"required" doc:"The name of the project."`
	ProjectID *uuid.UUID `json:"project_id" doc:"A unique uuid; when it is not given the server generates one."`
}

// ProjectModify renames a project.
type ProjectModify struct {
	protocol.Method[Project] `path:"/project/<id>" operation:"POST" api_version:"2" envelope:"true"`

	ID   uuid.UUID `json:"id" doc:"The id of the project to modify."`
	Name string    `json:"name" validate:"required" doc:"The new name for the project."`
}

// ProjectDelete deletes a project.
//
// It fails with Conflict while the project still has environments, naming
// them.
type ProjectDelete struct {
	protocol.Method[protocol.NoReply] `path:"/project/<id>" operation:"DELETE" api_version:"2" envelope:"true"`

	ID uuid.UUID `json:"id" doc:"The id of the project to delete."`
}

// ProjectList returns the projects, sorted by name, with their
// environments: all of them, or a page at a time when given a limit.
type ProjectList struct {
	protocol.Method[protocol.Page[Project]] `path:"/project" operation:"GET" api_version:"2"`

	EnvironmentDetails bool            `json:"environment_details" default:"false" doc:"Whether to include the icon and description of the environments."`
	Page               protocol.Paging `paging:"sort=name;filter=name;unlimited"`
}

// ProjectGet returns a project with its environments.
//
// It fails with NotFound when no project has the given id.
type ProjectGet struct {
	protocol.Method[Project] `path:"/project/<id>" operation:"GET" api_version:"2" envelope:"true"`

	ID                 uuid.UUID `json:"id" doc:"The id of the project to retrieve."`
	EnvironmentDetails bool      `json:"environment_details" default:"false" doc:"Whether to include the icon and description of the environments."`
}

// EnvironmentCreate creates a new environment in a project.
//
// It fails with NotFound when the project does not exist and with Conflict
// when the project already has an environment of that name.
type EnvironmentCreate struct {
	protocol.Method[Environment] `path:"/environment" operation:"PUT" api_version:"2" envelope:"true"`

	ProjectID     uuid.UUID  `json:"project_id" doc:"The id of the project this environment belongs to."`
	Name          string     `json:"name" validate:"required" doc:"The name of the environment."`
	Repository    string     `json:"repository" default:"" doc:"The URL of the repository of the configuration model."`
	Branch        string     `json:"branch" default:"" doc:"The branch of the repository to use."`
	EnvironmentID *uuid.UUID `json:"environment_id" doc:"A unique uuid; when it is not given the server generates one."`
	Description   string     `json:"description" default:"" validate:"max=255" doc:"The description of the environment, at most 255 characters."`
	Icon          string     `json:"icon" default:"" doc:"The data-url of the icon of the environment."`
}

// EnvironmentModify changes an environment; arguments not given keep their
// value.
type EnvironmentModify struct {
	protocol.Method[Environment] `path:"/environment/<id>" operation:"POST" api_version:"2" envelope:"true"`

	ID          uuid.UUID  `json:"id" doc:"The id of the environment to modify."`
	Name        string     `json:"name" validate:"required" doc:"The new name of the environment."`
	Repository  *string    `json:"repository" doc:"The URL of the repository."`
	Branch      *string    `json:"branch" doc:"The branch of the repository."`
	ProjectID   *uuid.UUID `json:"project_id" doc:"The id of the project to move the environment to."`
	Description *string    `json:"description" validate:"omitempty,max=255" doc:"The description of the environment, at most 255 characters."`
	Icon        *string    `json:"icon" doc:"The data-url of the icon of the environment."`
}

// EnvironmentDelete deletes an environment and its settings.
type EnvironmentDelete struct {
	protocol.Method[protocol.NoReply] `path:"/environment/<id>" operation:"DELETE" api_version:"2" envelope:"true"`

	ID uuid.UUID `json:"id" doc:"The id of the environment to delete."`
}

// EnvironmentList returns the environments, sorted by name: all of them,
// or a page at a time when given a limit.
type EnvironmentList struct {
	protocol.Method[protocol.Page[Environment]] `path:"/environment" operation:"GET" api_version:"2"`

	Details bool            `json:"details" default:"false" doc:"Whether to include the icon and description of the environments."`
	Page    protocol.Paging `paging:"sort=name;filter=name,project_id;unlimited"`
}

// EnvironmentGet returns an environment.
//
// It fails with NotFound when no environment has the given id.
type EnvironmentGet struct {
	protocol.Method[Environment] `path:"/environment/<id>" operation:"GET" api_version:"2" envelope:"true"`

	ID      uuid.UUID `json:"id" doc:"The id of the environment to return."`
	Details bool      `json:"details" default:"false" doc:"Whether to include the icon and description of the environment."`
}
