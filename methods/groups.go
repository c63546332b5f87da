package methods

import "github.com/tagrpc/tagrpc/protocol"

// Groups are all the API groups of the reference server.
var Groups = []*protocol.Group{InmantaV1, InmantaV2, Collections, CollectionsAdmin, Binder, Integrations, Mobyle, MobyleAdmin}

// Info describes the reference server in its OpenAPI document.
var Info = protocol.Info{
	Title:   "tagrpc reference server",
	Version: "1.0",
	Description: "Public API designs served wire-compatibly from Go declarations: " +
		"Inmanta projects, environments and environment settings; OpenFn Lightning collections; Binder builds, templates and deployments; Beaker integrations; Mobyle2 servers, services, users and projects.",
}

// ClientTypes are the kinds of client the reference server knows, after
// Inmanta's: the command line and dashboard (api), agents (agent) and
// compilers (compiler).
var ClientTypes = []string{"api", "agent", "compiler"}
