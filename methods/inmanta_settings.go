package methods

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/protocol"
)

// ListSettings returns the settings of the environment given by the
// X-Inmanta-tid header, and the definition of every setting.
type ListSettings struct {
	protocol.Method[SettingsReply] `path:"/environment_settings" operation:"GET" client_types:"api,agent,compiler"`

	Tid uuid.UUID `json:"tid" header:"X-Inmanta-tid" reply_header:"true" doc:"The id of the environment."`
}

// GetSetting returns the value of one setting of an environment: its
// default when it was never set.
//
// It fails with NotFound when no setting has that name.
type GetSetting struct {
	protocol.Method[SettingReply] `path:"/environment_settings/<id>" operation:"GET" client_types:"api,agent"`

	Tid uuid.UUID `json:"tid" header:"X-Inmanta-tid" reply_header:"true" doc:"The id of the environment."`
	ID  string    `json:"id" doc:"The name of the setting."`
}

// Empty is the reply {} of methods that answer with nothing but success.
type Empty struct{}

// SetSetting sets the value of one setting of an environment.
//
// It fails with BadRequest when no setting has that name or the value is
// not of the setting's type.
type SetSetting struct {
	protocol.Method[Empty] `path:"/environment_settings/<id>" operation:"POST" client_types:"api,agent,compiler"`

	Tid   uuid.UUID       `json:"tid" header:"X-Inmanta-tid" reply_header:"true" doc:"The id of the environment."`
	ID    string          `json:"id" doc:"The name of the setting."`
	Value json.RawMessage `json:"value" validate:"required" doc:"The new value, of the setting's type."`
}

// DeleteSetting restores the default value of one setting of an environment.
type DeleteSetting struct {
	protocol.Method[Empty] `path:"/environment_settings/<id>" operation:"DELETE" client_types:"api,agent"`

	Tid uuid.UUID `json:"tid" header:"X-Inmanta-tid" reply_header:"true" doc:"The id of the environment."`
	ID  string    `json:"id" doc:"The name of the setting."`
}

// SettingsReply is the reply of ListSettings: the values that were set, and
// the definitions of all settings.
type SettingsReply struct {
	Settings map[string]any               `json:"settings"`
	Metadata map[string]SettingDefinition `json:"metadata"`
}

// SettingReply is the reply of GetSetting.
type SettingReply struct {
	Value    any                          `json:"value"`
	Metadata map[string]SettingDefinition `json:"metadata"`
}

// SettingType is the type of a setting's value.
type SettingType string

// The types a setting can have.
const (
	SettingBool          SettingType = "bool"
	SettingInt           SettingType = "int"
	SettingPositiveFloat SettingType = "positive_float"
	SettingStr           SettingType = "str"
	SettingEnum          SettingType = "enum"
	SettingDict          SettingType = "dict"
)

// SettingDefinition declares one environment setting, as Inmanta describes
// it in the settings metadata.
type SettingDefinition struct {
	Name          string      `json:"name"`
	Type          SettingType `json:"type"`
	Default       any         `json:"default"`
	Doc           string      `json:"doc"`
	Recompile     bool        `json:"recompile"`
	UpdateModel   bool        `json:"update_model"`
	AgentRestart  bool        `json:"agent_restart"`
	AllowedValues []string    `json:"allowed_values"`
	Section       string      `json:"section"`
	Protected     bool        `json:"protected"`
	ProtectedBy   *string     `json:"protected_by"`
}

// EnvironmentSettings are the settings an environment has: Inmanta's
// core settings.
var EnvironmentSettings = map[string]SettingDefinition{}

func init() {
	for _, d := range []SettingDefinition{
		{Name: "auto_deploy", Type: SettingBool, Default: true, Section: "deploy",
			Doc: "When this boolean is set to true, the orchestrator will automatically release a new version that was compiled by the orchestrator itself."},
		{Name: "autostart_agent_deploy_interval", Type: SettingStr, Default: "600", Section: "agent",
			Doc: "The deployment interval of the agents: a number of seconds or a cron expression. 0 disables scheduled deploy runs."},
		{Name: "autostart_agent_repair_interval", Type: SettingStr, Default: "86400", Section: "agent",
			Doc: "The repair interval of the agents: a number of seconds or a cron expression. 0 disables scheduled repair runs."},
		{Name: "reset_deploy_progress_on_start", Type: SettingBool, Default: false, Section: "scheduler", AgentRestart: true,
			Doc: "Restart the deployment from the last known state of the resources when the agents start."},
		{Name: "autostart_on_start", Type: SettingBool, Default: true, Section: "agent",
			Doc: "Automatically start the agents when the server starts instead of only just in time."},
		{Name: "server_compile", Type: SettingBool, Default: true, Section: "compiler",
			Doc: "Allow the server to compile the configuration model."},
		{Name: "auto_full_compile", Type: SettingStr, Default: "", Section: "compiler",
			Doc: "Periodically run a full compile following a cron-like time-to-run specification; empty disables it."},
		{Name: "resource_action_logs_retention", Type: SettingInt, Default: 7, Section: "storage",
			Doc: "The number of days to retain resource-action logs."},
		{Name: "available_versions_to_keep", Type: SettingInt, Default: 100, Section: "storage",
			Doc: "The number of versions to keep stored in the database, excluding the latest released version."},
		{Name: "protected_environment", Type: SettingBool, Default: false, Section: "environment",
			Doc: "When set to true, this environment cannot be cleared or deleted."},
		{Name: "notification_retention", Type: SettingInt, Default: 365, Section: "storage",
			Doc: "The number of days to retain notifications for."},
		{Name: "recompile_backoff", Type: SettingPositiveFloat, Default: 0.1, Section: "compiler",
			Doc: "The number of seconds to wait before the server may attempt to do a new recompile."},
		{Name: "environment_metrics_retention", Type: SettingInt, Default: 336, Section: "storage",
			Doc: "The number of hours to retain environment metrics for; 0 disables their cleanup."},
	} {
		EnvironmentSettings[d.Name] = d
	}
}

// Normalize checks a value for the setting and returns it in canonical
// JSON. Like Inmanta, it also accepts the text form of a boolean or number
// ("true", "600"), as sent by command-line clients.
func (d SettingDefinition) Normalize(raw json.RawMessage) (json.RawMessage, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the value of %s is not valid JSON", d.Name)
	}
	var out any
	switch d.Type {
	case SettingBool:
		switch x := v.(type) {
		case bool:
			out = x
		case string:
			b, err := strconv.ParseBool(x)
			if err != nil {
				return nil, fmt.Errorf("%s takes a boolean, not %q", d.Name, x)
			}
			out = b
		}
	case SettingInt:
		n, err := strconv.ParseInt(numberText(v), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s takes an integer, not %s", d.Name, raw)
		}
		out = n
	case SettingPositiveFloat:
		f, err := strconv.ParseFloat(numberText(v), 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%s takes a positive number, not %s", d.Name, raw)
		}
		out = f
	case SettingStr:
		// Inmanta's interval settings are text that may hold a number of
		// seconds; a JSON number is taken as that text.
		switch x := v.(type) {
		case string:
			out = x
		case json.Number:
			out = x.String()
		}
	case SettingEnum:
		if s, ok := v.(string); ok && slices.Contains(d.AllowedValues, s) {
			out = s
		} else {
			return nil, fmt.Errorf("%s takes one of %s, not %s", d.Name, strings.Join(d.AllowedValues, ", "), raw)
		}
	case SettingDict:
		if m, ok := v.(map[string]any); ok {
			out = m
		}
	}
	if out == nil {
		return nil, fmt.Errorf("%s takes a value of type %s, not %s", d.Name, d.Type, raw)
	}
	return json.Marshal(out)
}

// numberText is a JSON number, or a string holding one, as text.
func numberText(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		return x
	}
	return ""
}
