package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// DefaultMaxBody is the largest request body accepted when neither the
// method nor the server says otherwise.
const DefaultMaxBody = 1 << 20

// StatusClientClosedRequest is the status logged for a request whose
// client disconnected before the answer (nginx's 499).
const StatusClientClosedRequest = 499

// EndpointConfig is what an endpoint takes from the server and group it is
// served in.
type EndpointConfig struct {
	Codec   ErrorCodec // wire form of errors; nil: Problem
	Getters *Getters   // converters for handle fields; may be nil
	MaxBody int64      // default body limit; 0: DefaultMaxBody
	// BodyTimeout bounds reading the request body: 408 past it. 0: none.
	BodyTimeout time.Duration
	Logger      *slog.Logger // where handle failures and panics go; nil: slog.Default()

	// Auth authenticates callers and checks their client types; nil or
	// without an Authenticator, every request is let through.
	Auth *Auth

	// Receiver, when valid, is passed as the handle's first argument: the
	// handle is then a method expression (reflect.Method.Func), which reflect
	// calls without the allocation a method value costs.
	Receiver reflect.Value
	// Invoker, when set, calls the handle without reflect.Call; it must be
	// made from the same method expression as the handle.
	Invoker Invoker
	// InvalidStatus replaces 400 for invalid body fields; 0: keep 400.
	InvalidStatus int
	// OnContractViolation, when set, hears of every named error a handle
	// returned that its method does not declare (the client got a 500):
	// tests make it a failure.
	OnContractViolation func(method string, err *Error)
}

// Endpoint serves one method with one handle. Build it with NewEndpoint,
// which does all the checking and reflection; ServeHTTP only runs the
// prepared steps.
type Endpoint struct {
	spec    *MethodSpec
	codec   ErrorCodec
	log     *slog.Logger
	bind    *binding
	body    *bodyDecoder
	maxBody int64
	checks  []argCheck
	frame   reflect.Type // struct{ M method; B body; R reply }, B and R when used
	// frames recycles argument frames (*frame, over e.frame) for methods
	// whose handle has returned when Serve does: without a timeout, whose
	// goroutine may outlive it. Handles get copies of the arguments.
	frames  *sync.Pool
	auth    *Auth
	invalid int // status of invalid arguments
	// replySlot is the offset of the frame's reply, which the typed
	// invoker fills instead of boxing the reply on the heap; -1 without.
	replySlot int

	onViolation func(method string, err *Error)

	bodyTimeout time.Duration

	path, query, header []*ArgSpec
	replyHeaders        []string
	hasQueryMap         bool
	envelopeOpen        string
}

// NewEndpoint binds handle (a func, see the shapes below) to the method s.
// Accepted handle shapes:
//
//	func(context.Context, In) (Reply, error)
//	func(context.Context) (Reply, error)       // a method without arguments
//	func(context.Context, In) error            // a method without a reply body
//
// In is the method struct itself or a struct whose fields name its
// arguments: by Go field name, JSON name, or an arg:"name" tag. A field of
// another type than its argument's is filled by a getter from cfg.Getters.
// In may embed the method struct whole, beside a Caller field:
// struct{ GetThing; Caller Caller }.
func NewEndpoint(s *MethodSpec, handle any, cfg EndpointConfig) (*Endpoint, error) {
	fn, ok := handle.(reflect.Value)
	if !ok {
		fn = reflect.ValueOf(handle)
	}
	b, err := bind(s, fn, cfg.Receiver, cfg.Getters, cfg.Invoker)
	if err != nil {
		return nil, fmt.Errorf("protocol: method %s: %w", s.Name, err)
	}
	if err := cfg.Auth.checkClientTypes(s); err != nil {
		return nil, fmt.Errorf("protocol: method %s: %s", s.Name, err.(*Error).Message)
	}
	e := &Endpoint{spec: s, bind: b, codec: cfg.Codec, log: cfg.Logger, maxBody: cfg.MaxBody, auth: cfg.Auth, bodyTimeout: cfg.BodyTimeout, invalid: cfg.InvalidStatus,
		onViolation: cfg.OnContractViolation}
	if e.codec == nil {
		e.codec = Problem{}
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if s.MaxBody > 0 {
		e.maxBody = s.MaxBody
	}
	if e.maxBody <= 0 {
		e.maxBody = DefaultMaxBody
	}
	e.checks = validationPlan(s)
	for _, name := range s.PathParams {
		e.path = append(e.path, s.Arg(name))
	}
	for _, a := range s.Args {
		switch a.In {
		case InQuery:
			e.query = append(e.query, a)
			e.hasQueryMap = e.hasQueryMap || a.text.mapKind != notMap
		case InHeader:
			e.header = append(e.header, a)
			if a.ReplyHeader {
				e.replyHeaders = append(e.replyHeaders, a.Header)
			}
		}
	}
	e.body = newBodyDecoder(s)
	frame := []reflect.StructField{{Name: "M", Type: s.Type}}
	if e.body != nil {
		frame = append(frame, reflect.StructField{Name: "B", Type: e.body.typ})
	}
	e.replySlot = -1
	if b.inv != nil && poolableReply(s) {
		// The typed invoker copies the reply here rather than to the heap.
		frame = append(frame, reflect.StructField{Name: "R", Type: s.ReplyType})
	}
	e.frame = reflect.StructOf(frame)
	if f, ok := e.frame.FieldByName("R"); ok {
		e.replySlot = int(f.Offset)
	}
	if s.Timeout == 0 {
		e.frames = &sync.Pool{New: func() any { return e.newFrame() }}
	}
	if s.Envelope {
		key, _ := json.Marshal(s.EnvelopeKey)
		e.envelopeOpen = "{" + string(key) + ":"
	}
	return e, nil
}

// Spec returns the method the endpoint serves.
func (e *Endpoint) Spec() *MethodSpec { return e.spec }

// Codec returns the error codec the endpoint writes errors with.
func (e *Endpoint) Codec() ErrorCodec { return e.codec }

// Serve handles one request. pathValues are the path parameters in the
// order the path names them.
func (e *Endpoint) Serve(w http.ResponseWriter, r *http.Request, pathValues []string) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			e.log.Error("handle panicked", "method", e.spec.Name, "request_id", w.Header().Get("X-Request-Id"),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			e.WriteError(w, r, &Error{Status: http.StatusInternalServerError, Message: internalMessage})
		}
	}()
	caller, aerr := e.authorize(r)
	if aerr != nil {
		e.WriteError(w, r, aerr)
		return
	}
	var f *frame
	if e.frames != nil {
		f = e.frames.Get().(*frame)
		defer e.putFrame(f)
	} else {
		f = e.newFrame()
	}
	base := f.base
	if err := e.decode(w, r, f, pathValues); err != nil {
		e.WriteError(w, r, e.invalidArgs(err))
		return
	}
	if len(e.checks) > 0 {
		if fields := validateArgs(e.checks, base); len(fields) > 0 {
			e.WriteError(w, r, e.invalidArgs(Validation(fields...)))
			return
		}
	}
	var out unsafe.Pointer
	if e.replySlot >= 0 {
		out = unsafe.Add(base, e.replySlot)
	}
	var (
		reply any
		err   error
	)
	if e.spec.Timeout > 0 {
		reply, err = e.callWithTimeout(r.Context(), base, out, caller)
	} else {
		reply, err = e.bind.call(r.Context(), base, out, caller)
	}
	if err != nil {
		e.WriteError(w, r, e.handleError(w, err, base))
		return
	}
	if e.spec.Stream != nil {
		e.writeStream(w, r, reply, base)
		return
	}
	if ps := e.spec.Paging; ps != nil {
		reply = reply.(pager).withLinks(r.URL.Path, r.URL.Query(), *(*Paging)(unsafe.Add(base, ps.offset)))
	}
	e.writeReply(w, r, reply)
}

// A frame is one request's memory for the method struct, its body and its
// reply (a struct of type Endpoint.frame), with the views of it a request
// needs, made once per frame: plain pointers spare reflect on the fast
// path, and a pointer to a struct made by reflect.StructOf is costly to
// make each time.
type frame struct {
	mem      reflect.Value  // the frame struct, addressable
	base     unsafe.Pointer // its address; the method struct is at offset 0
	body     reflect.Value  // the body struct, addressable; invalid without one
	bodyBase unsafe.Pointer // the body struct's address
	bodyPtr  any            // the body struct's address, for encoding/json
}

func (e *Endpoint) newFrame() *frame {
	p := reflect.New(e.frame)
	f := &frame{mem: p.Elem(), base: p.UnsafePointer()}
	if e.body != nil {
		f.body = f.mem.Field(1)
		f.bodyBase = f.body.Addr().UnsafePointer()
		f.bodyPtr = f.body.Addr().Interface()
	}
	return f
}

// putFrame zeroes a frame, letting go of what its arguments and reply
// pointed to, and recycles it.
func (e *Endpoint) putFrame(f *frame) {
	f.mem.SetZero()
	e.frames.Put(f)
}

// method is the method struct at base, for the paths that need reflect.
func (e *Endpoint) method(base unsafe.Pointer) reflect.Value {
	return reflect.NewAt(e.spec.Type, base)
}

// invalidArgs gives an error about the body's fields the group's status.
func (e *Endpoint) invalidArgs(err *Error) *Error {
	if e.invalid == 0 || err.Status != http.StatusBadRequest || len(err.Fields) == 0 {
		return err
	}
	for _, f := range err.Fields {
		if !strings.HasPrefix(f.Location, "body.") {
			return err
		}
	}
	c := *err
	c.Status = e.invalid
	return &c
}

// decode fills the method struct of the frame f from the request.
func (e *Endpoint) decode(w http.ResponseWriter, r *http.Request, f *frame, pathValues []string) *Error {
	base := f.base
	var fields []FieldError
	if len(pathValues) != len(e.path) {
		return Internal("The route gave %d path values for %d parameters", len(pathValues), len(e.path))
	}
	for i, a := range e.path {
		if err := a.text.one(unsafe.Add(base, a.offset), pathValues[i]); err != nil {
			fields = append(fields, FieldError{Location: "path." + a.Name, Message: err.Error(), Value: pathValues[i]})
		}
	}
	if e.spec.StrictQuery && r.URL.RawQuery != "" {
		e.unknownQuery(r.URL.Query(), &fields)
	}
	if ps := e.spec.Paging; ps != nil {
		p, fe := ps.parse(r.URL.Query())
		*(*Paging)(unsafe.Add(base, ps.offset)) = p
		fields = append(fields, fe...)
	}
	if len(e.query) > 0 {
		q := r.URL.Query()
		for _, a := range e.query {
			ptr := unsafe.Add(base, a.offset)
			if a.text.mapKind != notMap {
				if fe := decodeQueryMap(a, ptr, q); fe != nil {
					fields = append(fields, *fe)
				}
				continue
			}
			vals := q[a.Name]
			if len(vals) == 0 {
				absent(a, ptr, &fields)
				continue
			}
			if err := a.text.decode(ptr, vals, vals[0]); err != nil {
				fields = append(fields, FieldError{Location: "query." + a.Name, Message: err.Error(), Value: vals[0]})
			}
		}
	}
	headerMissing := false
	for _, a := range e.header {
		ptr := unsafe.Add(base, a.offset)
		vals := r.Header[a.Header]
		if len(vals) == 0 {
			headerMissing = true
			if e.body == nil {
				absent(a, ptr, &fields)
			}
			continue
		}
		if err := a.text.one(ptr, vals[0]); err != nil {
			fields = append(fields, FieldError{Location: "header." + a.Header, Message: err.Error(), Value: vals[0]})
		}
	}
	if e.body != nil {
		if err := e.body.decode(w, r, e.maxBody, e.bodyTimeout, f, &fields); err != nil {
			return err
		}
		if headerMissing {
			// A header argument may come in the body instead; only when it is
			// in neither place is it missing.
			for _, a := range e.header {
				ptr := unsafe.Add(base, a.offset)
				if len(r.Header[a.Header]) == 0 && reflect.NewAt(a.Type, ptr).Elem().IsZero() {
					absent(a, ptr, &fields)
				}
			}
		}
	}
	if len(fields) > 0 {
		return Validation(fields...)
	}
	return nil
}

// unknownQuery reports every query parameter the method does not declare.
func (e *Endpoint) unknownQuery(q map[string][]string, fields *[]FieldError) {
	var unknown []string
	for k := range q {
		known := e.spec.Paging != nil && e.spec.Paging.knows(k)
		for _, a := range e.query {
			if k == a.Name || (a.text.mapKind != notMap && strings.HasPrefix(k, a.Name+".")) {
				known = true
				break
			}
		}
		if !known {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return
	}
	sort.Strings(unknown)
	names := make([]string, len(e.query))
	for i, a := range e.query {
		names[i] = a.Name
	}
	takes := "no query parameters"
	if len(names) > 0 {
		takes = "only " + strings.Join(names, ", ")
	}
	for _, k := range unknown {
		*fields = append(*fields, FieldError{Location: "query." + k, Message: "unknown query parameter; the method takes " + takes})
	}
}

// decodeQueryMap reads Inmanta's map encoding, name.key=value, into a
// map[string]string or map[string][]string.
func decodeQueryMap(a *ArgSpec, ptr unsafe.Pointer, q map[string][]string) *FieldError {
	prefix := a.Name + "."
	mv := reflect.NewAt(a.Type, ptr).Elem()
	for k, vals := range q {
		key, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if key == "" {
			return &FieldError{Location: "query." + k, Message: "the key after " + prefix + " is empty; write " + prefix + "<key>=<value>"}
		}
		if mv.IsNil() {
			mv.Set(reflect.MakeMap(a.Type))
		}
		if a.text.mapKind == mapOfString {
			mv.SetMapIndex(reflect.ValueOf(key).Convert(a.Type.Key()), reflect.ValueOf(vals[len(vals)-1]).Convert(a.Type.Elem()))
		} else {
			sv := reflect.MakeSlice(a.Type.Elem(), len(vals), len(vals))
			for i, v := range vals {
				sv.Index(i).SetString(v)
			}
			mv.SetMapIndex(reflect.ValueOf(key).Convert(a.Type.Key()), sv)
		}
	}
	if mv.IsNil() && a.hasDefault {
		mv.Set(a.defaultVal)
	}
	return nil
}

type result struct {
	reply any
	err   error
	panic any
	stack []byte
}

// callWithTimeout runs the handle with the method's deadline and answers 504
// when it passes, even if the handle does not watch its context.
func (e *Endpoint) callWithTimeout(parent context.Context, base, out unsafe.Pointer, caller *Caller) (any, error) {
	ctx, cancel := context.WithTimeout(parent, e.spec.Timeout)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{panic: p, stack: debug.Stack()}
			}
		}()
		reply, err := e.bind.call(ctx, base, out, caller)
		done <- result{reply: reply, err: err}
	}()
	select {
	case res := <-done:
		if res.panic != nil {
			e.log.Error("handle panicked", "method", e.spec.Name, "panic", fmt.Sprint(res.panic), "stack", string(res.stack))
			return nil, &Error{Status: http.StatusInternalServerError, Message: internalMessage}
		}
		return res.reply, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// handleError maps what a handle returned to the error to send, and logs
// what a client must not see.
func (e *Endpoint) handleError(w http.ResponseWriter, err error, base unsafe.Pointer) *Error {
	var pe *Error
	if errors.As(err, &pe) && pe.Name != "" {
		if e.spec.NamedError(pe.Name) == nil {
			e.log.Error("contract violation: the handle returned a named error its method does not declare",
				"method", e.spec.Name, "request_id", w.Header().Get("X-Request-Id"), "name", pe.Name, "error", err)
			if e.onViolation != nil {
				e.onViolation(e.spec.Name, pe)
			}
			return &Error{Status: http.StatusInternalServerError, Message: internalMessage, cause: err}
		}
		pe = e.spec.fillError(pe, e.method(base))
	}
	if pe != nil {
		if pe.Status >= 500 {
			e.log.Error("handle failed", "method", e.spec.Name, "request_id", w.Header().Get("X-Request-Id"), "error", err)
		}
		return pe
	}
	if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads this answer, and it is no failure of ours.
		return &Error{Status: StatusClientClosedRequest, Message: "The client closed the request"}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Status: http.StatusGatewayTimeout,
			Message: fmt.Sprintf("The request did not complete within its timeout of %s", e.spec.Timeout)}
	}
	e.log.Error("handle failed", "method", e.spec.Name, "request_id", w.Header().Get("X-Request-Id"), "error", err)
	return &Error{Status: http.StatusInternalServerError, Message: internalMessage, cause: err}
}

// WriteError writes err with the endpoint's codec.
func (e *Endpoint) WriteError(w http.ResponseWriter, r *http.Request, err *Error) {
	WriteError(w, r, e.codec, err)
}

// WriteError writes err as the reply, in the codec's wire form.
func WriteError(w http.ResponseWriter, r *http.Request, codec ErrorCodec, err *Error) {
	h := w.Header()
	h.Set("Content-Type", codec.ContentType())
	h.Set("X-Content-Type-Options", "nosniff")
	if err.Status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", "Bearer")
	}
	w.WriteHeader(err.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(codec.Encode(err))
	}
}

// encoderPool keeps a buffer with its encoder, so a reply costs no
// allocation for either.
var encoderPool = sync.Pool{New: func() any {
	b := &replyBuffer{}
	b.enc = json.NewEncoder(&b.buf)
	b.enc.SetEscapeHTML(false) // an API reply, not HTML: "&" in a link stays "&"
	return b
}}

type replyBuffer struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func (e *Endpoint) writeReply(w http.ResponseWriter, r *http.Request, reply any) {
	h := w.Header()
	for _, name := range e.replyHeaders {
		if v := r.Header[name]; len(v) > 0 {
			h[name] = v
		}
	}
	if !e.spec.Reply {
		w.WriteHeader(e.spec.Status)
		return
	}
	if e.spec.EmptyStatus != 0 && (reply == nil || reflect.ValueOf(reply).IsNil()) {
		w.WriteHeader(e.spec.EmptyStatus)
		return
	}
	rb := encoderPool.Get().(*replyBuffer)
	defer func() {
		if rb.buf.Cap() <= 64<<10 {
			rb.buf.Reset()
			encoderPool.Put(rb)
		}
	}()
	if e.envelopeOpen != "" {
		rb.buf.WriteString(e.envelopeOpen)
	}
	if err := rb.enc.Encode(reply); err != nil {
		e.log.Error("reply could not be encoded", "method", e.spec.Name, "request_id", h.Get("X-Request-Id"), "error", err)
		e.WriteError(w, r, &Error{Status: http.StatusInternalServerError, Message: internalMessage})
		return
	}
	if e.envelopeOpen != "" {
		rb.buf.Truncate(rb.buf.Len() - 1) // Encode's newline
		rb.buf.WriteString("}\n")
	}
	h["Content-Type"] = jsonContentType
	w.WriteHeader(e.spec.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(rb.buf.Bytes())
	}
}

var jsonContentType = []string{"application/json"}
