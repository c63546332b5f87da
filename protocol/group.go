package protocol

import "fmt"

// Group is a set of method declarations served together: one API. It names
// the OpenAPI tag and the handle interface of its methods, and chooses the
// wire form of their errors.
type Group struct {
	Name    string     // short name, e.g. "projects"
	Doc     string     // one paragraph on what the API is for
	Codec   ErrorCodec // wire form of errors; nil: Problem
	Methods []any      // zero values of the declarations
	// Security is how the group's methods authenticate, for the document;
	// nil: a bearer token. The server's authenticator for the group
	// enforces it.
	Security *SecurityScheme
	// InvalidStatus is the status of a request whose body fields are
	// invalid (missing, malformed, failing validation); 0 means 400. Some
	// APIs answer 422 there, and 400 for bad path and query arguments.
	InvalidStatus int
	// Errors are the named errors every method of the group may return
	// (unauthorized, malformed request, …), beside its own.
	Errors []*Error
}

// Describe reads one declaration as a method of the group: its spec, with
// the group's named errors beside the method's own.
func (g *Group) Describe(decl any) (*MethodSpec, error) {
	s, err := Describe(decl)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", g.Name, err)
	}
	if err := s.addErrors(g.Errors, "group "+g.Name+"'s Errors", false); err != nil {
		return nil, fmt.Errorf("group %s: method %s: %w", g.Name, s.Name, err)
	}
	return s, nil
}

// Specs describes every method of the group.
func (g *Group) Specs() ([]*MethodSpec, error) {
	specs := make([]*MethodSpec, 0, len(g.Methods))
	seen := map[string]bool{}
	for _, decl := range g.Methods {
		s, err := g.Describe(decl)
		if err != nil {
			return nil, err
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("group %s: method %s is listed twice", g.Name, s.Name)
		}
		seen[s.Name] = true
		specs = append(specs, s)
	}
	return specs, nil
}
