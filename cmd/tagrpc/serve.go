package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/protocol/jwtauth"
	"github.com/tagrpc/tagrpc/server"
)

func newServeCmd() *cobra.Command {
	var (
		addr     string
		dsn      string
		shutdown time.Duration
		debug    bool
		auth     bool
		secret   secretFlags
		cfg      handlers.Config
		intFile  string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the reference server",
		Long: `Run the reference server: Inmanta projects, environments and settings,
OpenFn Lightning collections, and Binder's build, registry and deploy API
(with a worker that builds and deploys).

Authentication is off by default; --auth requires bearer tokens signed with
the secret of --jwt-secret-file or TAGRPC_JWT_SECRET ("tagrpc token" issues
them), and enforces each method's client types. Binder's privileged methods
take the key of --binder-api-key (TAGRPC_BINDER_API_KEY) as the Authorization
header; without one they refuse every call.

The database is a SQLite file by default, created and migrated on first
start; a postgres:// DSN selects PostgreSQL. SIGINT or SIGTERM stops the
server gracefully: requests in flight finish, then the database is closed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			var tokens *jwtauth.Authenticator
			if auth {
				var err error
				if tokens, err = secret.authenticator(jwtauth.Config{}); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if intFile != "" {
				p, err := handlers.LoadFileProvider("file:"+strings.TrimSuffix(filepath.Base(intFile), filepath.Ext(intFile)), intFile)
				if err != nil {
					return err
				}
				cfg.IntegrationProviders = append(cfg.IntegrationProviders, p)
			}
			return serve(ctx, log, addr, dsn, shutdown, tokens, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", envOr("TAGRPC_ADDR", "127.0.0.1:8080"), "address to listen on (env TAGRPC_ADDR)")
	f.StringVar(&dsn, "db", envOr("TAGRPC_DB", "tagrpc.db"), "SQLite file or postgres:// DSN (env TAGRPC_DB)")
	f.DurationVar(&shutdown, "shutdown-timeout", 15*time.Second, "how long to wait for requests in flight on shutdown")
	f.BoolVar(&debug, "debug", false, "log at debug level")
	f.BoolVar(&auth, "auth", false, "require bearer tokens, as each method's client_types say")
	f.StringVar(&intFile, "integrations-file", os.Getenv("TAGRPC_INTEGRATIONS_FILE"), "a JSON file of read-only Beaker integrations to serve in every session (env TAGRPC_INTEGRATIONS_FILE)")
	f.StringVar(&cfg.Binder.APIKey, "binder-api-key", os.Getenv("TAGRPC_BINDER_API_KEY"), "the API key of Binder's privileged methods (env TAGRPC_BINDER_API_KEY)")
	secret.register(cmd)
	return cmd
}

func serve(ctx context.Context, log *slog.Logger, addr, dsn string, shutdown time.Duration, tokens *jwtauth.Authenticator, cfg handlers.Config) error {
	db, err := data.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, worker, err := handlers.NewServerWith(db, tokens, cfg, server.WithLogger(log), server.WithShutdownTimeout(shutdown))
	if err != nil {
		return err
	}
	workerCtx, stopWorker := context.WithCancel(ctx)
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		worker.Run(workerCtx)
	}()
	defer func() { stopWorker(); <-workerDone }() // before the database closes
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	authState := "off: no token is checked (--auth turns it on)"
	if tokens != nil {
		authState = "on: bearer tokens (tagrpc token issues them)"
	}
	url := "http://" + ln.Addr().String()
	log.Info("tagrpc serving", "url", url, "docs", url+"/docs", "db", redact(dsn), "auth", authState)
	err = srv.Serve(ctx, ln)
	log.Info("tagrpc stopped")
	return err
}

// redact hides a password in a DSN before it is logged.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
