package methods

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/tagrpc/tagrpc/protocol"
)

// LightningErrors is the wire form of errors in Lightning's Collections
// API: {"error": "<message>"}, with any details of the error beside it
// ({"upserted": 0, "error": "Duplicate key found"}). Lightning says only
// "Unauthorized" and "Not Found" for those statuses, and names the first
// missing field of an invalid body.
type LightningErrors struct{}

// LightningError is the wire form of LightningErrors.
type LightningError struct {
	Error string `json:"error"`
}

// BodyType implements protocol.BodyTyper, for the OpenAPI document.
func (LightningErrors) BodyType() reflect.Type { return reflect.TypeFor[LightningError]() }

// ContentType implements protocol.ErrorCodec.
func (LightningErrors) ContentType() string { return "application/json" }

// Encode implements protocol.ErrorCodec.
func (LightningErrors) Encode(e *protocol.Error) []byte {
	msg := e.Message
	switch e.Status {
	case http.StatusUnauthorized:
		msg = "Unauthorized"
	case http.StatusNotFound:
		msg = "Not Found"
	}
	for _, f := range e.Fields {
		if f.Message == "required" {
			msg = "Missing required field: " + f.Location[strings.LastIndexByte(f.Location, '.')+1:]
			break
		}
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	body := map[string]any{}
	for k, v := range e.Details {
		body[k] = v
	}
	body["error"] = msg
	b, err := json.Marshal(body)
	if err != nil {
		b, _ = json.Marshal(LightningError{Error: msg})
	}
	return b
}

// Decode implements protocol.ErrorCodec.
func (LightningErrors) Decode(status int, data []byte) *protocol.Error {
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		msg := strings.TrimSpace(string(data))
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &protocol.Error{Status: status, Message: msg}
	}
	e := &protocol.Error{Status: status}
	e.Message, _ = body["error"].(string)
	delete(body, "error")
	if len(body) > 0 {
		e.Details = body
	}
	return e
}

// Timestamp is a time as Lightning writes it: ISO 8601 in UTC with
// microseconds, always six digits.
type Timestamp time.Time

const timestampLayout = "2006-01-02T15:04:05.000000Z"

// MarshalText implements encoding.TextMarshaler.
func (t Timestamp) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format(timestampLayout)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Timestamp) UnmarshalText(b []byte) error {
	v, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return err
	}
	*t = Timestamp(v)
	return nil
}

// DateTime is a query argument that must be a full date-time: ISO 8601
// with a time of day, in UTC when it carries no zone. A bare date is
// refused, since it does not say which end of the day it means.
type DateTime struct{ time.Time }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *DateTime) UnmarshalText(b []byte) error {
	if !strings.ContainsAny(string(b), "Tt ") {
		return errors.New("not a full date-time: give the time of day too, e.g. 2024-05-01T10:00:00Z")
	}
	t, err := protocol.ParseTime(string(b))
	if err != nil {
		return err
	}
	d.Time = t.UTC()
	return nil
}

// MarshalText implements encoding.TextMarshaler, so the client sends what
// the server reads.
func (d DateTime) MarshalText() ([]byte, error) {
	return []byte(d.Time.UTC().Format(time.RFC3339Nano)), nil
}
