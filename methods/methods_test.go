package methods_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
)

// Every declaration of every group reads without error.
func TestDeclarationsAreValid(t *testing.T) {
	for _, g := range methods.Groups {
		specs, err := g.Specs()
		if err != nil {
			t.Fatal(err)
		}
		if len(specs) != len(g.Methods) {
			t.Errorf("group %s: %d specs for %d methods", g.Name, len(specs), len(g.Methods))
		}
	}
}

func TestInmantaErrorsRoundTrip(t *testing.T) {
	var codec methods.InmantaErrors
	tests := []struct {
		in      *protocol.Error
		message string // on the wire
	}{
		{protocol.NotFound("The given environment id does not exist!"), "Request or referenced resource does not exist: The given environment id does not exist!"},
		{protocol.Conflict("taken"), "Request conflicts with the current state of the resource: taken"},
		{protocol.Forbidden(""), "Access denied"},
		{protocol.Validation(protocol.FieldError{Location: "header.X-Inmanta-Tid", Message: "required"}), "Invalid request: 1 arguments are invalid"},
	}
	for _, tt := range tests {
		wire := codec.Encode(tt.in)
		var body struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(wire, &body); err != nil {
			t.Fatal(err)
		}
		if len(tt.in.Fields) == 0 && body.Message != tt.message {
			t.Errorf("wire message %q, want %q", body.Message, tt.message)
		}
		out := codec.Decode(tt.in.Status, wire)
		if out.Status != tt.in.Status || out.Message != tt.in.Message && tt.in.Message != "" || len(out.Fields) != len(tt.in.Fields) {
			t.Errorf("round trip of %+v gave %+v", tt.in, out)
		}
		if !errors.Is(out, &protocol.Error{Status: tt.in.Status}) {
			t.Errorf("decoded %+v does not match its status", out)
		}
	}
}

func TestSettingNormalize(t *testing.T) {
	tests := []struct {
		setting, in, want string // want "" means rejected
	}{
		{"auto_deploy", `true`, `true`},
		{"auto_deploy", `"false"`, `false`},
		{"auto_deploy", `1`, ``},
		{"resource_action_logs_retention", `30`, `30`},
		{"resource_action_logs_retention", `"45"`, `45`},
		{"resource_action_logs_retention", `1.5`, ``},
		{"autostart_agent_deploy_interval", `"0 * * * *"`, `"0 * * * *"`},
		{"autostart_agent_deploy_interval", `30`, `"30"`},
		{"autostart_agent_deploy_interval", `true`, ``},
		{"recompile_backoff", `0.5`, `0.5`},
		{"recompile_backoff", `-1`, ``},
	}
	for _, tt := range tests {
		got, err := methods.EnvironmentSettings[tt.setting].Normalize(json.RawMessage(tt.in))
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s = %s accepted as %s; want it rejected", tt.setting, tt.in, got)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("%s = %s: got %s, %v; want %s", tt.setting, tt.in, got, err, tt.want)
		}
	}
}
