package server

import (
	"log/slog"
	"time"

	"github.com/tagrpc/tagrpc/protocol"
)

// Option configures a Server.
type Option func(*options)

type options struct {
	logger            *slog.Logger
	codec             protocol.ErrorCodec
	maxBody           int64
	maxHeaderBytes    int
	readHeaderTimeout time.Duration
	bodyTimeout       time.Duration
	shutdownTimeout   time.Duration
	getters           []any
	errs              []error
	info              protocol.Info
	docs              bool
	auth              *protocol.Auth
	maxConcurrent     int
	corsOrigins       []string
	groupAuth         map[*protocol.Group]*protocol.Auth
	onViolation       func(method string, err *protocol.Error)
}

func defaultOptions() options {
	return options{
		logger:            slog.Default(),
		codec:             protocol.Problem{},
		maxBody:           protocol.DefaultMaxBody,
		maxHeaderBytes:    64 << 10,
		readHeaderTimeout: 10 * time.Second,
		bodyTimeout:       30 * time.Second,
		maxConcurrent:     1024,
		shutdownTimeout:   15 * time.Second,
		info:              protocol.Info{Title: "API", Version: "1"},
		docs:              true,
	}
}

// WithLogger sets where requests and failures are logged (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithErrorCodec sets the wire form of errors outside any group's methods:
// unknown routes, wrong verbs, methods registered with Handle (default
// protocol.Problem).
func WithErrorCodec(c protocol.ErrorCodec) Option { return func(o *options) { o.codec = c } }

// WithMaxBody sets the default largest request body, in bytes; a method's
// max_body tag overrides it (default 1 MiB).
func WithMaxBody(n int64) Option { return func(o *options) { o.maxBody = n } }

// WithMaxHeaderBytes bounds the size of request headers (default 64 KiB).
func WithMaxHeaderBytes(n int) Option { return func(o *options) { o.maxHeaderBytes = n } }

// WithReadTimeouts bounds reading a request's headers and its body
// (defaults 10s and 30s). A body that does not arrive in time is answered
// 408.
func WithReadTimeouts(header, body time.Duration) Option {
	return func(o *options) { o.readHeaderTimeout, o.bodyTimeout = header, body }
}

// WithMaxConcurrent bounds the requests served at once; beyond it the
// server answers 503 with Retry-After (default 1024; 0: no bound).
func WithMaxConcurrent(n int) Option { return func(o *options) { o.maxConcurrent = n } }

// WithCORS lets browsers on the given origins call the server ("*": any).
// Preflight requests are answered from the routes; Authorization is among
// the allowed headers only when authentication is on.
func WithCORS(origins ...string) Option { return func(o *options) { o.corsOrigins = origins } }

// WithShutdownTimeout bounds how long Serve waits for requests in flight
// once its context is done (default 15s).
func WithShutdownTimeout(d time.Duration) Option { return func(o *options) { o.shutdownTimeout = d } }

// WithGetter registers a getter, a func(context.Context, From) (To, error),
// that fills handle fields of type To from arguments of type From.
func WithGetter(fn any) Option { return func(o *options) { o.getters = append(o.getters, fn) } }

// WithInfo sets the title, version and description of the OpenAPI document.
func WithInfo(info protocol.Info) Option { return func(o *options) { o.info = info } }

// WithContractViolations calls fn for every named error a handle returns
// that its method does not declare. The client gets a 500 and the log a
// line either way; tests pass t.Errorf here to fail on it.
func WithContractViolations(fn func(method string, err *protocol.Error)) Option {
	return func(o *options) { o.onViolation = fn }
}

// WithoutDocs serves no /docs, /openapi.json or /openapi-3.0.json.
func WithoutDocs() Option { return func(o *options) { o.docs = false } }

// WithAuth authenticates callers and enforces each method's client types
// (see protocol.Auth). Without it, every request is let through.
func WithAuth(a protocol.Auth) Option { return func(o *options) { o.auth = &a } }

// WithGroupAuth authenticates the methods of one group with a, instead of
// the server's WithAuth: each API a server reproduces keeps its own scheme.
func WithGroupAuth(g *protocol.Group, a protocol.Auth) Option {
	return func(o *options) {
		if o.groupAuth == nil {
			o.groupAuth = map[*protocol.Group]*protocol.Auth{}
		}
		o.groupAuth[g] = &a
	}
}
