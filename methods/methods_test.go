package methods_test

import (
	"testing"

	"github.com/tagrpc/tagrpc/methods"
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
