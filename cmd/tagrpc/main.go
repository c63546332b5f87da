// Command tagrpc runs the reference server (tagrpc serve), issues tokens
// (tagrpc token), and calls every method of every API group from the
// command line (tagrpc <group> <method>), with commands built from the
// declarations.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagrpc/tagrpc/methods"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns its exit status.
func run(args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "tagrpc",
		Short:         "tagrpc serves and calls APIs declared as Go structs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: exitUsage, err: err} })
	root.AddGroup(&cobra.Group{ID: "api", Title: "API groups (tagrpc <group> <method> --help):"})
	root.AddCommand(newServeCmd(), newTokenCmd())
	flags := addCallFlags(root)
	for _, g := range methods.Groups {
		cmd, err := groupCommand(g, flags)
		if err != nil {
			fmt.Fprintln(stderr, "tagrpc:", err)
			return 1
		}
		root.AddCommand(cmd)
	}
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return 0
	}
	report(stderr, err)
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "required flag"),
		strings.Contains(err.Error(), "accepts"), strings.HasPrefix(err.Error(), "unknown flag"):
		return exitUsage // cobra's own refusals of a command line
	}
	return 1
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
