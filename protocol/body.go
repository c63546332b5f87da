package protocol

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// bodyDecoder reads the JSON body into a struct type made at registration
// from the body arguments (reflect.StructOf), so encoding/json does the
// field matching and rejects unknown keys, and then moves each value into
// the method struct. Scalars are held by pointer in that struct, so an
// absent key is told apart from a zero value.
type bodyDecoder struct {
	typ    reflect.Type
	fields []bodyField

	kwargs *ArgSpec            // takes the keys no other argument does; nil: they are refused
	known  map[string]bool     // the body keys of the other arguments
	path   map[string]*ArgSpec // path arguments, which a kwargs body may repeat
}

type bodyMode uint8

const (
	bodyPlain   bodyMode = iota // the argument's own type; nil means absent
	bodyPointer                 // *T for an argument of type T; nil means absent
	bodyText                    // textValue, read with the argument's text decoder
)

type bodyField struct {
	arg    *ArgSpec
	mode   bodyMode
	offset uintptr                       // of the field in the body struct
	copy   func(dst, src unsafe.Pointer) // for bodyPointer scalars: *dst = *src without reflect
}

// textValue holds a JSON string that a text decoder turns into the argument,
// so that a bad UUID or date-time in the body is reported with its field
// (encoding/json returns a TextUnmarshaler's error without one) and a
// date-time without a zone is read as UTC, as it is in a query.
type textValue struct {
	set, null bool
	s         string
	raw       string // the JSON value, when it is not a string
}

func (t *textValue) UnmarshalJSON(b []byte) error {
	t.set = true
	if string(b) == "null" {
		t.null = true
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &t.s)
	}
	t.raw = string(b)
	return nil
}

var textValueType = reflect.TypeFor[textValue]()

func newBodyDecoder(s *MethodSpec) *bodyDecoder {
	var sf []reflect.StructField
	d := &bodyDecoder{}
	for _, a := range s.Args {
		if a.Kwargs != "" {
			d.kwargs = a
			continue
		}
		inBody := a.In == InBody || (a.In == InHeader && s.hasBody())
		if !inBody {
			continue
		}
		f := bodyField{arg: a}
		t := a.Type
		base := t
		if base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		_, text := scalarDecoder(base)
		switch {
		case text && (base == timeType || reflect.PointerTo(base).Implements(textUnmarshalerType)):
			f.mode, t = bodyText, textValueType
		case t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Interface:
			f.mode = bodyPlain
		default:
			f.mode, t = bodyPointer, reflect.PointerTo(t)
		}
		if a.In == InHeader {
			// The text decoder needs a plain string even for header arguments of
			// non-text types, so read every header argument as a string.
			f.mode, t = bodyText, textValueType
		}
		sf = append(sf, reflect.StructField{
			Name: "A" + strconv.Itoa(len(sf)),
			Type: t,
			Tag:  reflect.StructTag(`json:"` + a.Name + `"`),
		})
		if f.mode == bodyPointer {
			f.copy = scalarCopy(a.Type)
		}
		d.fields = append(d.fields, f)
	}
	if len(sf) == 0 && d.kwargs == nil {
		return nil
	}
	if d.kwargs != nil {
		d.known, d.path = map[string]bool{}, map[string]*ArgSpec{}
		for _, f := range d.fields {
			d.known[f.arg.Name] = true
		}
		for _, name := range s.PathParams {
			d.path[name] = s.Arg(name)
		}
	}
	d.typ = reflect.StructOf(sf)
	for i := range d.fields {
		d.fields[i].offset = d.typ.Field(i).Offset
	}
	return d
}

// scalarCopy returns a typed copy for the common kinds of body scalars,
// sparing a reflect.Value per argument per request; nil for the others.
func scalarCopy(t reflect.Type) func(dst, src unsafe.Pointer) {
	switch t.Kind() {
	case reflect.String:
		return func(dst, src unsafe.Pointer) { *(*string)(dst) = *(*string)(src) }
	case reflect.Bool, reflect.Int8, reflect.Uint8:
		return func(dst, src unsafe.Pointer) { *(*uint8)(dst) = *(*uint8)(src) }
	case reflect.Int16, reflect.Uint16:
		return func(dst, src unsafe.Pointer) { *(*uint16)(dst) = *(*uint16)(src) }
	case reflect.Int32, reflect.Uint32, reflect.Float32:
		return func(dst, src unsafe.Pointer) { *(*uint32)(dst) = *(*uint32)(src) }
	case reflect.Int, reflect.Uint, reflect.Int64, reflect.Uint64, reflect.Float64:
		if t.Size() == 8 {
			return func(dst, src unsafe.Pointer) { *(*uint64)(dst) = *(*uint64)(src) }
		}
	}
	return nil
}

func (s *MethodSpec) hasBody() bool {
	switch s.Operation {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

// decode reads r's body into the method struct at base. It returns a
// request-level error (malformed JSON, too large, wrong type), or adds to
// fields the errors of single arguments.
func (d *bodyDecoder) decode(w http.ResponseWriter, r *http.Request, limit int64, timeout time.Duration, f *frame, fields *[]FieldError) *Error {
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		if err := checkContentType(headerValue(r.Header, "Content-Type")); err != nil {
			return err
		}
		if r.ContentLength > limit {
			return bodyTooLarge(limit)
		}
		body, perr := bodyReader(w, r, limit)
		if perr != nil {
			return perr
		}
		defer body.Close()
		var rc interface{ SetReadDeadline(time.Time) error }
		if timeout > 0 {
			rc = readDeadliner(w)
		}
		deadline := rc != nil && rc.SetReadDeadline(time.Now().Add(timeout)) == nil
		dec := json.NewDecoder(body)
		var err error
		if d.kwargs != nil {
			err = d.decodeKwargs(dec, f, fields)
		} else {
			dec.DisallowUnknownFields()
			err = dec.Decode(f.bodyPtr)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// A client that sends its body too slowly is answered 408. The
			// deadline stays and the connection closes: net/http would
			// otherwise wait for the rest of the body before answering.
			w.Header().Set("Connection", "close")
			return Errorf(http.StatusRequestTimeout, "The request body did not arrive within %s", timeout)
		}
		if deadline {
			_ = rc.SetReadDeadline(time.Time{})
		}
		if err != nil && err != io.EOF {
			return jsonError(err, limit, fields)
		}
		if dec.More() {
			return BadRequest("The request body could not be decoded as JSON: it holds more than one JSON value")
		}
	}
	if len(*fields) > 0 {
		return nil
	}
	for i, bf := range d.fields {
		a := bf.arg
		dst := unsafe.Add(f.base, a.offset)
		src := unsafe.Add(f.bodyBase, bf.offset)
		present := false
		if bf.copy != nil {
			if p := *(*unsafe.Pointer)(src); p != nil {
				bf.copy(dst, p)
				present = true
			}
		} else {
			switch bf.mode {
			case bodyPlain:
				if v := f.body.Field(i); !v.IsNil() {
					reflect.NewAt(a.Type, dst).Elem().Set(v)
					present = true
				}
			case bodyPointer:
				if v := f.body.Field(i); !v.IsNil() {
					reflect.NewAt(a.Type, dst).Elem().Set(v.Elem())
					present = true
				}
			case bodyText:
				tv := (*textValue)(src)
				present = tv.set && !tv.null
				if !present {
					break
				}
				loc := "body." + a.Name
				if tv.raw != "" {
					*fields = append(*fields, FieldError{Location: loc, Message: "expected a string", Value: json.RawMessage(tv.raw)})
					continue
				}
				if a.In == InHeader {
					if err := mergeHeaderAndBody(a, dst, tv.s); err != nil {
						*fields = append(*fields, *err)
					}
					continue
				}
				if err := a.text.one(dst, tv.s); err != nil {
					*fields = append(*fields, FieldError{Location: loc, Message: err.Error(), Value: tv.s})
				}
			}
		}
		if !present && a.In == InBody {
			absent(a, dst, fields)
		}
	}
	return nil
}

// decodeKwargs reads a body whose keys are either the body arguments' or
// go to the kwargs argument. A key repeating a path argument is dropped
// (kwargs:"path") or read into that argument (kwargs:"body").
func (d *bodyDecoder) decodeKwargs(dec *json.Decoder, f *frame, fields *[]FieldError) error {
	var all map[string]json.RawMessage
	if err := dec.Decode(&all); err != nil {
		return err
	}
	if all == nil {
		return &json.UnmarshalTypeError{Value: "null", Type: reflect.TypeFor[map[string]any]()}
	}
	var known bytes.Buffer
	known.WriteByte('{')
	kw := map[string]any{}
	for k, raw := range all {
		if d.known[k] {
			if known.Len() > 1 {
				known.WriteByte(',')
			}
			key, _ := json.Marshal(k)
			known.Write(key)
			known.WriteByte(':')
			known.Write(raw)
			continue
		}
		if a, ok := d.path[k]; ok {
			if d.kwargs.Kwargs == "body" {
				var text string
				if err := json.Unmarshal(raw, &text); err != nil {
					text = string(raw) // a number, say: its JSON text is its text
				}
				if err := a.text.one(unsafe.Add(f.base, a.offset), text); err != nil {
					*fields = append(*fields, FieldError{Location: "body." + k, Message: err.Error(), Value: text})
				}
			}
			continue
		}
		vd := json.NewDecoder(bytes.NewReader(raw))
		vd.UseNumber() // integers stay exact on their way to the handle
		var v any
		if err := vd.Decode(&v); err != nil {
			return err
		}
		kw[k] = v
	}
	known.WriteByte('}')
	*(*map[string]any)(unsafe.Add(f.base, d.kwargs.offset)) = kw
	return json.Unmarshal(known.Bytes(), f.bodyPtr)
}

// mergeHeaderAndBody accepts a header argument given in the body: alone, it
// is used; beside the header, both must be equal (Inmanta's rule).
func mergeHeaderAndBody(a *ArgSpec, dst unsafe.Pointer, bodyValue string) *FieldError {
	v := reflect.New(a.Type)
	if err := a.text.one(v.UnsafePointer(), bodyValue); err != nil {
		return &FieldError{Location: "body." + a.Name, Message: err.Error(), Value: bodyValue}
	}
	cur := reflect.NewAt(a.Type, dst).Elem()
	if cur.IsZero() {
		cur.Set(v.Elem())
		return nil
	}
	if !reflect.DeepEqual(cur.Interface(), v.Elem().Interface()) {
		return &FieldError{
			Location: "header." + a.Header,
			Message:  fmt.Sprintf("value %v of header %s differs from value %q of body field %s", cur.Interface(), a.Header, bodyValue, a.Name),
			Value:    bodyValue,
		}
	}
	return nil
}

// absent applies the default of a missing argument, or reports it missing.
func absent(a *ArgSpec, dst unsafe.Pointer, fields *[]FieldError) {
	switch {
	case a.hasDefault:
		reflect.NewAt(a.Type, dst).Elem().Set(a.defaultVal)
	case a.Required:
		*fields = append(*fields, FieldError{Location: string(a.In) + "." + argLocName(a), Message: "required", arg: a.Name})
	}
}

func argLocName(a *ArgSpec) string {
	if a.In == InHeader {
		return a.Header
	}
	return a.Name
}

// readDeadliner finds the connection's read deadline behind w and the
// writers wrapping it, as http.ResponseController does, but without the
// error value it allocates when there is none (a test recorder).
func readDeadliner(w http.ResponseWriter) interface{ SetReadDeadline(time.Time) error } {
	for {
		if d, ok := w.(interface{ SetReadDeadline(time.Time) error }); ok {
			return d
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
}

// bodyReader returns the request body, inflated when it is gzip-encoded.
// The limit holds for the inflated size too: a small gzip body that
// inflates past it is refused, not decoded.
func bodyReader(w http.ResponseWriter, r *http.Request, limit int64) (io.ReadCloser, *Error) {
	raw := http.MaxBytesReader(w, r.Body, limit)
	switch enc := strings.ToLower(strings.TrimSpace(headerValue(r.Header, "Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip", "x-gzip":
		gz, err := gzip.NewReader(raw)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, bodyTooLarge(limit)
			}
			return nil, BadRequest("The request body is not valid gzip: %s", err.Error())
		}
		return http.MaxBytesReader(w, gz, limit), nil
	default:
		return nil, &Error{Status: http.StatusUnsupportedMediaType,
			Message: fmt.Sprintf("The request body has Content-Encoding %q; send it plain or gzip", enc)}
	}
}

// headerValue is h.Get(key) for a key already in canonical form, without
// canonicalizing it again on every request.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func checkContentType(ct string) *Error {
	if ct == "" || ct == "application/json" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return &Error{Status: http.StatusUnsupportedMediaType,
		Message: fmt.Sprintf("The request body has Content-Type %q; send application/json", ct)}
}

func bodyTooLarge(limit int64) *Error {
	return PayloadTooLarge("The request body is larger than the limit of %d bytes", limit)
}

// jsonError turns an encoding/json error into a 400 that says where.
func jsonError(err error, limit int64, fields *[]FieldError) *Error {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooBig):
		return bodyTooLarge(limit)
	case errors.As(err, &syntax):
		return BadRequest("The request body could not be decoded as JSON: %s (at byte %d)", syntax.Error(), syntax.Offset)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return BadRequest("The request body is not valid gzip: %s", err.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("The request body could not be decoded as JSON: it ends early")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return BadRequest("The request body must be a JSON object, not %s", typeErr.Value)
		}
		*fields = append(*fields, FieldError{
			Location: "body." + typeErr.Field,
			Message:  "expected " + jsonTypeName(typeErr.Type) + ", got " + typeErr.Value,
		})
		return nil
	}
	const unknown = "json: unknown field "
	if msg := err.Error(); strings.HasPrefix(msg, unknown) {
		name, _ := strconv.Unquote(strings.TrimPrefix(msg, unknown))
		*fields = append(*fields, FieldError{Location: "body." + name, Message: "unknown field"})
		return nil
	}
	return BadRequest("The request body could not be decoded as JSON: %s", err.Error())
}

// jsonTypeName names a Go type as a JSON value, for messages.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
