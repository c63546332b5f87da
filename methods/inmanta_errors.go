package methods

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/tagrpc/tagrpc/protocol"
)

// InmantaErrors is the wire form of errors in Inmanta's API:
//
//	{"message": "Invalid request: <what>", "error_details": {"validation_errors": [{"loc": […], "msg": …}]}}
//
// The message starts with the fixed text of Inmanta's exception for the
// status (BadRequest, NotFound, …), as Inmanta's own clients show it.
type InmantaErrors struct{}

// inmantaPrefixes are the messages of Inmanta's protocol exceptions.
var inmantaPrefixes = map[int]string{
	http.StatusBadRequest:          "Invalid request",
	http.StatusUnauthorized:        "Access to this resource is unauthorized",
	http.StatusForbidden:           "Access denied",
	http.StatusNotFound:            "Request or referenced resource does not exist",
	http.StatusConflict:            "Request conflicts with the current state of the resource",
	http.StatusInternalServerError: "An unexpected error occurred in the server while processing the request",
	http.StatusServiceUnavailable:  "Server is shutting down",
}

// InmantaError is the wire form of InmantaErrors.
type InmantaError struct {
	Message      string               `json:"message"`
	ErrorDetails *InmantaErrorDetails `json:"error_details,omitempty"`
}

// InmantaErrorDetails are the details of an InmantaError.
type InmantaErrorDetails struct {
	ValidationErrors []InmantaValidationError `json:"validation_errors,omitempty"`
	Name             string                   `json:"name,omitempty"`
	Suggestions      []string                 `json:"suggestions,omitempty"`
	Details          map[string]any           `json:"details,omitempty"`
}

// InmantaValidationError is one entry of pydantic's error list, as
// Inmanta sends it.
type InmantaValidationError struct {
	Loc   []string `json:"loc"`
	Msg   string   `json:"msg"`
	Type  string   `json:"type"`
	Input any      `json:"input,omitempty"`
}

// BodyType implements protocol.BodyTyper, for the OpenAPI document.
func (InmantaErrors) BodyType() reflect.Type { return reflect.TypeFor[InmantaError]() }

// ContentType implements protocol.ErrorCodec.
func (InmantaErrors) ContentType() string { return "application/json" }

// Encode implements protocol.ErrorCodec.
func (InmantaErrors) Encode(e *protocol.Error) []byte {
	msg := e.Message
	if prefix, ok := inmantaPrefixes[e.Status]; ok {
		if msg == "" {
			msg = prefix
		} else if !strings.HasPrefix(msg, prefix) {
			msg = prefix + ": " + msg
		}
	}
	body := InmantaError{Message: msg}
	if len(e.Fields) > 0 || e.Name != "" || len(e.Details) > 0 {
		d := &InmantaErrorDetails{Name: e.Name, Suggestions: e.Suggestions, Details: e.Details}
		for _, f := range e.Fields {
			typ := "value_error"
			if f.Message == "required" {
				typ = "missing"
			}
			d.ValidationErrors = append(d.ValidationErrors, InmantaValidationError{
				Loc: strings.Split(f.Location, "."), Msg: f.Message, Type: typ, Input: f.Value,
			})
		}
		body.ErrorDetails = d
	}
	b, err := json.Marshal(body)
	if err != nil {
		b, _ = json.Marshal(InmantaError{Message: msg})
	}
	return b
}

// Decode implements protocol.ErrorCodec.
func (InmantaErrors) Decode(status int, data []byte) *protocol.Error {
	var body InmantaError
	if err := json.Unmarshal(data, &body); err != nil || body.Message == "" {
		msg := strings.TrimSpace(string(data))
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &protocol.Error{Status: status, Message: msg}
	}
	e := &protocol.Error{Status: status, Message: body.Message}
	if prefix, ok := inmantaPrefixes[status]; ok {
		e.Message = strings.TrimPrefix(strings.TrimPrefix(e.Message, prefix), ": ")
		if e.Message == "" {
			e.Message = prefix
		}
	}
	if d := body.ErrorDetails; d != nil {
		e.Name, e.Suggestions, e.Details = d.Name, d.Suggestions, d.Details
		for _, v := range d.ValidationErrors {
			e.Fields = append(e.Fields, protocol.FieldError{Location: strings.Join(v.Loc, "."), Message: v.Msg, Value: v.Input})
		}
	}
	return e
}
