package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol/jwtauth"
)

func newTokenCmd() *cobra.Command {
	var (
		secret      secretFlags
		clientTypes string
		environment string
		subject     string
		ttl         time.Duration
	)
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Issue a bearer token signed with the server's secret",
		Long: `Issue a bearer token for the given client types, signed with the same
secret as "tagrpc serve --auth", and print it. Send it as
"Authorization: Bearer <token>".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			authn, err := secret.authenticator(jwtauth.Config{})
			if err != nil {
				return err
			}
			types := strings.Split(clientTypes, ",")
			for _, ct := range types {
				if !contains(methods.ClientTypes, ct) {
					return fmt.Errorf("client type %q is not one of %s", ct, strings.Join(methods.ClientTypes, ", "))
				}
			}
			if environment != "" {
				if _, err := uuid.Parse(environment); err != nil {
					return fmt.Errorf("--environment %q is not an environment id: %w", environment, err)
				}
			}
			token, _, err := authn.Issue(subject, types, environment, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), token)
			return nil
		},
	}
	secret.register(cmd)
	f := cmd.Flags()
	f.StringVar(&clientTypes, "client-types", "api", "comma list of client types: "+strings.Join(methods.ClientTypes, ", "))
	f.StringVar(&environment, "environment", "", "limit the token to this environment id")
	f.StringVar(&subject, "subject", "tagrpc-cli", "who the token is for (sub)")
	f.DurationVar(&ttl, "ttl", 0, "how long the token is valid (0: no expiry)")
	return cmd
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
