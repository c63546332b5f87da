package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagrpc/tagrpc/protocol/jwtauth"
)

// secretFlags are how a command finds the token secret.
type secretFlags struct {
	file   string
	issuer string
}

func (f *secretFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.file, "jwt-secret-file", "", "file holding the token secret (else env TAGRPC_JWT_SECRET)")
	cmd.Flags().StringVar(&f.issuer, "jwt-issuer", "tagrpc", "issuer (iss) of the tokens")
}

// authenticator reads the secret from the file or TAGRPC_JWT_SECRET.
func (f *secretFlags) authenticator(cfg jwtauth.Config) (*jwtauth.Authenticator, error) {
	secret := os.Getenv("TAGRPC_JWT_SECRET")
	if f.file != "" {
		b, err := os.ReadFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("read the token secret: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret == "" {
		return nil, errors.New("no token secret: give --jwt-secret-file or set TAGRPC_JWT_SECRET (at least 32 bytes, e.g. openssl rand -hex 32)")
	}
	cfg.Secret, cfg.Issuer = []byte(secret), f.issuer
	return jwtauth.New(cfg)
}
