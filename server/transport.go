package server

import (
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// minGzip is the smallest reply worth compressing.
const minGzip = 1024

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

func acceptsGzip(header string) bool {
	if !strings.Contains(header, "gzip") {
		return false
	}
	for _, part := range strings.Split(header, ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// gzipWriter holds back the status until the first write, when it knows
// whether the reply is worth compressing.
type gzipWriter struct {
	http.ResponseWriter
	status  int
	decided bool
	gz      *gzip.Writer
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.status == 0 {
		g.status = code
	}
}

func (g *gzipWriter) decide(first []byte) {
	g.decided = true
	h := g.Header()
	if g.status == 0 {
		g.status = http.StatusOK
	}
	if len(first) >= minGzip && h.Get("Content-Encoding") == "" && g.status != http.StatusNoContent {
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		g.gz = gzipPool.Get().(*gzip.Writer)
		g.gz.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(g.status)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.decided {
		g.decide(p)
	}
	if g.gz != nil {
		return g.gz.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

// Flush sends what is written so far; a reply flushed before its first
// write is not compressed.
func (g *gzipWriter) Flush() {
	if !g.decided {
		g.decide(nil)
	}
	if g.gz != nil {
		_ = g.gz.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) finish() {
	if !g.decided {
		if g.status == 0 {
			return // nothing was written: net/http answers 200 itself
		}
		g.decide(nil)
	}
	if g.gz != nil {
		_ = g.gz.Close()
		g.gz.Reset(nil)
		gzipPool.Put(g.gz)
		g.gz = nil
	}
}

// cors answers preflight requests for the allowed origins and marks the
// replies to them as readable by those origins.
type cors struct {
	origins map[string]bool
	any     bool
	headers string
}

func newCORS(origins []string, auth bool) *cors {
	c := &cors{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			c.any = true
		}
		c.origins[strings.TrimSuffix(o, "/")] = true
	}
	headers := []string{"Content-Type", "Content-Encoding", "X-Request-Id", "X-Inmanta-Tid"}
	if auth {
		headers = append(headers, "Authorization")
	}
	c.headers = strings.Join(headers, ", ")
	return c
}

func (c *cors) allowed(origin string) bool {
	return origin != "" && (c.any || c.origins[origin])
}

// mark lets the request's origin read the reply, when it is allowed.
func (c *cors) mark(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); c.allowed(origin) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
		w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id, X-Inmanta-Tid, Retry-After")
	}
}

// preflight answers OPTIONS from the routes: httprouter has set Allow to
// the methods the path serves.
func (c *cors) preflight(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Access-Control-Request-Method") == "" || !c.allowed(r.Header.Get("Origin")) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", h.Get("Allow"))
	h.Set("Access-Control-Allow-Headers", c.headers)
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}
