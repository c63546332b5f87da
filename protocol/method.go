package protocol

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Method marks a struct as a method declaration. Embed it, with a struct tag
// describing the endpoint; R is the type of the reply body ([NoReply] for a
// method without one).
//
// Tag keys, after Inmanta's @method:
//
//	path          URL path; <name> is a path parameter named after an argument
//	operation     GET, POST, PUT, PATCH, DELETE or HEAD (default POST)
//	client_types  comma list of client types allowed to call (default "api")
//	api_version   version in the URL, /<prefix>/v<version><path> (default 1)
//	api_prefix    prefix in the URL (default "api")
//	bare          "true" serves path exactly as written, with no prefix or version
//	envelope      "true" wraps the reply as {"<envelope_key>": reply}
//	envelope_key  key of the envelope (default "data")
//	timeout       deadline of the handle: seconds ("30") or a duration ("1.5s")
//	reply         "false" for no reply body (the same as R = NoReply)
//	status        status code of a success (default 200)
//	enforce_auth  "false" lets the method be called without credentials
//	max_body      largest accepted request body in bytes, or with KiB/MiB (default: the server's)
//	msg           what a client shows while it calls the method; may name {argument}s
//	success_msg   what a client shows when the call succeeded; may name {argument}s
//	strict_query  "true" refuses query parameters the method does not declare
//	empty_status  a 2xx status answered, with no body, when the handle's reply is nil
//	stream        for a Stream reply: "json" (default) or "ndjson", see Stream
//	items_key     key of the items in a json stream (default "items")
//	server_agent, agent_server, validate_sid  Inmanta's agent-channel flags
type Method[R any] struct{}

func (Method[R]) replyType() reflect.Type { return reflect.TypeFor[R]() }

// marker is implemented by every instantiation of Method.
type marker interface{ replyType() reflect.Type }

// NoReply is the reply type of a method that answers with a status and no body.
type NoReply struct{}

// Location says where in a request an argument is read from.
type Location string

// The places an argument can come from.
const (
	InPath   Location = "path"
	InQuery  Location = "query"
	InHeader Location = "header"
	InBody   Location = "body"
)

// MethodSpec is everything a declaration says, read once. The router, the
// argument decoder, the documentation and the client all work from it.
type MethodSpec struct {
	Name        string       // the declaration's type name: handle name and operationId
	Type        reflect.Type // the declaration struct
	Path        string       // as declared, with <name> parameters
	URL         string       // the full path served, with <name> parameters
	Operation   string       // HTTP verb
	ClientTypes []string
	APIVersion  int
	APIPrefix   string
	Bare        bool
	Envelope    bool
	EnvelopeKey string
	Timeout     time.Duration // 0: none
	Reply       bool          // false: the reply has no body
	ReplyType   reflect.Type
	Status      int
	EnforceAuth bool
	MaxBody     int64 // 0: the server's default
	ServerAgent bool
	AgentServer bool
	ValidateSID bool
	Msg         string      // shown by clients while calling, with {argument}s
	SuccessMsg  string      // shown by clients after a success, with {argument}s
	Errors      []*Error    // the named errors a handle may return: the method's, then its group's
	StrictQuery bool        // undeclared query parameters are a 400
	EmptyStatus int         // status of a nil reply, sent without a body; 0: nil is encoded as null
	Stream      *StreamSpec // nil unless the reply is a Stream
	Paging      *PagingSpec // nil unless the method has a protocol.Paging field
	Args        []*ArgSpec
	PathParams  []string // argument names in the order they appear in the path

	streamTag, itemsKeyTag string // read with the marker tag, checked by readStream
}

// ArgSpec describes one argument of a method.
type ArgSpec struct {
	Name        string       // name on the wire
	Field       string       // Go field name
	Type        reflect.Type // Go type
	In          Location
	Header      string // canonical header name when In is InHeader
	ReplyHeader bool   // echo the header in the reply
	Required    bool
	Default     string // as written in the tag; "" for none
	Validate    string
	Doc         string
	// Kwargs marks the map[string]any argument that receives the body's
	// keys no other argument takes (Python's **kwargs); its value says
	// which wins when the body repeats a path argument: "path" or "body".
	Kwargs string

	index      int
	offset     uintptr
	hasDefault bool
	defaultVal reflect.Value
	text       textDecoder // for path, query and header arguments
}

var operations = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodHead: true,
}

// Describe reads a method declaration (a value or pointer of a struct type
// embedding Method) into its spec. Every mistake in the declaration is an
// error naming the type and, where there is one, the field.
func Describe(decl any) (*MethodSpec, error) {
	t := reflect.TypeOf(decl)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("protocol: declaration %T is not a struct", decl)
	}
	s, err := describe(t)
	if err == nil {
		err = s.readCatalog(reflect.New(t).Interface())
	}
	if err == nil {
		for _, text := range []string{s.Msg, s.SuccessMsg} {
			if err = s.checkPlaceholders(text); err != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("protocol: method %s: %w", t.Name(), err)
	}
	return s, nil
}

func describe(t reflect.Type) (*MethodSpec, error) {
	s := &MethodSpec{
		Name: t.Name(), Type: t,
		Operation: http.MethodPost, ClientTypes: []string{"api"},
		APIVersion: 1, APIPrefix: "api", EnvelopeKey: "data",
		Reply: true, Status: http.StatusOK, EnforceAuth: true,
	}
	markerIndex := -1
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.Anonymous {
			continue
		}
		if m, ok := reflect.Zero(f.Type).Interface().(marker); ok {
			if markerIndex >= 0 {
				return nil, fmt.Errorf("embeds protocol.Method twice")
			}
			markerIndex = i
			s.ReplyType = m.replyType()
			if err := s.readMarkerTag(string(f.Tag)); err != nil {
				return nil, err
			}
		}
	}
	if markerIndex < 0 {
		return nil, fmt.Errorf("does not embed protocol.Method")
	}
	if s.ReplyType == reflect.TypeFor[NoReply]() {
		s.Reply = false
	}
	if err := s.readStream(s.streamTag, s.itemsKeyTag); err != nil {
		return nil, err
	}
	if s.EmptyStatus != 0 {
		switch s.ReplyType.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		default:
			return nil, fmt.Errorf("tag empty_status needs a reply that can be nil (a pointer, say), not %s", s.ReplyType)
		}
	}
	if s.Path == "" {
		return nil, fmt.Errorf("the protocol.Method tag has no path")
	}
	if !strings.HasPrefix(s.Path, "/") {
		return nil, fmt.Errorf("path %q does not start with /", s.Path)
	}
	if s.Bare {
		s.URL = s.Path
	} else {
		s.URL = "/" + s.APIPrefix + "/v" + strconv.Itoa(s.APIVersion) + s.Path
	}
	params, err := pathParams(s.Path)
	if err != nil {
		return nil, err
	}
	s.PathParams = params

	names := map[string]*ArgSpec{}
	headers := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		if i == markerIndex {
			continue
		}
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous {
			return nil, fmt.Errorf("field %s: embedded fields other than protocol.Method are not supported", f.Name)
		}
		if f.Type == pagingType {
			if s.Paging != nil {
				return nil, fmt.Errorf("fields %s and %s are both protocol.Paging", s.Type.Field(s.Paging.field).Name, f.Name)
			}
			ps, err := readPagingTag(f.Tag.Get("paging"))
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
			ps.field, ps.offset = i, f.Offset
			s.Paging = ps
			continue
		}
		a, err := s.readArg(f)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		if prev, ok := names[a.Name]; ok {
			return nil, fmt.Errorf("fields %s and %s both name argument %q", prev.Field, f.Name, a.Name)
		}
		names[a.Name] = a
		if a.In == InHeader {
			if prev, ok := headers[a.Header]; ok {
				return nil, fmt.Errorf("fields %s and %s both read header %s", prev, f.Name, a.Header)
			}
			headers[a.Header] = f.Name
		}
		s.Args = append(s.Args, a)
	}
	if err := s.checkPaging(names); err != nil {
		return nil, err
	}
	var kwargs *ArgSpec
	for _, a := range s.Args {
		if a.Kwargs == "" {
			continue
		}
		if kwargs != nil {
			return nil, fmt.Errorf("fields %s and %s are both kwargs arguments", kwargs.Field, a.Field)
		}
		if !s.hasBody() {
			return nil, fmt.Errorf("field %s: a kwargs argument takes body keys, and %s has no body", a.Field, s.Operation)
		}
		kwargs = a
	}
	for _, p := range params {
		a, ok := names[p]
		if !ok {
			return nil, fmt.Errorf("path %q names <%s> but no field is argument %q", s.Path, p, p)
		}
		if a.In == InHeader {
			return nil, fmt.Errorf("field %s: argument %q is in the path and also has a header tag", a.Field, p)
		}
		if !isScalar(a.Type) {
			return nil, fmt.Errorf("field %s: path parameter %q has type %s; a path parameter must be a scalar", a.Field, p, a.Type)
		}
		a.In = InPath
		a.Required = true
	}
	for _, a := range s.Args {
		if a.In == "" {
			switch s.Operation {
			case http.MethodGet, http.MethodHead, http.MethodDelete:
				a.In = InQuery
			default:
				a.In = InBody
			}
		}
		if err := a.prepare(); err != nil {
			return nil, fmt.Errorf("field %s: %w", a.Field, err)
		}
	}
	return s, nil
}

func (s *MethodSpec) readMarkerTag(tag string) error {
	pairs, err := parseTag(tag)
	if err != nil {
		return fmt.Errorf("protocol.Method tag: %w", err)
	}
	for _, p := range pairs {
		v := p.value
		switch p.key {
		case "path":
			s.Path = v
		case "operation":
			op := strings.ToUpper(v)
			if !operations[op] {
				return fmt.Errorf("tag operation:%q is not one of GET, POST, PUT, PATCH, DELETE, HEAD", v)
			}
			s.Operation = op
		case "client_types":
			s.ClientTypes = nil
			for _, ct := range strings.Split(v, ",") {
				ct = strings.TrimSpace(ct)
				if ct == "" {
					return fmt.Errorf("tag client_types:%q has an empty entry", v)
				}
				s.ClientTypes = append(s.ClientTypes, ct)
			}
		case "api_version":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("tag api_version:%q is not a version number", v)
			}
			s.APIVersion = n
		case "api_prefix":
			if v == "" || strings.Contains(v, "/") {
				return fmt.Errorf("tag api_prefix:%q must be one non-empty path segment (use bare:\"true\" for no prefix)", v)
			}
			s.APIPrefix = v
		case "bare":
			s.Bare, err = parseBool(p.key, v)
		case "envelope":
			s.Envelope, err = parseBool(p.key, v)
		case "envelope_key":
			if v == "" {
				return fmt.Errorf("tag envelope_key is empty")
			}
			s.EnvelopeKey = v
		case "timeout":
			s.Timeout, err = parseTimeout(v)
		case "reply":
			s.Reply, err = parseBool(p.key, v)
			if err == nil && !s.Reply && s.ReplyType != reflect.TypeFor[NoReply]() {
				return fmt.Errorf("tag reply:\"false\" but the reply type is %s; declare protocol.Method[protocol.NoReply]", s.ReplyType)
			}
		case "status":
			n, err := strconv.Atoi(v)
			if err != nil || n < 200 || n > 299 {
				return fmt.Errorf("tag status:%q is not a 2xx status code", v)
			}
			s.Status = n
		case "enforce_auth":
			s.EnforceAuth, err = parseBool(p.key, v)
		case "max_body":
			s.MaxBody, err = parseSize(v)
		case "msg":
			s.Msg = v
		case "success_msg":
			s.SuccessMsg = v
		case "strict_query":
			s.StrictQuery, err = parseBool(p.key, v)
		case "empty_status":
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 200 || n > 299 {
				return fmt.Errorf("tag empty_status:%q is not a 2xx status code", v)
			}
			s.EmptyStatus = n
		case "stream":
			s.streamTag = v
		case "items_key":
			if v == "" {
				return fmt.Errorf("tag items_key is empty")
			}
			s.itemsKeyTag = v
		case "server_agent":
			s.ServerAgent, err = parseBool(p.key, v)
		case "agent_server":
			s.AgentServer, err = parseBool(p.key, v)
		case "validate_sid":
			s.ValidateSID, err = parseBool(p.key, v)
		default:
			return fmt.Errorf("unknown tag key %q in the protocol.Method tag", p.key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *MethodSpec) readArg(f reflect.StructField) (*ArgSpec, error) {
	a := &ArgSpec{Name: f.Name, Field: f.Name, Type: f.Type, index: f.Index[0], offset: f.Offset}
	omitempty := false
	if j, ok := f.Tag.Lookup("json"); ok {
		name, opts, _ := strings.Cut(j, ",")
		if name == "-" {
			return nil, fmt.Errorf("json:\"-\" hides the argument; unexport the field instead")
		}
		if name != "" {
			a.Name = name
		}
		omitempty = strings.Contains(","+opts+",", ",omitempty,")
	}
	if h, ok := f.Tag.Lookup("header"); ok {
		if h == "" {
			return nil, fmt.Errorf("tag header is empty")
		}
		a.In = InHeader
		a.Header = http.CanonicalHeaderKey(h)
	}
	if rh, ok := f.Tag.Lookup("reply_header"); ok {
		b, err := parseBool("reply_header", rh)
		if err != nil {
			return nil, err
		}
		if b && a.In != InHeader {
			return nil, fmt.Errorf("tag reply_header without a header tag")
		}
		a.ReplyHeader = b
	}
	if kw, ok := f.Tag.Lookup("kwargs"); ok {
		if kw != "path" && kw != "body" {
			return nil, fmt.Errorf(`tag kwargs:%q says which wins when the body repeats a path argument: "path" or "body"`, kw)
		}
		if f.Type != reflect.TypeFor[map[string]any]() {
			return nil, fmt.Errorf("a kwargs argument is a map[string]any, not %s", f.Type)
		}
		if a.In == InHeader {
			return nil, fmt.Errorf("a kwargs argument cannot be a header")
		}
		a.Kwargs = kw
		a.In = InBody
	}
	a.Default, a.hasDefault = f.Tag.Lookup("default")
	a.Validate = f.Tag.Get("validate")
	a.Doc = f.Tag.Get("doc")
	k := f.Type.Kind()
	optional := k == reflect.Pointer || k == reflect.Slice || k == reflect.Map || k == reflect.Interface
	a.Required = !optional && !a.hasDefault && !omitempty
	return a, nil
}

// prepare builds what decoding the argument needs, so requests only run it.
func (a *ArgSpec) prepare() error {
	if a.In == InBody {
		if base := derefType(a.Type); base == timeType || reflect.PointerTo(base).Implements(textUnmarshalerType) {
			// Read from a JSON string with the same decoder as a query value.
			a.text, _ = textDecoderFor(a.Type, InHeader)
		}
		if a.hasDefault {
			v := reflect.New(a.Type)
			if err := decodeDefault(a.Type, v.UnsafePointer(), a.Default); err != nil {
				return fmt.Errorf("default %q is not a valid %s: %w", a.Default, a.Type, err)
			}
			a.defaultVal = v.Elem()
		}
		return nil
	}
	dec, err := textDecoderFor(a.Type, a.In)
	if err != nil {
		return fmt.Errorf("argument %q in the %s: %w", a.Name, a.In, err)
	}
	a.text = dec
	if a.hasDefault {
		v := reflect.New(a.Type)
		if err := dec.decode(v.UnsafePointer(), []string{a.Default}, a.Default); err != nil {
			return fmt.Errorf("default %q: %w", a.Default, err)
		}
		a.defaultVal = v.Elem()
	}
	return nil
}

func derefType(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// pathParams returns the <name> parameters of a declared path, in order.
func pathParams(path string) ([]string, error) {
	var names []string
	for _, seg := range strings.Split(path, "/") {
		open := strings.IndexByte(seg, '<')
		if open < 0 {
			if strings.ContainsAny(seg, ">:*") {
				return nil, fmt.Errorf("path %q: segment %q has a stray '>', ':' or '*'", path, seg)
			}
			continue
		}
		if open != 0 || !strings.HasSuffix(seg, ">") || len(seg) < 3 {
			return nil, fmt.Errorf("path %q: a parameter must be a whole segment, like /<id>, not %q", path, seg)
		}
		name := seg[1 : len(seg)-1]
		if strings.ContainsAny(name, "<>:*") {
			return nil, fmt.Errorf("path %q: malformed parameter %q", path, seg)
		}
		for _, n := range names {
			if n == name {
				return nil, fmt.Errorf("path %q names <%s> twice", path, name)
			}
		}
		names = append(names, name)
	}
	return names, nil
}

// RouterPath is the URL in httprouter's syntax: <id> becomes :id.
func (s *MethodSpec) RouterPath() string {
	var b strings.Builder
	for i, seg := range strings.Split(s.URL, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		if strings.HasPrefix(seg, "<") && strings.HasSuffix(seg, ">") {
			b.WriteByte(':')
			seg = seg[1 : len(seg)-1]
		}
		b.WriteString(seg)
	}
	return b.String()
}

// Arg returns the argument with the given wire name, or nil.
func (s *MethodSpec) Arg(name string) *ArgSpec {
	for _, a := range s.Args {
		if a.Name == name {
			return a
		}
	}
	return nil
}

func parseTimeout(v string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("tag timeout:%q is neither seconds nor a positive duration", v)
	}
	return d, nil
}

func parseSize(v string) (int64, error) {
	mult := int64(1)
	num := v
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(v, suffix) {
			num, mult = strings.TrimSuffix(v, suffix), m
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("tag max_body:%q is not a positive size like 1048576 or 64KiB", v)
	}
	return n * mult, nil
}

// FieldIndex is the index of the argument's field in the declaration
// struct, for code that reads or fills declarations (the client).
func (a *ArgSpec) FieldIndex() int { return a.index }

// HasDefault reports whether the argument has a default: tag.
func (a *ArgSpec) HasDefault() bool { return a.hasDefault }

// Doc is the declaration's doc comment, as tagrpc-gen registered it.
func (s *MethodSpec) Doc() string { return docOf(typeKey(s.Type)) }

// ArgDoc is what documents an argument: its doc tag, else the doc comment
// of its field.
func (s *MethodSpec) ArgDoc(a *ArgSpec) string {
	if a.Doc != "" {
		return a.Doc
	}
	return docOf(typeKey(s.Type) + "." + a.Field)
}

// SetPaging sets the Paging field of the method struct m (a pointer to one).
func (s *MethodSpec) SetPaging(m reflect.Value, p Paging) {
	m.Elem().Field(s.Paging.field).Set(reflect.ValueOf(p))
}
