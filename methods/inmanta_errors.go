package methods

import (
	"encoding/json"
	"net/http"
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

type inmantaBody struct {
	Message      string          `json:"message"`
	ErrorDetails *inmantaDetails `json:"error_details,omitempty"`
}

type inmantaDetails struct {
	ValidationErrors []inmantaValidation `json:"validation_errors,omitempty"`
	Name             string              `json:"name,omitempty"`
	Suggestions      []string            `json:"suggestions,omitempty"`
	Details          map[string]any      `json:"details,omitempty"`
}

// inmantaValidation is one entry of pydantic's error list, as Inmanta sends it.
type inmantaValidation struct {
	Loc   []string `json:"loc"`
	Msg   string   `json:"msg"`
	Type  string   `json:"type"`
	Input any      `json:"input,omitempty"`
}

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
	body := inmantaBody{Message: msg}
	if len(e.Fields) > 0 || e.Name != "" || len(e.Details) > 0 {
		d := &inmantaDetails{Name: e.Name, Suggestions: e.Suggestions, Details: e.Details}
		for _, f := range e.Fields {
			typ := "value_error"
			if f.Message == "required" {
				typ = "missing"
			}
			d.ValidationErrors = append(d.ValidationErrors, inmantaValidation{
				Loc: strings.Split(f.Location, "."), Msg: f.Message, Type: typ, Input: f.Value,
			})
		}
		body.ErrorDetails = d
	}
	b, err := json.Marshal(body)
	if err != nil {
		b, _ = json.Marshal(inmantaBody{Message: msg})
	}
	return b
}

// Decode implements protocol.ErrorCodec.
func (InmantaErrors) Decode(status int, data []byte) *protocol.Error {
	var body inmantaBody
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
