package protocol

import (
	"encoding/json"
	"net/http"
)

// ErrorCodec is the wire form of errors for an API group. The server encodes
// with it and the generated client decodes with it, so an API that
// reproduces another keeps that API's error shape.
type ErrorCodec interface {
	// ContentType of the encoded error.
	ContentType() string
	// Encode returns the body for e.
	Encode(e *Error) []byte
	// Decode reads an error body of the given status back into an *Error.
	// It never fails: a body it cannot read becomes the message.
	Decode(status int, body []byte) *Error
}

// Problem is the default ErrorCodec: RFC 9457 problem details
// (application/problem+json), with the field errors under "errors" and a
// named error's name and suggestions as extension members.
type Problem struct{}

// ProblemDetails is the wire form of Problem: RFC 9457 problem details
// with tagrpc's extension members.
type ProblemDetails struct {
	Type        string         `json:"type,omitempty"`
	Title       string         `json:"title"`
	Status      int            `json:"status"`
	Detail      string         `json:"detail,omitempty"`
	Name        string         `json:"name,omitempty"`
	Suggestions []string       `json:"suggestions,omitempty"`
	Errors      []FieldError   `json:"errors,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
}

// ContentType implements ErrorCodec.
func (Problem) ContentType() string { return "application/problem+json" }

// Encode implements ErrorCodec.
func (Problem) Encode(e *Error) []byte {
	b, err := json.Marshal(ProblemDetails{
		Title: http.StatusText(e.Status), Status: e.Status, Detail: e.Message,
		Name: e.Name, Suggestions: e.Suggestions, Errors: e.Fields, Details: e.Details,
	})
	if err != nil {
		// Details held something JSON cannot carry; drop it rather than the error.
		b, _ = json.Marshal(ProblemDetails{Title: http.StatusText(e.Status), Status: e.Status, Detail: e.Message})
	}
	return b
}

// Decode implements ErrorCodec.
func (Problem) Decode(status int, body []byte) *Error {
	var p ProblemDetails
	if err := json.Unmarshal(body, &p); err != nil || (p.Detail == "" && p.Title == "") {
		return &Error{Status: status, Message: fallbackMessage(status, body)}
	}
	msg := p.Detail
	if msg == "" {
		msg = p.Title
	}
	return &Error{Status: status, Message: msg, Name: p.Name, Suggestions: p.Suggestions, Fields: p.Errors, Details: p.Details}
}

func fallbackMessage(status int, body []byte) string {
	if len(body) == 0 {
		return http.StatusText(status)
	}
	if len(body) > 512 {
		body = body[:512]
	}
	return string(body)
}
