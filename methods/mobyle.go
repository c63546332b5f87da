package methods

import "github.com/tagrpc/tagrpc/protocol"

// MobyleAdminModeHeader is the flag with which an administrator acts as
// one; without it an administrator is an ordinary user.
const MobyleAdminModeHeader = "X-Mobyle-Admin-Mode"

// Mobyle is Mobyle2's HTTP API, at its own paths. Who may read what is
// decided by access rules declared once per object type: anonymous callers
// see public projects, users theirs and public ones, administrators
// everything in admin mode. Refusal is 401 for an anonymous caller and 403
// for a known one; lists hold only what the caller may read.
var Mobyle = &protocol.Group{
	Name: "mobyle",
	Doc:  "Mobyle2: servers, services, users and projects, each read as its access rules allow.",
	Methods: []any{
		MobyleServers{}, MobyleServerGet{}, MobyleServices{}, MobyleServiceGet{},
		MobyleUsers{}, MobyleUserGet{}, MobyleProjects{}, MobyleProjectGet{},
	},
}

// MobyleAdmin manages Mobyle2's objects in the framework's own style.
var MobyleAdmin = &protocol.Group{
	Name: "mobyle-admin",
	Doc:  "Create and change Mobyle2's users, projects and their members, servers and services.",
	Methods: []any{
		MobyleUserCreate{}, MobyleProjectCreate{}, MobyleProjectModify{}, MobyleMemberSet{},
		MobyleServerPut{}, MobyleServicePut{},
	},
}

// MobyleServer is a server as Mobyle2 lists it.
type MobyleServer struct {
	URL      string   `json:"url"`
	Services []string `json:"services"`
	Active   bool     `json:"active"`
}

// MobyleService is a service as Mobyle2 lists it; authorized is computed
// for the caller.
type MobyleService struct {
	Name       string `json:"name"`
	Server     string `json:"server"`
	Project    string `json:"project,omitempty" doc:"Empty for a server-level service."`
	Type       string `json:"type" doc:"program, workflow or widget."`
	Exported   bool   `json:"exported"`
	Disabled   bool   `json:"disabled"`
	Authorized bool   `json:"authorized"`
}

// MobyleUser is a user as Mobyle2 lists it.
type MobyleUser struct {
	Email              string   `json:"email,omitempty"`
	Type               string   `json:"type" doc:"authenticated or anonymous."`
	AuthenticationType string   `json:"authentication_type,omitempty"`
	Status             string   `json:"status" doc:"active, suspended or pending."`
	StatusMessage      string   `json:"status_message,omitempty"`
	IsAdmin            bool     `json:"is_admin"`
	Groups             []string `json:"groups"`
	Projects           []string `json:"projects"`
}

// MobyleProject is a project as Mobyle2 shows it to its members.
type MobyleProject struct {
	Name         string   `json:"name"`
	Public       bool     `json:"public"`
	Owner        string   `json:"owner"`
	Managers     []string `json:"managers"`
	Contributors []string `json:"contributors"`
	Watchers     []string `json:"watchers"`
	Services     []string `json:"services"`
	Jobs         []string `json:"jobs"`
	Data         []string `json:"data"`
}

// MobyleServers lists the servers.
type MobyleServers struct {
	protocol.Method[map[string]MobyleServer] `path:"/servers/" operation:"GET" bare:"true" enforce_auth:"false"`
}

// MobyleServerGet gets one server.
type MobyleServerGet struct {
	protocol.Method[MobyleServer] `path:"/servers/<name>/" operation:"GET" bare:"true" enforce_auth:"false"`

	Name string `json:"name"`
}

// MobyleServices lists the services the caller may see, by full name
// (service::project::server).
type MobyleServices struct {
	protocol.Method[map[string]MobyleService] `path:"/services/" operation:"GET" bare:"true" enforce_auth:"false"`
}

// MobyleServiceGet gets one service by its full name.
type MobyleServiceGet struct {
	protocol.Method[MobyleService] `path:"/services/<fullname>" operation:"GET" bare:"true" enforce_auth:"false"`

	Fullname string `json:"fullname" doc:"service::project::server"`
}

// MobyleUsers lists the users: administrators in admin mode only.
type MobyleUsers struct {
	protocol.Method[map[string]MobyleUser] `path:"/users/" operation:"GET" bare:"true" enforce_auth:"false"`
}

// MobyleUserGet gets a user: the user themself or an administrator.
type MobyleUserGet struct {
	protocol.Method[MobyleUser] `path:"/users/<id>" operation:"GET" bare:"true" enforce_auth:"false"`

	ID string `json:"id"`
}

// MobyleProjects lists the projects the caller may see.
type MobyleProjects struct {
	protocol.Method[map[string]MobyleProject] `path:"/projects" operation:"GET" bare:"true" enforce_auth:"false"`
}

// MobyleProjectGet gets a project the caller may see.
type MobyleProjectGet struct {
	protocol.Method[MobyleProject] `path:"/projects/<id>" operation:"GET" bare:"true" enforce_auth:"false"`

	ID string `json:"id"`
}

// NewMobyleUser is a user just created, with the token that speaks for
// them (shown once).
type NewMobyleUser struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// MobyleUserCreate creates a user: administrators in admin mode, or anyone
// while the server has no user yet (the first administrator).
type MobyleUserCreate struct {
	protocol.Method[NewMobyleUser] `path:"/mobyle/user" operation:"POST" api_version:"2" envelope:"true" enforce_auth:"false"`

	Email              string   `json:"email" default:""`
	Type               string   `json:"type" default:"authenticated" validate:"oneof=authenticated anonymous"`
	AuthenticationType string   `json:"authentication_type" default:""`
	Status             string   `json:"status" default:"active" validate:"oneof=active suspended pending"`
	StatusMessage      string   `json:"status_message" default:""`
	IsAdmin            bool     `json:"is_admin" default:"false"`
	Groups             []string `json:"groups"`
}

// MobyleProjectCreate creates a project owned by the caller.
type MobyleProjectCreate struct {
	protocol.Method[MobyleProjectID] `path:"/mobyle/project" operation:"POST" api_version:"2" envelope:"true" enforce_auth:"false"`

	Name   string `json:"name" validate:"required"`
	Public bool   `json:"public" default:"false"`
}

// MobyleProjectID names a project.
type MobyleProjectID struct {
	ID string `json:"id"`
}

// MobyleProjectModify renames a project or makes it public or private:
// its owner, managers and contributors, or administrators in admin mode.
type MobyleProjectModify struct {
	protocol.Method[protocol.NoReply] `path:"/mobyle/project/<id>" operation:"POST" api_version:"2" enforce_auth:"false"`

	ID     string  `json:"id"`
	Name   *string `json:"name"`
	Public *bool   `json:"public"`
}

// MobyleMemberSet gives a user a role in a project, or takes it away
// (role ""), as whoever may modify the project.
type MobyleMemberSet struct {
	protocol.Method[protocol.NoReply] `path:"/mobyle/project/<id>/member" operation:"POST" api_version:"2" enforce_auth:"false"`

	ID     string `json:"id"`
	UserID string `json:"user_id"`
	Role   string `json:"role" validate:"omitempty,oneof=manager contributor watcher"`
}

// MobyleServerPut creates or changes a server: administrators in admin
// mode.
type MobyleServerPut struct {
	protocol.Method[protocol.NoReply] `path:"/mobyle/server" operation:"POST" api_version:"2" enforce_auth:"false"`

	Name   string `json:"name" validate:"required"`
	URL    string `json:"url" validate:"required,url"`
	Active bool   `json:"active" default:"true"`
}

// MobyleServicePut creates or changes a service: administrators in admin
// mode.
type MobyleServicePut struct {
	protocol.Method[protocol.NoReply] `path:"/mobyle/service" operation:"POST" api_version:"2" enforce_auth:"false"`

	Name     string `json:"name" validate:"required"`
	Project  string `json:"project" default:"" doc:"The project's id; empty for a server-level service."`
	Server   string `json:"server" validate:"required"`
	Type     string `json:"type" validate:"oneof=program workflow widget"`
	Exported bool   `json:"exported" default:"false"`
	Disabled bool   `json:"disabled" default:"false"`
}
