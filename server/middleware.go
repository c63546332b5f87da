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

// idsPerBlock is how many request ids one idBlock holds.
const idsPerBlock = 64

// An idBlock holds request ids and their header values, written when the
// block is made and handed out slot by slot: a reply's header (which may
// outlive the request in whatever wraps the server) can point into it
// while later requests take the next slots. A block takes its range of the
// counter at once, so the shared counter is touched once per idsPerBlock
// requests, and writing the ids in one loop, each the last plus one, is
// cheaper than formatting each on its own.
type idBlock struct {
	vals [idsPerBlock]string
	next int
}

// next returns a new id's header value: a one-element slice of capacity
// one, so that an append by anyone else copies it.
func (g *requestIDs) next(blk **idBlock) []string {
	b := *blk
	if b == nil || b.next == idsPerBlock {
		b = g.newBlock()
		*blk = b
	}
	i := b.next
	b.next++
	return b.vals[i : i+1 : i+1]
}

// newBlock reserves the next idsPerBlock values of the counter and writes
// their ids, side by side in one allocation.
func (g *requestIDs) newBlock() *idBlock {
	last := g.n.Add(idsPerBlock)
	var d [20]byte
	size := len(g.prefix) + len(strconv.AppendUint(d[:0], last, 10))
	buf := make([]byte, 0, idsPerBlock*size)
	digits := strconv.AppendUint(d[:0], last-idsPerBlock+1, 10)
	b := new(idBlock)
	for i := range b.vals {
		start := len(buf)
		buf = append(buf, g.prefix...)
		buf = append(buf, digits...)
		b.vals[i] = unsafe.String(&buf[start], len(buf)-start)
		digits = increment(digits)
	}
	return b
}

// increment adds one to the decimal number in d, in place unless it
// gains a digit.
func increment(d []byte) []byte {
	for i := len(d) - 1; i >= 0; i-- {
		if d[i] < '9' {
			d[i]++
			return d
		}
		d[i] = '0'
	}
	return append([]byte{'1'}, d...)
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

// statusWriter remembers the status and size of a reply for the log. Each
// server recycles its own (the ids a writer carves come from its server's
// counter); none of a request's reply may point into one.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int64
	id     string

	ids *idBlock // where this writer carves the ids it generates
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
	sw, _ := s.writers.Get().(*statusWriter)
	if sw == nil {
		sw = new(statusWriter)
	}
	sw.ResponseWriter = w
	v := r.Header[requestIDHeader]
	if len(v) > 0 && validRequestID(v[0]) {
		v = v[:1:1]
	} else {
		v = s.ids.next(&sw.ids)
	}
	sw.id = v[0]
	w.Header()[requestIDHeader] = v
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
	id := sw.id
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
	sw.ResponseWriter, sw.status, sw.size, sw.id = nil, 0, 0, ""
	s.writers.Put(sw)
}
