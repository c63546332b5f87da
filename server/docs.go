package server

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/julienschmidt/httprouter"
	httpSwagger "github.com/swaggo/http-swagger/v2"

	"github.com/tagrpc/tagrpc/protocol"
)

// The documentation routes. The UI is Swagger UI, embedded in the binary:
// it works without internet access. It reads the 3.0.3 rendering, which
// the bundled Swagger UI understands.
const (
	docsPath      = "/docs"
	openAPIPath   = "/openapi.json"
	openAPI30Path = "/openapi-3.0.json"
)

// docCache holds the rendered documents; registering a method clears it.
type docCache struct {
	mu       sync.Mutex
	v31, v30 []byte
}

func (c *docCache) reset() {
	c.mu.Lock()
	c.v31, c.v30 = nil, nil
	c.mu.Unlock()
}

// OpenAPI returns the OpenAPI 3.1 document of every registered method.
func (s *Server) OpenAPI() (*protocol.Document, error) {
	return protocol.OpenAPI(s.opts.info, s.allGroups()...)
}

func (s *Server) allGroups() []*protocol.Group {
	groups := append([]*protocol.Group(nil), s.groups...)
	if len(s.loose.Methods) > 0 {
		groups = append(groups, &s.loose)
	}
	return groups
}

// documents renders both versions once per set of registered methods.
func (s *Server) documents() (v31, v30 []byte, err error) {
	s.docs.mu.Lock()
	defer s.docs.mu.Unlock()
	if s.docs.v31 != nil {
		return s.docs.v31, s.docs.v30, nil
	}
	doc, err := s.OpenAPI()
	if err != nil {
		return nil, nil, err
	}
	down, err := doc.Downgrade()
	if err != nil {
		return nil, nil, err
	}
	if s.docs.v31, err = doc.JSON(); err != nil {
		return nil, nil, err
	}
	if s.docs.v30, err = down.JSON(); err != nil {
		return nil, nil, err
	}
	return s.docs.v31, s.docs.v30, nil
}

func (s *Server) serveDocument(v30 bool) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		v31doc, v30doc, err := s.documents()
		if err != nil {
			s.opts.logger.Error("OpenAPI document could not be built", "error", err)
			protocol.WriteError(w, r, s.opts.codec, protocol.Internal("The API document could not be built."))
			return
		}
		body := v31doc
		if v30 {
			body = v30doc
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	}
}

// addDocRoutes serves the documents and the UI.
func (s *Server) addDocRoutes() {
	for _, verb := range []string{http.MethodGet, http.MethodHead} {
		s.router.Handle(verb, openAPIPath, s.serveDocument(false))
		s.router.Handle(verb, openAPI30Path, s.serveDocument(true))
		s.routes = append(s.routes, route{verb, openAPIPath, "the OpenAPI document"}, route{verb, openAPI30Path, "the OpenAPI 3.0 document"})
	}
	ui := httpSwagger.Handler(httpSwagger.URL(openAPI30Path), httpSwagger.DocExpansion("list"))
	s.router.GET(docsPath, func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		http.Redirect(w, r, docsPath+"/index.html", http.StatusMovedPermanently)
	})
	s.router.GET(docsPath+"/*file", func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		ui.ServeHTTP(w, r)
	})
	s.routes = append(s.routes, route{http.MethodGet, docsPath, "the API documentation"}, route{http.MethodGet, docsPath + "/*file", "the API documentation"})
}
