package protocol_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/protocol"
)

func TestErrorIs(t *testing.T) {
	named := &protocol.Error{Status: 404, Name: "templateDoesNotExist"}
	tests := []struct {
		err    error
		target error
		want   bool
	}{
		{protocol.NotFound("no project"), protocol.ErrNotFound, true},
		{fmt.Errorf("wrapped: %w", protocol.NotFound("no project")), protocol.ErrNotFound, true},
		{protocol.NotFound("no project"), protocol.ErrConflict, false},
		{protocol.Conflict("taken"), protocol.ErrConflict, true},
		{&protocol.Error{Status: 404, Name: "templateDoesNotExist", Message: "x"}, named, true},
		{protocol.NotFound("x"), named, false},
		{errors.New("plain"), protocol.ErrInternal, false},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
		}
	}
}

func TestAsErrorHidesInternals(t *testing.T) {
	cause := errors.New("pq: password authentication failed for user admin")
	e := protocol.AsError(fmt.Errorf("load: %w", cause))
	if e.Status != http.StatusInternalServerError || e.Message == cause.Error() {
		t.Fatalf("AsError = %+v: want a 500 that does not repeat the cause", e)
	}
	if !errors.Is(e, cause) {
		t.Error("the cause is not reachable with errors.Is for logging")
	}
	if got := protocol.AsError(protocol.Conflict("taken")); got.Status != 409 {
		t.Errorf("an *Error keeps its status: %d", got.Status)
	}
}

func TestProblemRoundTrip(t *testing.T) {
	in := &protocol.Error{
		Status: 400, Message: "2 arguments are invalid", Name: "badThing", Suggestions: []string{"try again"},
		Fields: []protocol.FieldError{{Location: "path.id", Message: "not a valid UUID", Value: "x"}, {Location: "body.name", Message: "required"}},
	}
	var codec protocol.Problem
	out := codec.Decode(400, codec.Encode(in))
	if out.Status != in.Status || out.Message != in.Message || out.Name != in.Name || len(out.Suggestions) != 1 || len(out.Fields) != 2 || out.Fields[0].Location != "path.id" {
		t.Errorf("round trip: got %+v, want %+v", out, in)
	}
	if !errors.Is(out, protocol.ErrBadRequest) {
		t.Error("decoded error is not ErrBadRequest")
	}
	if got := codec.Decode(502, []byte("<html>bad gateway</html>")); got.Status != 502 || got.Message != "<html>bad gateway</html>" {
		t.Errorf("a body that is not a problem becomes the message: %+v", got)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-05-01T10:00:00Z", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), true},
		{"2024-05-01T12:00:00+02:00", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), true},
		{"2024-05-01T10:00:00.5", time.Date(2024, 5, 1, 10, 0, 0, 5e8, time.UTC), true},
		{"2024-05-01", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), true},
		{"yesterday", time.Time{}, false},
		{"2024-13-01T00:00:00Z", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := protocol.ParseTime(tt.in)
		if (err == nil) != tt.ok || (tt.ok && !got.Equal(tt.want)) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
