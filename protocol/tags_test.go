package protocol

import (
	"strings"
	"testing"
)

// Malformed tags are tested inside the package: go vet refuses them in a
// declaration, but a declaration built with reflect.StructOf can carry one.
func TestParseTag(t *testing.T) {
	tests := []struct {
		tag  string
		want string // the pairs as key=value, or the error
	}{
		{`path:"/x" operation:"GET"`, "path=/x operation=GET"},
		{`  doc:"a \"quoted\" word"`, `doc=a "quoted" word`},
		{`operation:GET`, "malformed struct tag"},
		{`path:"/x`, "unterminated value"},
		{`path:"/x" path:"/y"`, `tag key "path" given twice`},
	}
	for _, tt := range tests {
		pairs, err := parseTag(tt.tag)
		var got string
		if err != nil {
			got = err.Error()
		} else {
			var parts []string
			for _, p := range pairs {
				parts = append(parts, p.key+"="+p.value)
			}
			got = strings.Join(parts, " ")
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("parseTag(%q) = %q, want %q", tt.tag, got, tt.want)
		}
	}
}
