package protocol

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Info describes an API in its OpenAPI document.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// Document is an OpenAPI document. OpenAPI returns it in version 3.1;
// Downgrade renders the same document as 3.0.3 for tools that read no
// newer.
type Document struct {
	OpenAPI    string               `json:"openapi"`
	Info       Info                 `json:"info"`
	Tags       []Tag                `json:"tags,omitempty"`
	Paths      map[string]*PathItem `json:"paths"`
	Components Components           `json:"components"`
}

// Tag is an API group in the document.
type Tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// PathItem holds the operations of one path, by lower-case verb.
type PathItem map[string]*Operation

// Operation is one method.
type Operation struct {
	OperationID string                `json:"operationId"`
	Tags        []string              `json:"tags,omitempty"`
	Summary     string                `json:"summary,omitempty"`
	Description string                `json:"description,omitempty"`
	Parameters  []*Parameter          `json:"parameters,omitempty"`
	RequestBody *RequestBody          `json:"requestBody,omitempty"`
	Responses   map[string]*Response  `json:"responses"`
	Security    []map[string][]string `json:"security,omitempty"`
	ClientTypes []string              `json:"x-client-types,omitempty"`
}

// Parameter is an argument read from the path, query or headers.
type Parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Style       string  `json:"style,omitempty"`
	Explode     *bool   `json:"explode,omitempty"`
	Schema      *Schema `json:"schema"`
}

// RequestBody holds the body arguments.
type RequestBody struct {
	Required bool                 `json:"required,omitempty"`
	Content  map[string]MediaType `json:"content"`
}

// MediaType is the schema of one content type.
type MediaType struct {
	Schema *Schema `json:"schema"`
}

// Response is one possible answer.
type Response struct {
	Description string                 `json:"description"`
	Headers     map[string]*HeaderSpec `json:"headers,omitempty"`
	Content     map[string]MediaType   `json:"content,omitempty"`
	NamedErrors []NamedErrorDoc        `json:"x-named-errors,omitempty"`
}

// NamedErrorDoc is a named error as the document lists it under its
// status; {argument}s in its texts are filled from the request.
type NamedErrorDoc struct {
	Name        string   `json:"name"`
	Message     string   `json:"message"`
	Suggestions []string `json:"suggestions,omitempty"`
}

// HeaderSpec is a reply header.
type HeaderSpec struct {
	Description string  `json:"description,omitempty"`
	Schema      *Schema `json:"schema"`
}

// Components holds the shared schemas and security schemes.
type Components struct {
	Schemas         map[string]*Schema         `json:"schemas,omitempty"`
	SecuritySchemes map[string]*SecurityScheme `json:"securitySchemes,omitempty"`
}

// SecurityScheme is a way to authenticate.
type SecurityScheme struct {
	Name         string `json:"-"` // the scheme's key in the document
	Type         string `json:"type"`
	In           string `json:"in,omitempty"`   // apiKey: header, query or cookie
	Field        string `json:"name,omitempty"` // apiKey: the header's name
	Scheme       string `json:"scheme,omitempty"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	Description  string `json:"description,omitempty"`
}

// bearerScheme is the scheme of methods that enforce authentication when
// their group declares none: a bearer token, checked when the server runs
// with authentication on.
var bearerScheme = &SecurityScheme{
	Name: "bearer", Type: "http", Scheme: "bearer", BearerFormat: "JWT",
	Description: "A token whose client types include one of the operation's x-client-types; checked when the server runs with authentication on.",
}

// Schema is a JSON Schema, in the subset OpenAPI 3.0 and 3.1 share; the
// few places they differ (nullability, exclusive bounds) are converted by
// Downgrade.
type Schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 any                `json:"type,omitempty"` // a name, or in 3.1 [name, "null"]
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	AdditionalProperties *Schema            `json:"additionalProperties,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Default              any                `json:"default,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`
	ExclusiveMinimum     any                `json:"exclusiveMinimum,omitempty"` // 3.1: the bound; 3.0: true
	ExclusiveMaximum     any                `json:"exclusiveMaximum,omitempty"`
	MinLength            *int               `json:"minLength,omitempty"`
	MaxLength            *int               `json:"maxLength,omitempty"`
	MinItems             *int               `json:"minItems,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
	Nullable             bool               `json:"nullable,omitempty"` // 3.0 only
	AllOf                []*Schema          `json:"allOf,omitempty"`
}

// BodyTyper is implemented by an ErrorCodec that can describe its wire form
// as a Go type, for the document's error responses.
type BodyTyper interface {
	BodyType() reflect.Type
}

// BodyType implements BodyTyper.
func (Problem) BodyType() reflect.Type { return reflect.TypeFor[ProblemDetails]() }

// docTexts are the Go doc comments of declarations and their fields, keyed
// "<import path>.<Type>" and "<import path>.<Type>.<Field>". Reflection
// cannot see comments: go generate extracts them into a package that
// registers them here.
var (
	docMu    sync.RWMutex
	docTexts = map[string]string{}
)

// RegisterDocs records doc comments for the OpenAPI document; see the
// generator in cmd/tagrpc-gen.
func RegisterDocs(docs map[string]string) {
	docMu.Lock()
	defer docMu.Unlock()
	for k, v := range docs {
		docTexts[k] = v
	}
}

func docOf(key string) string {
	docMu.RLock()
	defer docMu.RUnlock()
	return docTexts[key]
}

func typeKey(t reflect.Type) string { return t.PkgPath() + "." + t.Name() }

// OpenAPI builds the OpenAPI 3.1 document of the groups' methods: the same
// specs the router serves, so the two cannot disagree.
func OpenAPI(info Info, groups ...*Group) (*Document, error) {
	doc := &Document{OpenAPI: "3.1.0", Info: info, Paths: map[string]*PathItem{}}
	g := &schemaGen{names: map[reflect.Type]string{}, schemas: map[string]*Schema{}}
	for _, grp := range groups {
		specs, err := grp.Specs()
		if err != nil {
			return nil, err
		}
		doc.Tags = append(doc.Tags, Tag{Name: grp.Name, Description: grp.Doc})
		codec := grp.Codec
		if codec == nil {
			codec = Problem{}
		}
		scheme := grp.Security
		if scheme == nil {
			scheme = bearerScheme
		}
		for _, s := range specs {
			path := openAPIPath(s.URL)
			item := doc.Paths[path]
			if item == nil {
				item = &PathItem{}
				doc.Paths[path] = item
			}
			op := g.operation(s, grp.Name, codec)
			if s.EnforceAuth {
				op.Security = []map[string][]string{{scheme.Name: {}}}
				if doc.Components.SecuritySchemes == nil {
					doc.Components.SecuritySchemes = map[string]*SecurityScheme{}
				}
				doc.Components.SecuritySchemes[scheme.Name] = scheme
			}
			(*item)[strings.ToLower(s.Operation)] = op
		}
	}
	doc.Components.Schemas = g.schemas
	doc.finish31()
	return doc, nil
}

// openAPIPath writes <name> parameters as {name}.
func openAPIPath(url string) string {
	return strings.NewReplacer("<", "{", ">", "}").Replace(url)
}

func (g *schemaGen) operation(s *MethodSpec, group string, codec ErrorCodec) *Operation {
	doc := docOf(typeKey(s.Type))
	op := &Operation{
		OperationID: s.Name, Tags: []string{group}, Summary: summary(doc), Description: doc,
		Responses: map[string]*Response{}, ClientTypes: s.ClientTypes,
	}
	var body *Schema
	for _, a := range s.Args {
		desc := a.Doc
		if desc == "" {
			desc = docOf(typeKey(s.Type) + "." + a.Field)
		}
		sch := g.argSchema(a, desc)
		switch a.In {
		case InPath, InQuery, InHeader:
			p := &Parameter{Name: a.Name, In: string(a.In), Description: desc, Required: a.Required || a.In == InPath, Schema: sch}
			if a.In == InHeader {
				p.Name = a.Header
			}
			if a.In == InQuery && a.text.mapKind != notMap {
				// Inmanta's name.key=value: one parameter per key, spelled with the
				// deepObject-like dot style no OpenAPI style names; documented here.
				p.Description = strings.TrimSpace(desc + " Sent as " + a.Name + ".<key>=<value>.")
				p.Style, p.Explode = "form", ptr(true)
			}
			op.Parameters = append(op.Parameters, p)
		case InBody:
			if body == nil {
				body = &Schema{Type: "object", Properties: map[string]*Schema{}}
			}
			if a.Kwargs != "" {
				// The other keys of the body, whatever they are, go to this argument.
				body.AdditionalProperties = &Schema{}
				body.Description = strings.TrimSpace(body.Description + " Keys besides these are passed on as they are (" + a.Name + ").")
				continue
			}
			body.Properties[a.Name] = sch
			if a.Required {
				body.Required = append(body.Required, a.Name)
			}
		}
	}
	if ps := s.Paging; ps != nil {
		op.Parameters = append(op.Parameters, pagingParameters(ps)...)
	}
	if body != nil {
		op.RequestBody = &RequestBody{Required: len(body.Required) > 0, Content: map[string]MediaType{"application/json": {Schema: body}}}
	}
	ok := &Response{Description: http.StatusText(s.Status)}
	if st := s.Stream; st != nil {
		ok.Content = g.streamContent(st)
	} else if s.Reply {
		reply := g.schema(s.ReplyType)
		if s.Envelope {
			reply = &Schema{Type: "object", Properties: map[string]*Schema{s.EnvelopeKey: reply}, Required: []string{s.EnvelopeKey}}
		}
		ok.Content = map[string]MediaType{"application/json": {Schema: reply}}
	}
	for _, a := range s.Args {
		if a.ReplyHeader {
			if ok.Headers == nil {
				ok.Headers = map[string]*HeaderSpec{}
			}
			ok.Headers[a.Header] = &HeaderSpec{Description: "The " + a.Name + " argument, echoed.", Schema: g.schema(a.Type)}
		}
	}
	op.Responses[strconv.Itoa(s.Status)] = ok
	if s.EmptyStatus != 0 && s.EmptyStatus != s.Status {
		op.Responses[strconv.Itoa(s.EmptyStatus)] = &Response{Description: http.StatusText(s.EmptyStatus) + ": there is nothing to return."}
	}
	errResp := &Response{Description: "An error: the status says which."}
	if bt, isTyped := codec.(BodyTyper); isTyped {
		errResp.Content = map[string]MediaType{codec.ContentType(): {Schema: g.schema(bt.BodyType())}}
	}
	op.Responses["default"] = errResp
	for _, ne := range s.Errors {
		code := strconv.Itoa(ne.Status)
		resp := op.Responses[code]
		if resp == nil {
			resp = &Response{Description: http.StatusText(ne.Status) + ", as one of these named errors:", Content: errResp.Content}
			op.Responses[code] = resp
		}
		resp.Description += "\n- " + ne.Name + ": " + ne.Message
		resp.NamedErrors = append(resp.NamedErrors, NamedErrorDoc{Name: ne.Name, Message: ne.Message, Suggestions: ne.Suggestions})
	}
	return op
}

// pagingParameters document the query arguments a Paging field stands for.
func pagingParameters(ps *PagingSpec) []*Parameter {
	var sorts []any
	for _, c := range ps.Sortable {
		sorts = append(sorts, c+".asc", c+".desc")
	}
	limit := &Schema{Type: "integer", Minimum: ptr(1.0), Maximum: ptr(float64(MaxPageSize)), Default: MaxPageSize}
	limitDoc := "The most items in a page."
	if ps.Unlimited {
		limit.Default = nil
		limitDoc = "The most items in a page; without it, every item in one page."
	}
	text := func(name, desc string) *Parameter {
		return &Parameter{Name: name, In: "query", Description: desc, Schema: &Schema{Type: "string"}}
	}
	out := []*Parameter{
		{Name: "limit", In: "query", Description: limitDoc, Schema: limit},
		{Name: "sort", In: "query", Description: "The order: <column>.asc or <column>.desc.", Schema: &Schema{Type: "string", Enum: sorts, Default: ps.DefaultSort}},
		text("start", "Only items whose sort value is greater than this (from a next or prev link)."),
		text("end", "Only items whose sort value is less than this (from a next or prev link)."),
		text("first_id", "With start: among items whose sort value equals start, those whose id is greater."),
		text("last_id", "With end: among items whose sort value equals end, those whose id is less."),
	}
	for _, f := range ps.Filterable {
		out = append(out, &Parameter{Name: "filter." + f, In: "query", Description: "Only items whose " + f + " is one of these.",
			Style: "form", Explode: ptr(true), Schema: &Schema{Type: "array", Items: &Schema{Type: "string"}}})
	}
	return out
}

// streamContent describes a streamed reply as the whole document it adds
// up to: the items array beside the trailer's fields, or for NDJSON the
// schema of one line.
func (g *schemaGen) streamContent(st *StreamSpec) map[string]MediaType {
	item := g.schema(st.Item)
	if st.Format == StreamNDJSON {
		return map[string]MediaType{"application/x-ndjson": {Schema: &Schema{
			AllOf: []*Schema{item}, Description: "Each line is one item, sent as it is produced.",
		}}}
	}
	doc := &Schema{Type: "object", Properties: map[string]*Schema{}}
	if st.Trailer != noTrailerType {
		doc = g.structSchema(st.Trailer)
	}
	doc.Properties[st.ItemsKey] = &Schema{Type: "array", Items: item,
		Description: "Sent as they are produced; the other fields follow the last item."}
	doc.Required = append(doc.Required, st.ItemsKey)
	sort.Strings(doc.Required)
	return map[string]MediaType{"application/json": {Schema: doc}}
}

// summary is the first sentence of a doc comment.
func summary(doc string) string {
	doc = strings.TrimSpace(doc)
	if i := strings.Index(doc, "\n\n"); i >= 0 {
		doc = doc[:i]
	}
	if i := strings.Index(doc, ". "); i >= 0 {
		doc = doc[:i+1]
	}
	return strings.Join(strings.Fields(doc), " ")
}

func ptr[T any](v T) *T { return &v }

// schemaGen turns Go types into schemas, sharing named structs as
// components.
type schemaGen struct {
	names   map[reflect.Type]string
	schemas map[string]*Schema
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

func (g *schemaGen) argSchema(a *ArgSpec, desc string) *Schema {
	s := g.schema(a.Type)
	if s.Ref != "" && (desc != "" || a.Validate != "" || a.hasDefault) {
		s = &Schema{AllOf: []*Schema{s}}
	}
	s.Description = desc
	applyRules(s, a.Type, a.Validate)
	if a.hasDefault && a.defaultVal.IsValid() {
		s.Default = a.defaultVal.Interface()
	}
	return s
}

func (g *schemaGen) schema(t reflect.Type) *Schema {
	switch {
	case t == timeType:
		return &Schema{Type: "string", Format: "date-time"}
	case t == rawMessageType:
		return &Schema{}
	case t.Kind() == reflect.Array && t.Elem().Kind() == reflect.Uint8 && t.Name() == "UUID":
		return &Schema{Type: "string", Format: "uuid"}
	case reflect.PointerTo(t).Implements(textUnmarshalerType) && t.Kind() != reflect.String:
		return &Schema{Type: "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if s.Ref != "" {
			return s
		}
		c := *s
		c.Nullable = true
		return &c
	case reflect.String:
		return &Schema{Type: "string"}
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return &Schema{Type: "integer", Format: "int32"}
	case reflect.Int, reflect.Int64:
		return &Schema{Type: "integer", Format: "int64"}
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint, reflect.Uint64:
		return &Schema{Type: "integer", Minimum: ptr(0.0)}
	case reflect.Float32:
		return &Schema{Type: "number", Format: "float"}
	case reflect.Float64:
		return &Schema{Type: "number", Format: "double"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &Schema{Type: "string", Format: "byte"}
		}
		// A nil slice is encoded as null.
		return &Schema{Type: "array", Items: g.schema(t.Elem()), Nullable: t.Kind() == reflect.Slice}
	case reflect.Map:
		return &Schema{Type: "object", AdditionalProperties: g.schema(t.Elem()), Nullable: true}
	case reflect.Struct:
		if t.Name() == "" {
			return g.structSchema(t)
		}
		return g.ref(t)
	}
	return &Schema{} // interfaces: any value
}

// ref returns a reference to the component of a named struct, making it
// on first use.
func (g *schemaGen) ref(t reflect.Type) *Schema {
	name, ok := g.names[t]
	if !ok {
		name = componentName(t)
		for n := 2; g.taken(name); n++ {
			name = componentName(t) + strconv.Itoa(n)
		}
		g.names[t] = name
		g.schemas[name] = &Schema{} // placeholder for recursive types
		s := g.structSchema(t)
		if d := docOf(typeKey(t)); d != "" && s.Description == "" {
			s.Description = d
		}
		g.schemas[name] = s
	}
	return &Schema{Ref: "#/components/schemas/" + name}
}

func (g *schemaGen) taken(name string) bool {
	_, ok := g.schemas[name]
	return ok
}

// componentName is a struct's name, with a generic's type arguments
// spelled in: Page[Project] becomes Page_Project.
func componentName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		args := name[i+1 : len(name)-1]
		var parts []string
		for _, a := range strings.Split(args, ",") {
			a = a[strings.LastIndexAny(a, "./")+1:]
			parts = append(parts, strings.Trim(a, "*[]"))
		}
		name = name[:i] + "_" + strings.Join(parts, "_")
	}
	return name
}

func (g *schemaGen) structSchema(t reflect.Type) *Schema {
	s := &Schema{Type: "object", Properties: map[string]*Schema{}}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					if _, isMarker := reflect.Zero(ft).Interface().(marker); !isMarker {
						walk(ft)
					}
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			fs := g.schema(f.Type)
			desc := f.Tag.Get("doc")
			if desc == "" && t.Name() != "" {
				desc = docOf(typeKey(t) + "." + f.Name)
			}
			validate := f.Tag.Get("validate")
			if fs.Ref != "" && (desc != "" || validate != "") {
				fs = &Schema{AllOf: []*Schema{fs}}
			}
			fs.Description = desc
			applyRules(fs, f.Type, validate)
			s.Properties[name] = fs
			omit := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
			if (f.Type.Kind() != reflect.Pointer && !omit) || hasRule(validate, "required") {
				s.Required = append(s.Required, name)
			}
		}
	}
	walk(t)
	sort.Strings(s.Required)
	return s
}

func hasRule(validate, rule string) bool {
	for _, r := range strings.Split(validate, ",") {
		if r == "dive" {
			return false
		}
		if r == rule {
			return true
		}
	}
	return false
}

// applyRules turns validate rules into schema constraints. Rules after
// dive apply to elements and are left to the validator.
func applyRules(s *Schema, t reflect.Type, validate string) {
	if validate == "" {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	kind := t.Kind()
	for _, rule := range strings.Split(validate, ",") {
		name, param, _ := strings.Cut(rule, "=")
		if name == "dive" {
			return
		}
		num, numErr := strconv.ParseFloat(param, 64)
		n := int(num)
		switch name {
		case "min", "max", "len":
			if numErr != nil {
				continue
			}
			switch kind {
			case reflect.String:
				if name != "max" {
					s.MinLength = &n
				}
				if name != "min" {
					s.MaxLength = &n
				}
			case reflect.Slice, reflect.Array, reflect.Map:
				if name != "max" {
					s.MinItems = &n
				}
				if name != "min" {
					s.MaxItems = &n
				}
			default:
				if name != "max" {
					s.Minimum = &num
				}
				if name != "min" {
					s.Maximum = &num
				}
			}
		case "gte":
			if numErr == nil {
				s.Minimum = &num
			}
		case "lte":
			if numErr == nil {
				s.Maximum = &num
			}
		case "gt":
			if numErr == nil {
				s.ExclusiveMinimum = num
			}
		case "lt":
			if numErr == nil {
				s.ExclusiveMaximum = num
			}
		case "oneof":
			for _, v := range strings.Fields(param) {
				s.Enum = append(s.Enum, enumValue(kind, v))
			}
		case "email":
			s.Format = "email"
		case "url", "http_url":
			s.Format = "uri"
		case "uuid", "uuid4":
			s.Format = "uuid"
		}
	}
}

func enumValue(kind reflect.Kind, v string) any {
	switch kind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return v
}

// finish31 puts the 3.1 forms in place: nullable as a type list.
func (d *Document) finish31() {
	d.walkSchemas(func(s *Schema) {
		if s.Nullable {
			if name, ok := s.Type.(string); ok {
				s.Type = []string{name, "null"}
			}
			s.Nullable = false
		}
	})
}

// Downgrade returns the document as OpenAPI 3.0.3: nullable as a flag,
// exclusive bounds as flags beside minimum and maximum.
func (d *Document) Downgrade() (*Document, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var c Document
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	c.OpenAPI = "3.0.3"
	c.walkSchemas(func(s *Schema) {
		if types, ok := s.Type.([]any); ok && len(types) == 2 {
			s.Type, s.Nullable = types[0], true
		}
		if v, ok := s.ExclusiveMinimum.(float64); ok {
			s.Minimum, s.ExclusiveMinimum = &v, true
		}
		if v, ok := s.ExclusiveMaximum.(float64); ok {
			s.Maximum, s.ExclusiveMaximum = &v, true
		}
	})
	return &c, nil
}

// JSON renders the document, indented, with stable ordering.
func (d *Document) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (d *Document) walkSchemas(fn func(*Schema)) {
	var walk func(s *Schema)
	walk = func(s *Schema) {
		if s == nil {
			return
		}
		fn(s)
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.AdditionalProperties)
		for _, a := range s.AllOf {
			walk(a)
		}
	}
	for _, s := range d.Components.Schemas {
		walk(s)
	}
	for _, item := range d.Paths {
		for _, op := range *item {
			for _, p := range op.Parameters {
				walk(p.Schema)
			}
			if op.RequestBody != nil {
				for _, m := range op.RequestBody.Content {
					walk(m.Schema)
				}
			}
			for _, r := range op.Responses {
				for _, m := range r.Content {
					walk(m.Schema)
				}
				for _, h := range r.Headers {
					walk(h.Schema)
				}
			}
		}
	}
}
