package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"reflect"
	"strings"
	"time"
	"unsafe"
)

// Stream is the reply of a method whose items are sent as they are
// produced, never held in memory all at once: declare the method as
// Method[Stream[Item, Trailer]] and return a Stream from its handle.
//
// The server writes the items chunked, after every argument has been
// decoded and validated and the caller authorized. The handle's context
// stays live while the items are produced and is cancelled when the client
// goes away, which stops the producer (and frees its database rows).
//
// The wire form is declared with the marker tag stream:
//
//	stream:"json"    {"<items_key>": [item, …], <trailer fields>} (the default; items_key defaults to "items")
//	stream:"ndjson"  one item per line (application/x-ndjson); no trailer
//
// An error yielded before the first item is an ordinary error reply. One
// yielded after it is logged and ends the reply abruptly (the connection
// is cut before the chunked body is complete), so a client cannot mistake
// a truncated stream for a whole one.
type Stream[T, Trailer any] struct {
	// Items yields the items in order; a non-nil error ends the stream.
	Items iter.Seq2[T, error]
	// Trailer, when set, is called once the items are exhausted; its
	// fields follow the items in the JSON document (a paging cursor, say).
	Trailer func() Trailer
}

// NoTrailer is the trailer type of a stream that has none.
type NoTrailer struct{}

// StreamOf makes a Stream from a slice, for handles whose items are at
// hand already (and for tests).
func StreamOf[T any](items []T) Stream[T, NoTrailer] {
	return Stream[T, NoTrailer]{Items: func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}}
}

// StreamFormat is the wire form of a stream.
type StreamFormat string

// The wire forms of a stream.
const (
	StreamJSON   StreamFormat = "json"
	StreamNDJSON StreamFormat = "ndjson"
)

// StreamSpec describes a streamed reply.
type StreamSpec struct {
	Format   StreamFormat
	ItemsKey string       // key of the items array in a StreamJSON document
	Item     reflect.Type // type of one item
	Trailer  reflect.Type // NoTrailer when there is none
}

func (Stream[T, Trailer]) streamTypes() (item, trailer reflect.Type) {
	return reflect.TypeFor[T](), reflect.TypeFor[Trailer]()
}

// encodeTo writes the items and then the trailer.
func (s Stream[T, Trailer]) encodeTo(e *streamEncoder) error {
	if s.Items != nil {
		for item, err := range s.Items {
			if err != nil {
				return err
			}
			if err := e.item(item); err != nil {
				return err
			}
		}
	}
	if e.spec.Format == StreamNDJSON {
		return e.end(nil)
	}
	var tr Trailer
	if s.Trailer != nil {
		tr = s.Trailer()
	}
	return e.end(tr)
}

// streamer is implemented by every instantiation of Stream.
type streamer interface {
	streamTypes() (item, trailer reflect.Type)
	encodeTo(*streamEncoder) error
}

var noTrailerType = reflect.TypeFor[NoTrailer]()

// readStream fills s.Stream when the reply type is a Stream, and checks
// that the stream tags and the rest of the declaration agree.
func (s *MethodSpec) readStream(format, itemsKey string) error {
	st, ok := reflect.Zero(s.ReplyType).Interface().(streamer)
	if !ok {
		if format != "" || itemsKey != "" {
			return fmt.Errorf("tags stream and items_key need a reply of type protocol.Stream, not %s", s.ReplyType)
		}
		return nil
	}
	spec := &StreamSpec{Format: StreamJSON, ItemsKey: "items"}
	spec.Item, spec.Trailer = st.streamTypes()
	switch StreamFormat(format) {
	case "", StreamJSON:
	case StreamNDJSON:
		spec.Format = StreamNDJSON
		if itemsKey != "" {
			return fmt.Errorf("tag items_key has no meaning for an ndjson stream")
		}
		if spec.Trailer != noTrailerType {
			return fmt.Errorf("an ndjson stream has no trailer; declare protocol.Stream[%s, protocol.NoTrailer]", spec.Item)
		}
	default:
		return fmt.Errorf("tag stream:%q is not json or ndjson", format)
	}
	if itemsKey != "" {
		spec.ItemsKey = itemsKey
	}
	if spec.Format == StreamJSON && spec.Trailer != noTrailerType {
		if spec.Trailer.Kind() != reflect.Struct {
			return fmt.Errorf("the stream's trailer is %s; it must be a struct, whose fields follow the items", spec.Trailer)
		}
		for _, name := range jsonFieldNames(spec.Trailer) {
			if name == spec.ItemsKey {
				return fmt.Errorf("the stream's trailer has a field %q, the key of the items", name)
			}
		}
	}
	if s.Envelope {
		return fmt.Errorf("a stream cannot be enveloped: its document is declared by the stream tags")
	}
	if s.Timeout > 0 {
		return fmt.Errorf("a stream takes no timeout: its producer runs until the items end or the client goes away")
	}
	s.Stream = spec
	return nil
}

// jsonFieldNames lists the keys encoding/json writes for a struct type's
// own fields.
func jsonFieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

const (
	// streamChunk is how much a stream buffers before it writes.
	streamChunk = 32 << 10
	// streamLatency bounds how long a slow producer's items wait in the
	// buffer: checked as items arrive.
	streamLatency = 50 * time.Millisecond
)

// streamEncoder writes a stream's document to the reply in chunks.
type streamEncoder struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	spec  *StreamSpec
	buf   bytes.Buffer
	enc   *json.Encoder
	n     int
	sent  bool // bytes have reached w: the status is out
	last  time.Time
	setup func() // writes the status and headers
}

func (e *streamEncoder) item(v any) error {
	if e.n == 0 && e.spec.Format == StreamJSON {
		e.buf.WriteString(`{`)
		key, _ := json.Marshal(e.spec.ItemsKey)
		e.buf.Write(key)
		e.buf.WriteString(`:[`)
	} else if e.spec.Format == StreamJSON {
		e.buf.WriteByte(',')
	}
	if err := e.enc.Encode(v); err != nil {
		return fmt.Errorf("encode item %d: %w", e.n, err)
	}
	if e.spec.Format == StreamJSON {
		e.buf.Truncate(e.buf.Len() - 1) // Encode's newline: NDJSON keeps it
	}
	e.n++
	// The first item goes out at once, for a short time to first byte;
	// later ones when the buffer is full or has waited long enough.
	if e.n == 1 || e.buf.Len() >= streamChunk || (e.n%64 == 0 && time.Since(e.last) >= streamLatency) {
		return e.flush()
	}
	return nil
}

// end closes the document: the array, then the trailer's fields.
func (e *streamEncoder) end(trailer any) error {
	if e.spec.Format == StreamJSON {
		if e.n == 0 {
			key, _ := json.Marshal(e.spec.ItemsKey)
			e.buf.WriteString(`{`)
			e.buf.Write(key)
			e.buf.WriteString(`:[`)
		}
		e.buf.WriteByte(']')
		if trailer != nil {
			if _, none := trailer.(NoTrailer); !none {
				b, err := json.Marshal(trailer)
				if err != nil {
					return fmt.Errorf("encode the trailer: %w", err)
				}
				if inner := bytes.TrimSpace(b[1 : len(b)-1]); len(inner) > 0 {
					e.buf.WriteByte(',')
					e.buf.Write(inner)
				}
			}
		}
		e.buf.WriteString("}\n")
	}
	return e.flush()
}

func (e *streamEncoder) flush() error {
	if !e.sent {
		e.setup()
		e.sent = true
	}
	if e.buf.Len() > 0 {
		if _, err := e.w.Write(e.buf.Bytes()); err != nil {
			return err
		}
		e.buf.Reset()
	}
	e.last = time.Now()
	if err := e.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// writeStream sends a stream reply. Errors before the first byte are
// ordinary error replies; after it, the connection is cut.
func (e *Endpoint) writeStream(w http.ResponseWriter, r *http.Request, reply any, base unsafe.Pointer) {
	st := reply.(streamer)
	h := w.Header()
	for _, name := range e.replyHeaders {
		if v := r.Header[name]; len(v) > 0 {
			h[name] = v
		}
	}
	contentType := "application/json"
	if e.spec.Stream.Format == StreamNDJSON {
		contentType = "application/x-ndjson"
	}
	setup := func() {
		h.Set("Content-Type", contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(e.spec.Status)
	}
	if r.Method == http.MethodHead {
		setup()
		return
	}
	enc := &streamEncoder{w: w, rc: http.NewResponseController(w), spec: e.spec.Stream, setup: setup}
	enc.enc = json.NewEncoder(&enc.buf)
	enc.enc.SetEscapeHTML(false) // an API reply, not HTML: "&" in a link stays "&"
	err := st.encodeTo(enc)
	if err == nil {
		return
	}
	gone := r.Context().Err() != nil
	if !enc.sent {
		if gone {
			return // nobody to answer
		}
		e.WriteError(w, r, e.handleError(w, err, base))
		return
	}
	if !gone {
		_ = enc.flush() // the items before the failure still reach the client
	}
	if gone {
		e.log.Info("stream ended: the client went away", "method", e.spec.Name, "request_id", h.Get("X-Request-Id"), "items", enc.n)
	} else {
		e.log.Error("stream failed after its first item; cutting the reply short", "method", e.spec.Name,
			"request_id", h.Get("X-Request-Id"), "items", enc.n, "error", err)
	}
	// Unwinding with ErrAbortHandler makes net/http close the connection
	// without completing the chunked body: the client sees the truncation.
	panic(http.ErrAbortHandler)
}
