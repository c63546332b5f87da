// Package protocol is the core of tagrpc: it reads method declarations into
// MethodSpecs, decodes and validates a request's arguments, binds handles to
// methods, and writes replies and errors.
//
// A method is a Go struct that embeds [Method] with a struct tag describing
// the endpoint; its other exported fields are the arguments:
//
//	// GetProject returns a project and the ids of its environments.
//	type GetProject struct {
//		protocol.Method[ProjectReply] `path:"/project/<id>" operation:"GET"`
//
//		ID uuid.UUID `json:"id" doc:"The id of the project."`
//	}
//
// A handle is a plain function (usually a method of a handler object) that
// takes a context and an argument struct and returns the reply:
//
//	func (h *Projects) GetProject(ctx context.Context, in methods.GetProject) (methods.ProjectReply, error)
//
// Everything that can be checked is checked once, when the handle is bound:
// a request only runs precomputed decoders.
//
// The package knows nothing of any particular API: the reference server's
// declarations live in package methods, and any program can declare its own.
package protocol
