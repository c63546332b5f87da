package protocol

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is the error of a call, on both sides of the wire: a handle returns
// it to choose the status and message, and the client returns it for every
// answer that is not a success.
//
// errors.Is(err, ErrNotFound) holds for any Error with status 404; a named
// error matches a target with the same name.
type Error struct {
	Status      int            // HTTP status
	Message     string         // what went wrong, for a person
	Name        string         // named error from the method's catalog, if any
	Suggestions []string       // how to fix it, for a named error
	Fields      []FieldError   // one entry per bad argument or field
	Details     map[string]any // extra, machine-readable facts

	cause error // kept for logs and errors.Unwrap; never sent
}

// FieldError says what is wrong with one argument, or one field of one.
type FieldError struct {
	// Location is where the value came from and which one it is:
	// "path.id", "query.limit", "header.X-Inmanta-Tid", "body.name".
	Location string `json:"location"`
	Message  string `json:"message"`
	Value    any    `json:"value,omitempty"`

	arg string // the argument's name, for Inmanta's "Field 'x' is required."
}

func (f FieldError) String() string { return f.Location + ": " + f.Message }

// Error returns the message followed by the field errors.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if len(e.Fields) == 0 {
		return msg
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	return msg + " (" + strings.Join(parts, "; ") + ")"
}

// Unwrap returns the cause given to Wrap, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error of the same kind: the same name
// when target is named, else the same status when target has no message
// (the sentinels), else the same status and message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Name != "" {
		return e.Name == t.Name
	}
	return e.Status == t.Status && (t.Message == "" || t.Message == e.Message)
}

// Sentinels for errors.Is; compare by status.
var (
	ErrBadRequest      = &Error{Status: http.StatusBadRequest}
	ErrUnauthorized    = &Error{Status: http.StatusUnauthorized}
	ErrForbidden       = &Error{Status: http.StatusForbidden}
	ErrNotFound        = &Error{Status: http.StatusNotFound}
	ErrConflict        = &Error{Status: http.StatusConflict}
	ErrPayloadTooLarge = &Error{Status: http.StatusRequestEntityTooLarge}
	ErrUnprocessable   = &Error{Status: http.StatusUnprocessableEntity}
	ErrInternal        = &Error{Status: http.StatusInternalServerError}
	ErrUnavailable     = &Error{Status: http.StatusServiceUnavailable}
	ErrTimeout         = &Error{Status: http.StatusGatewayTimeout}
)

// Errorf returns an Error with the given status and formatted message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400: the request is malformed or an argument is invalid.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, format, args...)
}

// Unauthorized is a 401: no valid credentials.
func Unauthorized(format string, args ...any) *Error {
	return Errorf(http.StatusUnauthorized, format, args...)
}

// Forbidden is a 403: the caller may not do this.
func Forbidden(format string, args ...any) *Error {
	return Errorf(http.StatusForbidden, format, args...)
}

// NotFound is a 404: the request or a resource it names does not exist.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, format, args...)
}

// Conflict is a 409: the request conflicts with the current state.
func Conflict(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, format, args...)
}

// PayloadTooLarge is a 413: the request body is over the limit.
func PayloadTooLarge(format string, args ...any) *Error {
	return Errorf(http.StatusRequestEntityTooLarge, format, args...)
}

// Unprocessable is a 422: well-formed but semantically invalid.
func Unprocessable(format string, args ...any) *Error {
	return Errorf(http.StatusUnprocessableEntity, format, args...)
}

// Internal is a 500. Its message is sent to the client: say nothing internal.
func Internal(format string, args ...any) *Error {
	return Errorf(http.StatusInternalServerError, format, args...)
}

// Unavailable is a 503: try again later.
func Unavailable(format string, args ...any) *Error {
	return Errorf(http.StatusServiceUnavailable, format, args...)
}

// Wrap returns e with cause attached: logged by the server and reachable with
// errors.Unwrap, never sent to the client.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// internalMessage is all a client learns of an error that is not an *Error.
const internalMessage = "An internal error occurred; the server log has the details."

// AsError turns any error a handle returns into the *Error to send. Errors
// that are not an *Error become a 500 that reveals nothing of the cause.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Message: internalMessage, cause: err}
}

// Validation returns a 400 listing the field errors.
func Validation(fields ...FieldError) *Error {
	return &Error{Status: http.StatusBadRequest, Message: validationMessage(fields), Fields: fields}
}

func validationMessage(fields []FieldError) string {
	if len(fields) == 1 {
		if f := fields[0]; f.Message == "required" && f.arg != "" {
			return "Field '" + f.arg + "' is required."
		}
		return fields[0].String()
	}
	return fmt.Sprintf("%d arguments are invalid", len(fields))
}
