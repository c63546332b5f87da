package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tagrpc/tagrpc/protocol"
)

const requestIDHeader = "X-Request-Id"

// requestIDs are a random per-process prefix and a counter: unique across
// replicas without a random read per request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

// next writes a new id into buf and returns it; the string shares buf's
// memory, which must not change afterwards.
func (g *requestIDs) next(buf *[40]byte) string {
	b := append(buf[:0], g.prefix...)
	b = strconv.AppendUint(b, g.n.Add(1), 10)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// validRequestID accepts a client's id only when it is short and printable,
// so it cannot forge log lines.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// statusWriter remembers the status and size of a reply for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int64

	// Storage for the request id and its header value, so that a request
	// costs the middleware one allocation.
	idBuf [40]byte
	idVal [1]string
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes flushes through, for streamed replies.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP runs every request through one function rather than a chain of
// wrapping handlers, since each layer costs a call and a pass-through of
// every write: request id, recovery and the log line, 503 while draining
// or over the concurrency cap, CORS marks, gzip, and then the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	logged := s.opts.logger.Enabled(r.Context(), slog.LevelInfo)
	var start time.Time
	if logged {
		start = time.Now()
	}
	sw := &statusWriter{ResponseWriter: w}
	if v := r.Header[requestIDHeader]; len(v) > 0 && validRequestID(v[0]) {
		sw.idVal[0] = v[0]
	} else {
		sw.idVal[0] = s.ids.next(&sw.idBuf)
	}
	w.Header()[requestIDHeader] = sw.idVal[:]
	defer s.finish(sw, r, start, logged)
	select {
	case <-s.draining:
		sw.Header().Set("Connection", "close")
		sw.Header().Set("Retry-After", "1")
		protocol.WriteError(sw, r, s.opts.codec, protocol.Unavailable("The server is shutting down; retry on another replica or shortly"))
		return
	default:
	}
	if limit := int64(s.opts.maxConcurrent); limit > 0 {
		defer s.inFlight.Add(-1)
		if s.inFlight.Add(1) > limit {
			sw.Header().Set("Retry-After", "1")
			protocol.WriteError(sw, r, s.codecFor(r.URL.Path),
				protocol.Unavailable("The server is at its limit of %d concurrent requests; retry shortly", limit))
			return
		}
	}
	if s.cors != nil {
		s.cors.mark(sw, r)
	}
	if v := r.Header["Accept-Encoding"]; len(v) > 0 && r.Method != http.MethodHead && acceptsGzip(v[0]) {
		sw.Header().Add("Vary", "Accept-Encoding")
		gw := &gzipWriter{ResponseWriter: sw}
		defer gw.finish()
		s.router.ServeHTTP(gw, r)
		return
	}
	s.router.ServeHTTP(sw, r)
}

// finish recovers a panic that escaped the handles (those the endpoints
// catch never get here) and writes the request's log line.
func (s *Server) finish(sw *statusWriter, r *http.Request, start time.Time, logged bool) {
	id := sw.idVal[0]
	if p := recover(); p != nil {
		if p == http.ErrAbortHandler {
			panic(p) // net/http closes the connection without logging: a stream cut short on purpose
		}
		s.opts.logger.Error("request panicked", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if sw.status == 0 {
			protocol.WriteError(sw, r, s.opts.codec, protocol.Internal("An internal error occurred; the server log has the details."))
		}
	}
	if logged {
		s.opts.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Int64("bytes", sw.size),
			slog.Duration("duration", time.Since(start)), slog.String("request_id", id))
	}
}
