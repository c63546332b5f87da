// Package client calls the reference server's methods over HTTP. The typed
// methods of Client are generated from the declarations in package methods
// (zz_generated.go); this file is the transport they share.
package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tagrpc/tagrpc/protocol"
)

// Client calls a tagrpc server. It is safe for concurrent use.
type Client struct {
	base      string
	hc        *http.Client
	token     string
	userAgent string
	header    http.Header

	userAgentValue []string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the *http.Client requests go through (default
// http.DefaultClient).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithBearerToken sends token as "Authorization: Bearer <token>".
func WithBearerToken(token string) Option { return func(c *Client) { c.token = token } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithHeader adds a header to every request.
func WithHeader(name, value string) Option {
	return func(c *Client) { c.header.Add(name, value) }
}

// New returns a client of the server at baseURL, e.g. http://127.0.0.1:8080.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimSuffix(baseURL, "/"), hc: http.DefaultClient, userAgent: "tagrpc-client", header: http.Header{}}
	for _, o := range opts {
		o(c)
	}
	c.userAgentValue = []string{c.userAgent}
	return c
}

// method is what a generated method needs to call its declaration: read
// once, when the package is initialised.
type method struct {
	spec     *protocol.MethodSpec
	codec    protocol.ErrorCodec
	envelope reflect.Type // struct{ D *Reply `json:"<key>"` } for enveloped replies
	path     []pathPart   // the URL, split at its parameters
}

// pathPart is a literal piece of a URL or, when arg is set, a parameter.
type pathPart struct {
	literal string
	arg     *protocol.ArgSpec
}

// newMethod reads a declaration of group g (nil: none) for calls.
func newMethod(decl any, g *protocol.Group) *method {
	if g == nil {
		g = &protocol.Group{}
	}
	spec, err := g.Describe(decl)
	if err != nil {
		panic(err) // the declarations are checked by their own tests; this cannot happen
	}
	codec := g.Codec
	if codec == nil {
		codec = protocol.Problem{}
	}
	m := &method{spec: spec, codec: codec}
	rest := spec.URL
	for _, name := range spec.PathParams {
		before, after, _ := strings.Cut(rest, "<"+name+">")
		m.path = append(m.path, pathPart{literal: before}, pathPart{arg: spec.Arg(name)})
		rest = after
	}
	m.path = append(m.path, pathPart{literal: rest})
	if spec.Reply && spec.Envelope {
		m.envelope = reflect.StructOf([]reflect.StructField{{
			Name: "D", Type: reflect.PointerTo(spec.ReplyType), Tag: reflect.StructTag(`json:"` + spec.EnvelopeKey + `"`),
		}})
	}
	return m
}

var (
	jsonValue = []string{"application/json"}
	gzipValue = []string{"gzip"}
)

// minGzip is the smallest request body worth compressing. Replies are
// compressed by the server when the transport asks for them, as Go's does.
const minGzip = 1024

// maxErrorBody bounds how much of an error reply is read.
const maxErrorBody = 1 << 20

// call sends the declaration in (a pointer to the method struct) and
// decodes the reply into out (a pointer, or nil for no reply body).
func (c *Client) call(ctx context.Context, m *method, in, out any) error {
	req, err := c.request(ctx, m, reflect.ValueOf(in).Elem())
	if err != nil {
		return err
	}
	return c.do(ctx, m, req, out)
}

// do sends a request of method m and decodes its reply into out.
func (c *Client) do(ctx context.Context, m *method, req *http.Request, out any) error {
	if t := m.spec.Timeout; t > 0 {
		// The server answers 504 at the method's timeout; wait a little
		// longer for that answer rather than give up first.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t+2*time.Second)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", m.spec.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return m.decodeError(resp.StatusCode, body)
	}
	if out == nil || !m.spec.Reply || req.Method == http.MethodHead ||
		(m.spec.EmptyStatus != 0 && resp.StatusCode == m.spec.EmptyStatus) {
		// No body; out keeps its zero value (nil, for an empty_status reply).
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	target := out
	if m.envelope != nil {
		env := reflect.New(m.envelope)
		env.Elem().Field(0).Set(reflect.ValueOf(out))
		target = env.Interface()
	}
	if err := json.NewDecoder(resp.Body).Decode(target); err != nil {
		return fmt.Errorf("%s: decode the reply: %w", m.spec.Name, err)
	}
	return nil
}

// decodeError reads an error reply. A named error the wire form carries
// without its suggestions (an API whose error shape has no room for them)
// gets those of the method's catalog.
func (m *method) decodeError(status int, body []byte) error {
	e := m.codec.Decode(status, body)
	if e.Name != "" && len(e.Suggestions) == 0 {
		if known := m.spec.NamedError(e.Name); known != nil {
			e.Suggestions = known.Suggestions
		}
	}
	return e
}

// request builds the HTTP request for a call: path parameters, query,
// headers and JSON body, each where the declaration puts it.
func (c *Client) request(ctx context.Context, m *method, in reflect.Value) (*http.Request, error) {
	s := m.spec
	var u strings.Builder
	u.Grow(len(c.base) + len(s.URL) + 40) // room for a UUID or two
	u.WriteString(c.base)
	for _, p := range m.path {
		if p.arg == nil {
			u.WriteString(p.literal)
			continue
		}
		text, err := formatText(in.Field(p.arg.FieldIndex()))
		if err != nil {
			return nil, fmt.Errorf("%s: argument %s: %w", s.Name, p.arg.Name, err)
		}
		u.WriteString(url.PathEscape(text))
	}
	var (
		query  url.Values
		header []string // name, value pairs
		body   map[string]any
		kwargs map[string]any
	)
	for _, a := range s.Args {
		v := in.Field(a.FieldIndex())
		if a.In == protocol.InPath {
			continue
		}
		if v.IsZero() && (!a.Required || a.HasDefault()) {
			continue // absent: the server applies the default
		}
		switch a.In {
		case protocol.InQuery:
			if query == nil {
				query = url.Values{}
			}
			if err := addQuery(query, a.Name, v); err != nil {
				return nil, fmt.Errorf("%s: argument %s: %w", s.Name, a.Name, err)
			}
		case protocol.InHeader:
			text, err := formatText(v)
			if err != nil {
				return nil, fmt.Errorf("%s: argument %s: %w", s.Name, a.Name, err)
			}
			header = append(header, a.Header, text)
		case protocol.InBody:
			if body == nil {
				body = map[string]any{}
			}
			if a.Kwargs != "" {
				kwargs = v.Interface().(map[string]any) // spread into the body below
				continue
			}
			body[a.Name] = v.Interface()
		}
	}
	for k, v := range kwargs {
		if _, taken := body[k]; !taken {
			body[k] = v // the body's own keys, as the server's kwargs argument takes them
		}
	}
	if s.Paging != nil {
		if query == nil {
			query = url.Values{}
		}
		addPaging(query, s.PagingValue(in.Addr()))
	}
	if len(query) > 0 {
		u.WriteByte('?')
		u.WriteString(query.Encode())
	}
	var (
		rd      io.Reader
		gzipped bool
	)
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: encode the body: %w", s.Name, err)
		}
		if len(b) >= minGzip {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			_, _ = zw.Write(b)
			if err := zw.Close(); err != nil {
				return nil, fmt.Errorf("%s: compress the body: %w", s.Name, err)
			}
			b, gzipped = z.Bytes(), true
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, s.Operation, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	c.setHeaders(req)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header[header[i]] = []string{header[i+1]}
	}
	// Shared, read-only values: the transport only reads headers.
	if body != nil {
		req.Header["Content-Type"] = jsonValue
	}
	if gzipped {
		req.Header["Content-Encoding"] = gzipValue
	}
	return req, nil
}

// setHeaders adds the headers every request of the client carries.
func (c *Client) setHeaders(req *http.Request) {
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	req.Header["Accept"] = jsonValue
	req.Header["User-Agent"] = c.userAgentValue
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}

// addQuery writes a query argument: scalars once, slices repeated, maps in
// Inmanta's name.key=value form.
func addQuery(q url.Values, name string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			text, err := formatText(v.Index(i))
			if err != nil {
				return err
			}
			q.Add(name, text)
		}
		return nil
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			key := name + "." + iter.Key().String()
			if iter.Value().Kind() == reflect.Slice {
				for i := 0; i < iter.Value().Len(); i++ {
					q.Add(key, iter.Value().Index(i).String())
				}
			} else {
				q.Add(key, iter.Value().String())
			}
		}
		return nil
	}
	text, err := formatText(v)
	if err != nil {
		return err
	}
	q.Set(name, text)
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

// formatText writes a scalar as the server reads it from text.
func formatText(v reflect.Value) (string, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", nil
		}
		v = v.Elem()
	}
	if v.Type() == timeType {
		return v.Interface().(time.Time).Format(time.RFC3339Nano), nil
	}
	if v.CanAddr() {
		v = v.Addr() // a pointer boxes without copying
	}
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, err := m.MarshalText()
		// b is the marshaler's own fresh slice: lend it rather than copy it.
		return unsafe.String(unsafe.SliceData(b), len(b)), err
	}
	v = reflect.Indirect(v)
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits()), nil
	}
	return "", fmt.Errorf("a %s cannot be sent as text", v.Type())
}
