// Package server serves method declarations over HTTP: it builds the
// httprouter routes from their specs, binds handles, and wraps every request
// in recovery, request ids, structured logging and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/tagrpc/tagrpc/protocol"
)

// Server routes requests to the endpoints registered with it. It is an
// http.Handler; Serve and ListenAndServe run it with graceful shutdown.
type Server struct {
	opts      options
	router    *httprouter.Router
	routes    []route
	endpoints []*protocol.Endpoint
	getters   protocol.Getters
	draining  chan struct{}
	ids       *requestIDs
	writers   sync.Pool // *statusWriter
	inFlight  atomic.Int64
	cors      *cors // nil: no CORS

	groups []*protocol.Group // registered, for the OpenAPI document
	loose  protocol.Group    // methods registered one by one with Handle
	docs   docCache
}

type route struct {
	verb, path, method string
}

// New returns a server with no routes.
func New(opts ...Option) *Server {
	s := &Server{opts: defaultOptions(), draining: make(chan struct{}), ids: newRequestIDs()}
	for _, o := range opts {
		o(&s.opts)
	}
	for _, g := range s.opts.getters {
		if err := s.getters.Add(g); err != nil {
			s.opts.errs = append(s.opts.errs, err)
		}
	}
	s.router = httprouter.New()
	s.router.RedirectTrailingSlash = false // a foreign API's paths are served exactly as written
	s.router.RedirectFixedPath = false
	s.router.HandleMethodNotAllowed = true
	s.router.HandleOPTIONS = true
	s.router.NotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protocol.WriteError(w, r, s.codecFor(r.URL.Path), protocol.NotFound("No route serves %s %s", r.Method, r.URL.Path))
	})
	s.router.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protocol.WriteError(w, r, s.codecFor(r.URL.Path), protocol.Errorf(http.StatusMethodNotAllowed,
			"%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, w.Header().Get("Allow")))
	})
	s.loose = protocol.Group{Name: "default", Codec: s.opts.codec}
	if s.opts.docs {
		s.addDocRoutes()
	}
	if len(s.opts.corsOrigins) > 0 {
		s.cors = newCORS(s.opts.corsOrigins, (s.opts.auth != nil && s.opts.auth.Authenticator != nil) || len(s.opts.groupAuth) > 0)
		s.router.GlobalOPTIONS = http.HandlerFunc(s.cors.preflight)
	}
	return s
}

// Register binds every method of the groups to the method of the same
// name on handler (usually a pointer to a struct holding the handles'
// dependencies). A method with no handle, an exported handle-shaped method
// (one taking a context.Context first) that no group declares, or any
// mistake in a declaration or handle is an error naming the method and the
// field. A handler with a method Invokers() protocol.Invokers (tagrpc-gen
// writes one) has its handles called through those, without reflect.Call.
func (s *Server) Register(handler any, groups ...*protocol.Group) error {
	if len(s.opts.errs) > 0 {
		return errors.Join(s.opts.errs...)
	}
	hv := reflect.ValueOf(handler)
	ht := hv.Type()
	handles := map[string]reflect.Value{}
	for i := 0; i < ht.NumMethod(); i++ {
		m := ht.Method(i)
		if m.Type.NumIn() >= 2 && m.Type.In(1) == reflect.TypeFor[context.Context]() {
			handles[m.Name] = m.Func
		}
	}
	var invokers protocol.Invokers
	if p, ok := handler.(interface{ Invokers() protocol.Invokers }); ok {
		invokers = p.Invokers()
	}
	for _, g := range groups {
		specs, err := g.Specs()
		if err != nil {
			return err
		}
		s.groups = append(s.groups, g)
		for _, spec := range specs {
			fn, ok := handles[spec.Name]
			if !ok {
				return fmt.Errorf("server: group %s: method %s has no handle: %s has no method %s", g.Name, spec.Name, ht, spec.Name)
			}
			delete(handles, spec.Name)
			if err := s.mount(spec, fn, hv, invokers[spec.Name], g); err != nil {
				return fmt.Errorf("server: group %s: %w", g.Name, err)
			}
		}
	}
	if len(handles) > 0 {
		extra := make([]string, 0, len(handles))
		for name := range handles {
			extra = append(extra, name)
		}
		slices.Sort(extra)
		return fmt.Errorf("server: %s has handle-shaped methods that no group declares: %s", ht, strings.Join(extra, ", "))
	}
	return nil
}

// Handle serves one declaration with one handle function, outside any group.
func (s *Server) Handle(decl any, handle any) error {
	if len(s.opts.errs) > 0 {
		return errors.Join(s.opts.errs...)
	}
	spec, err := protocol.Describe(decl)
	if err != nil {
		return err
	}
	if err := s.mount(spec, handle, reflect.Value{}, nil, nil); err != nil {
		return err
	}
	s.loose.Methods = append(s.loose.Methods, decl)
	return nil
}

// mount serves one method; g is its group, nil for one registered alone.
func (s *Server) mount(spec *protocol.MethodSpec, handle any, recv reflect.Value, inv protocol.Invoker, g *protocol.Group) error {
	codec, auth, invalid := s.opts.codec, s.opts.auth, 0
	if g != nil {
		if g.Codec != nil {
			codec = g.Codec
		}
		if ga, ok := s.opts.groupAuth[g]; ok {
			auth = ga
		}
		invalid = g.InvalidStatus
	}
	e, err := protocol.NewEndpoint(spec, handle, protocol.EndpointConfig{
		Codec: codec, Getters: &s.getters, MaxBody: s.opts.maxBody, Logger: s.opts.logger, Receiver: recv, Invoker: inv, Auth: auth,
		InvalidStatus: invalid, OnContractViolation: s.opts.onViolation,
		BodyTimeout: s.opts.bodyTimeout,
	})
	if err != nil {
		return err
	}
	path := spec.RouterPath()
	if err := s.addRoute(spec.Operation, path, spec.Name, e); err != nil {
		return err
	}
	if spec.Operation == http.MethodGet && !s.hasRoute(http.MethodHead, path) {
		// HEAD of a GET route answers with the GET's status and headers.
		if err := s.addRoute(http.MethodHead, path, spec.Name, e); err != nil {
			return err
		}
	}
	s.endpoints = append(s.endpoints, e)
	s.docs.reset()
	return nil
}

func (s *Server) hasRoute(verb, path string) bool {
	for _, r := range s.routes {
		if r.verb == verb && r.path == path {
			return true
		}
	}
	return false
}

// addRoute adds a route, turning httprouter's panics on routes it cannot
// hold together into an error that names both methods.
func (s *Server) addRoute(verb, path, method string, e *protocol.Endpoint) (err error) {
	for _, r := range s.routes {
		if r.verb == verb && r.path == path {
			return fmt.Errorf("methods %s and %s both serve %s %s", r.method, method, verb, path)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			other := "another route"
			for _, r := range s.routes {
				if r.verb == verb && routesOverlap(r.path, path) {
					other = fmt.Sprintf("method %s (%s %s)", r.method, r.verb, r.path)
					break
				}
			}
			err = fmt.Errorf("method %s (%s %s) cannot be routed beside %s: %v", method, verb, path, other, p)
		}
	}()
	s.router.Handle(verb, path, func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		var buf [4]string
		vals := buf[:0]
		for _, p := range ps {
			vals = append(vals, p.Value)
		}
		e.Serve(w, r, vals)
	})
	s.routes = append(s.routes, route{verb: verb, path: path, method: method})
	return nil
}

// routesOverlap reports whether two httprouter paths share a segment
// position where one has a parameter and the other does not have the same
// one: the shape httprouter refuses.
func routesOverlap(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		pa, pb := strings.HasPrefix(as[i], ":"), strings.HasPrefix(bs[i], ":")
		if as[i] == bs[i] {
			continue
		}
		return pa || pb
	}
	return false
}

// codecFor picks the error codec for a request no method answers: that of
// the method whose path shares the most leading segments with it, so that
// a 404 under /api/v1/ speaks the same shape as the methods there.
func (s *Server) codecFor(path string) protocol.ErrorCodec {
	codec, best := s.opts.codec, 0
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, e := range s.endpoints {
		n := 0
		for i, seg := range strings.Split(strings.Trim(e.Spec().URL, "/"), "/") {
			if i >= len(segs) || (seg != segs[i] && !strings.HasPrefix(seg, "<")) {
				break
			}
			n++
		}
		if n > best {
			codec, best = e.Codec(), n
		}
	}
	return codec
}

// Specs returns the specs of every registered method, in registration order.
func (s *Server) Specs() []*protocol.MethodSpec {
	out := make([]*protocol.MethodSpec, len(s.endpoints))
	for i, e := range s.endpoints {
		out[i] = e.Spec()
	}
	return out
}

// Serve accepts connections on ln until ctx is done, then shuts down
// gracefully: it stops accepting, answers 503 to requests that still
// arrive on open connections, and waits (up to the shutdown timeout) for
// requests in flight to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.readHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    s.opts.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.opts.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	close(s.draining)
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.shutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("server: requests still running after %s: %w", s.opts.shutdownTimeout, err)
		_ = hs.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// ListenAndServe listens on addr and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Logger is the logger the server writes to, for work that runs beside it.
func (s *Server) Logger() *slog.Logger { return s.opts.logger }
