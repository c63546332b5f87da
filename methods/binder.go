package methods

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/tagrpc/tagrpc/protocol"
)

// Binder is the API of Binder's build, registry, deploy and health servers,
// as binder-protocol 1.2.0 declares it, at its own paths, so that
// binder-client works against it. Privileged methods take the raw API key
// as the Authorization header; errors are {"type": <name>, "error": <msg>}.
var Binder = &protocol.Group{
	Name:          "binder",
	Doc:           "Binder: build images from repositories, keep them as templates, deploy them as applications.",
	Codec:         BinderErrors{},
	InvalidStatus: http.StatusUnprocessableEntity,
	Errors:        []*protocol.Error{ErrBinderUnauthorized, ErrBinderMalformedRequest, ErrBinderBadResponse},
	Security: &protocol.SecurityScheme{Name: "binderAPIKey", Type: "apiKey", In: "header", Field: "Authorization",
		Description: "The server's API key, as the whole Authorization header."},
	Methods: []any{
		BuildStart{}, BuildStatus{}, BuildStatusAll{},
		TemplateFetch{}, TemplateFetchAll{},
		AppDeploy{}, AppStatus{}, AppStatusAll{}, AppPreload{}, AppPreloadStatus{},
		HealthStatus{},
	},
}

// Binder's global errors (binder-protocol lib/global.js).
var (
	ErrBinderUnauthorized = protocol.Named("unauthorized", http.StatusForbidden, "Unauthorized request",
		"make sure to include a valid API token with any privileged requests")
	ErrBinderMalformedRequest = protocol.Named("malformedRequest", http.StatusUnprocessableEntity,
		"Request does not contain the required parameters for this endpoint: {name}",
		"add the required parameter to the request")
	ErrBinderBadResponse = protocol.Named("badResponse", http.StatusInternalServerError,
		"Server response is missing a required field: {name}", "this is the product of a bug in the server")
)

// Binder's method errors (binder-protocol lib/build.js, registry.js,
// deploy.js, health.js).
var (
	ErrBuildBadRepoSource = protocol.Named("badRepoSource", 500, "Unsupported repo source",
		"host your binder on a supported repository source (GitHub)")
	ErrBuildAlreadyBuilding = protocol.Named("alreadyBuilding", 500, "Already building the image",
		"wait until the current build has completed before trying again")
	ErrBuildNoBuildInfo = protocol.Named("noBuildInfo", 500, "Could not get build information for requested image",
		"ensure that your build server is running and is accessible from this machine")
	ErrTemplateDoesNotExist = protocol.Named("doesNotExist", 404, "The requested resource does not exist",
		"is the resource name spelled correctly?")
	ErrDeployRegistryError = protocol.Named("registryError", 500, "Could not fetch template with name {template-name} from registry",
		"make sure the deployment server is not in testing mode (will fetch templates locally)",
		"check if the registry has access to the Binder database")
	ErrDeployNoRecord = protocol.Named("noRecord", 500, "There is no record for that template/ID combination",
		"make sure that the template/ID are spelled correctly",
		"check if the ID was returned in a previous deployment call")
	ErrPreloadRegistryError = protocol.Named("registryError", 500, "Could not fetch the template to preload from the registry",
		"ensure that the database is accessible to the deploy server",
		"check the Binder Logstash logs for database-oriented messages")
)

// BuildStart starts building a Binder image from the dependencies in a
// repository.
type BuildStart struct {
	protocol.Method[BuildName] `path:"/builds/" operation:"POST" bare:"true" msg:"Starting Binder build for repository: {repository}" success_msg:"Build succesfully started for repository: {repository}"`

	Repository string    `json:"repository" doc:"the repository to build"`
	Force      LooseBool `json:"force" default:"false" doc:"force a rebuild if the repository is already building"`
}

// Errors implements protocol.ErrorCatalog.
func (BuildStart) Errors() []*protocol.Error {
	return []*protocol.Error{ErrBuildBadRepoSource, ErrBuildAlreadyBuilding}
}

// BuildName names the image a build makes.
type BuildName struct {
	Name string `json:"name"`
}

// Build is the state of a build.
type Build struct {
	Name       string    `json:"name"`
	StartTime  time.Time `json:"start-time"`
	Status     string    `json:"status" doc:"running, completed or failed"`
	Phase      string    `json:"phase" doc:"queued, fetching, building, finished or failed"`
	Repository string    `json:"repository"`
	Reason     string    `json:"reason,omitempty" doc:"Why the build failed."`
}

// BuildStatus gets the status of a Binder build.
type BuildStatus struct {
	protocol.Method[Build] `path:"/builds/<image-name>" operation:"GET" bare:"true" enforce_auth:"false" msg:"Getting status of build for image: {image-name}"`

	ImageName string `json:"image-name" doc:"the name of the image"`
}

// Errors implements protocol.ErrorCatalog.
func (BuildStatus) Errors() []*protocol.Error { return []*protocol.Error{ErrBuildNoBuildInfo} }

// BuildStatusAll gets the status of all Binder builds.
type BuildStatusAll struct {
	protocol.Method[[]Build] `path:"/builds/" operation:"GET" bare:"true" msg:"Getting status of all builds"`
}

// Template is a built image, kept in the registry.
type Template struct {
	Name         string    `json:"name"`
	ImageSource  string    `json:"image-source"`
	Port         int       `json:"port"`
	TimeCreated  time.Time `json:"time-created"`
	TimeModified time.Time `json:"time-modified"`
}

// TemplateFetch fetches a template from the registry.
type TemplateFetch struct {
	protocol.Method[Template] `path:"/templates/<template-name>" operation:"GET" bare:"true" msg:"Fetching template from the registry"`

	TemplateName string `json:"template-name" doc:"name of the template"`
}

// Errors implements protocol.ErrorCatalog.
func (TemplateFetch) Errors() []*protocol.Error { return []*protocol.Error{ErrTemplateDoesNotExist} }

// TemplateFetchAll fetches all templates from the registry.
type TemplateFetchAll struct {
	protocol.Method[[]Template] `path:"/templates/" operation:"GET" bare:"true" msg:"Fetching all templates from the registry"`
}

// AppID names a deployment.
type AppID struct {
	ID string `json:"id"`
}

// App is a deployment of a template.
type App struct {
	ID       string `json:"id"`
	Location string `json:"location" doc:"Where the application answers; empty until it runs."`
	Status   string `json:"status" doc:"deploying, running or failed"`
}

// AppDeploy deploys an instance of a template onto a Binder backend.
type AppDeploy struct {
	protocol.Method[AppID] `path:"/applications/" operation:"POST" bare:"true" enforce_auth:"false" msg:"Deploying {template-name} onto a Binder backend"`

	TemplateName string    `json:"template-name" doc:"name of the template to deploy"`
	CullTimeout  *LooseInt `json:"cull-timeout" doc:"inactive period after which app will be culled"`
}

// Errors implements protocol.ErrorCatalog.
func (AppDeploy) Errors() []*protocol.Error { return []*protocol.Error{ErrDeployRegistryError} }

// AppStatus gets information associated with a single deployment.
type AppStatus struct {
	protocol.Method[App] `path:"/applications/<template-name>/<id>" operation:"GET" bare:"true" enforce_auth:"false" msg:"Getting information about the single deployment {template-name} - {id}"`

	TemplateName string `json:"template-name" doc:"the deployment's template name"`
	ID           string `json:"id" doc:"the deployment's ID"`
}

// Errors implements protocol.ErrorCatalog.
func (AppStatus) Errors() []*protocol.Error { return []*protocol.Error{ErrDeployNoRecord} }

// AppStatusAll gets information associated with all deployments of a
// template.
type AppStatusAll struct {
	protocol.Method[[]App] `path:"/applications/<template-name>" operation:"GET" bare:"true" msg:"Getting information about all deployments for {template-name}"`

	TemplateName string `json:"template-name" doc:"name of the template with existing deployments"`
}

// Preload is the preloading state of a template.
type Preload struct {
	Name   string    `json:"name"`
	Status string    `json:"status" doc:"completed once every node has the image"`
	Time   time.Time `json:"time"`
}

// AppPreload preloads a template onto all nodes of the cluster.
type AppPreload struct {
	protocol.Method[Preload] `path:"/preload/<template-name>" operation:"POST" bare:"true" msg:"Preloading {template-name} onto all nodes of the cluster"`

	TemplateName string `json:"template-name" doc:"name of the template to preload onto the cluster"`
}

// Errors implements protocol.ErrorCatalog.
func (AppPreload) Errors() []*protocol.Error { return []*protocol.Error{ErrPreloadRegistryError} }

// AppPreloadStatus checks the preloading status of a template.
type AppPreloadStatus struct {
	protocol.Method[Preload] `path:"/preload/<template-name>" operation:"GET" bare:"true" msg:"Checking preloading status of {template-name}"`

	TemplateName string `json:"template-name" doc:"name of the preloading template"`
}

// Errors implements protocol.ErrorCatalog.
func (AppPreloadStatus) Errors() []*protocol.Error { return []*protocol.Error{ErrTemplateDoesNotExist} }

// Health is the health of one Binder component.
type Health struct {
	Name      string    `json:"name"`
	Timestamp time.Time `json:"timestamp"`
	Status    string    `json:"status"`
}

// HealthStatus gets the health of all Binder components.
type HealthStatus struct {
	protocol.Method[[]Health] `path:"/health/" operation:"GET" bare:"true" msg:"Getting health of all Binder components"`
}

// LooseBool is a boolean that binder-client may send as a string: its
// command line passes every argument as text ("true").
type LooseBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *LooseBool) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(data), `"`)
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		*b = true
	case "false", "0", "no", "", "null":
		*b = false
	default:
		return fmt.Errorf("%s is not a boolean", data)
	}
	return nil
}

// LooseInt is an integer that binder-client may send as a string.
type LooseInt int

// UnmarshalJSON implements json.Unmarshaler.
func (n *LooseInt) UnmarshalJSON(data []byte) error {
	v, err := strconv.Atoi(strings.Trim(string(data), `"`))
	if err != nil {
		return fmt.Errorf("%s is not an integer", data)
	}
	*n = LooseInt(v)
	return nil
}

// BinderErrors is the wire form of Binder's errors: {"type": <the named
// error>, "error": <its message>}. An error without a name takes the name
// binder-protocol gives its kind: a missing or malformed parameter is
// malformedRequest (naming the parameter), a refused key unauthorized.
type BinderErrors struct{}

// BinderError is the wire form of BinderErrors.
type BinderError struct {
	Type  string `json:"type"`
	Error string `json:"error"`
}

// BodyType implements protocol.BodyTyper, for the OpenAPI document.
func (BinderErrors) BodyType() reflect.Type { return reflect.TypeFor[BinderError]() }

// ContentType implements protocol.ErrorCodec.
func (BinderErrors) ContentType() string { return "application/json" }

// Encode implements protocol.ErrorCodec.
func (BinderErrors) Encode(e *protocol.Error) []byte {
	body := BinderError{Type: e.Name, Error: e.Message}
	switch {
	case body.Type != "":
	case len(e.Fields) > 0:
		name := e.Fields[0].Location
		name = name[strings.IndexByte(name, '.')+1:]
		body.Type = ErrBinderMalformedRequest.Name
		body.Error = strings.ReplaceAll(ErrBinderMalformedRequest.Message, "{name}", name)
		if e.Fields[0].Message != "required" {
			body.Error += " (" + e.Fields[0].Message + ")"
		}
	case e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized:
		body.Type, body.Error = ErrBinderUnauthorized.Name, ErrBinderUnauthorized.Message
	default:
		body.Type = "generic"
	}
	b, _ := json.Marshal(body)
	return b
}

// Decode implements protocol.ErrorCodec.
func (BinderErrors) Decode(status int, data []byte) *protocol.Error {
	var body BinderError
	if err := json.Unmarshal(data, &body); err != nil || body.Error == "" {
		msg := strings.TrimSpace(string(data))
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &protocol.Error{Status: status, Message: msg}
	}
	e := &protocol.Error{Status: status, Message: body.Error}
	if body.Type != "generic" {
		e.Name = body.Type
	}
	return e
}
