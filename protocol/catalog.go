package protocol

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
)

// Named returns a named error for a catalog: the Name is what the wire
// carries and what errors.Is matches on both sides; the message and the
// suggestions may name arguments of the method as {argument}, filled in
// from the request when a handle returns the error.
//
//	var ErrTemplateDoesNotExist = protocol.Named("templateDoesNotExist", 404,
//		"the template {template-name} does not exist",
//		"list the templates with: binder-registry list")
func Named(name string, status int, message string, suggestions ...string) *Error {
	return &Error{Status: status, Name: name, Message: message, Suggestions: suggestions}
}

// ErrorCatalog is implemented by a declaration whose method returns named
// errors: it lists them, and a handle may return those (and its group's)
// and no others. The list is read once, at registration.
type ErrorCatalog interface {
	Errors() []*Error
}

// placeholder is {argument} in a named error's texts and a method's
// messages.
var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_.-]+)\}`)

// readCatalog collects the named errors of a declaration and checks them.
func (s *MethodSpec) readCatalog(decl any) error {
	c, ok := decl.(ErrorCatalog)
	if !ok {
		return nil
	}
	return s.addErrors(c.Errors(), "its Errors", true)
}

// addErrors adds named errors to the method's catalog; from says where
// they come from, for the message of a mistake. A group's errors may name
// {placeholders} that are no argument of the method: they are left as
// written, or filled by the group's codec.
func (s *MethodSpec) addErrors(errs []*Error, from string, ownArgs bool) error {
	for _, e := range errs {
		switch {
		case e == nil || e.Name == "":
			return fmt.Errorf("%s list an error without a name; make it with protocol.Named", from)
		case e.Status < 400 || e.Status > 599 || http.StatusText(e.Status) == "":
			return fmt.Errorf("named error %s has status %d, not a 4xx or 5xx", e.Name, e.Status)
		case e.Message == "":
			return fmt.Errorf("named error %s has no message", e.Name)
		case s.NamedError(e.Name) != nil:
			if s.NamedError(e.Name) == e {
				continue // the same error listed by the method and its group
			}
			return fmt.Errorf("two named errors are called %s", e.Name)
		}
		for _, text := range append([]string{e.Message}, e.Suggestions...) {
			if err := s.checkPlaceholders(text); err != nil && ownArgs {
				return fmt.Errorf("named error %s: %w", e.Name, err)
			}
		}
		s.Errors = append(s.Errors, e)
	}
	return nil
}

// checkPlaceholders makes sure every {argument} in text names one.
func (s *MethodSpec) checkPlaceholders(text string) error {
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		if s.Arg(m[1]) == nil {
			return fmt.Errorf("%q names {%s}, which is not an argument of the method (it has %s)", text, m[1], s.argNames())
		}
	}
	return nil
}

// NamedError returns the method's named error of that name, or nil.
func (s *MethodSpec) NamedError(name string) *Error {
	for _, e := range s.Errors {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Fill replaces each {argument} in text with that argument's value in the
// method struct m (a struct or a pointer to one); an argument without a
// value (a nil pointer, say) is left as written.
func (s *MethodSpec) Fill(text string, m reflect.Value) string {
	if !strings.Contains(text, "{") {
		return text
	}
	for m.Kind() == reflect.Pointer {
		m = m.Elem()
	}
	return placeholder.ReplaceAllStringFunc(text, func(ph string) string {
		a := s.Arg(ph[1 : len(ph)-1])
		if a == nil {
			return ph
		}
		v := m.Field(a.index)
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return ph
			}
			v = v.Elem()
		}
		return fmt.Sprint(v.Interface())
	})
}

// fillError returns the catalog's error with its texts filled from the
// request's arguments.
func (s *MethodSpec) fillError(e *Error, m reflect.Value) *Error {
	c := *e
	c.Message = s.Fill(e.Message, m)
	if len(e.Suggestions) > 0 {
		c.Suggestions = make([]string, len(e.Suggestions))
		for i, sug := range e.Suggestions {
			c.Suggestions[i] = s.Fill(sug, m)
		}
	}
	return &c
}
