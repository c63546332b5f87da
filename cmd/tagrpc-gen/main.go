// Command tagrpc-gen writes what the reference server's declarations imply
// but reflection cannot produce at run time: go generate ./... runs it.
//
//   - docs/zz_docs.go: the Go doc comments of the declarations and their
//     fields, registered with protocol for the OpenAPI document;
//   - docs/openapi.json: the OpenAPI 3.1 document, a snapshot;
//   - client/zz_generated.go: one typed Client method per declaration;
//   - handlers/zz_handles.go: an Invokers method per handler type, listing
//     a handle for every method of the groups it serves (a missing one
//     fails to compile) so that the server calls them without reflect.Call.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/doc"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"text/template"

	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
)

const methodsImport = "github.com/tagrpc/tagrpc/methods"

func main() {
	root := flag.String("root", ".", "repository root")
	serves := flag.String("handlers", "Inmanta=InmantaV1,InmantaV2;Collections=Collections,CollectionsAdmin;Binder=Binder;Integrations=Integrations;Mobyle=Mobyle,MobyleAdmin", "which handler type in package handlers serves which groups: Type=Group,Group;Type=…")
	flag.Parse()
	if err := run(*root, *serves); err != nil {
		fmt.Fprintln(os.Stderr, "tagrpc-gen:", err)
		os.Exit(1)
	}
}

func run(root, serves string) error {
	docs, err := docComments(filepath.Join(root, "methods"), methodsImport)
	if err != nil {
		return err
	}
	protocol.RegisterDocs(docs)

	if err := write(filepath.Join(root, "docs", "zz_docs.go"), docsFile(docs), true); err != nil {
		return err
	}
	doc, err := protocol.OpenAPI(methods.Info, methods.Groups...)
	if err != nil {
		return err
	}
	b, err := doc.JSON()
	if err != nil {
		return err
	}
	if err := write(filepath.Join(root, "docs", "openapi.json"), b, false); err != nil {
		return err
	}
	client, err := clientFile(docs)
	if err != nil {
		return err
	}
	if err := write(filepath.Join(root, "client", "zz_generated.go"), client, true); err != nil {
		return err
	}
	check, err := handlesFile(root, serves)
	if err != nil {
		return err
	}
	return write(filepath.Join(root, "handlers", "zz_handles.go"), check, true)
}

// handlesFile gives every handler type an Invokers method listing its
// handles as method expressions: a missing handle fails to compile, and
// the server calls each one directly rather than through reflect.Call.
// The shape of each handle (with or without arguments, with or without a
// reply) is read from the handlers' source; a handle of another shape is
// only referenced, and registration reports what is wrong with it.
func handlesFile(root, serves string) ([]byte, error) {
	groups := map[string]*protocol.Group{}
	for i, g := range methods.Groups {
		groups[groupVarName(i)] = g
	}
	shapes, err := handleShapes(filepath.Join(root, "handlers"))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(header + "package handlers\n\nimport \"github.com/tagrpc/tagrpc/protocol\"\n\n")
	for _, entry := range strings.Split(serves, ";") {
		typ, list, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("-handlers entry %q is not Type=Group,Group", entry)
		}
		var unshaped []string
		fmt.Fprintf(&b, "// Invokers lets the server call every handle of %s directly.\n", typ)
		fmt.Fprintf(&b, "func (*%s) Invokers() protocol.Invokers {\n\treturn protocol.Invokers{\n", typ)
		for _, name := range strings.Split(list, ",") {
			g, ok := groups[name]
			if !ok {
				return nil, fmt.Errorf("-handlers names group %s, which methods.Groups does not hold", name)
			}
			specs, err := g.Specs()
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "\t\t// methods.%s\n", name)
			for _, s := range specs {
				expr := fmt.Sprintf("(*%s).%s", typ, s.Name)
				fn := map[shape]string{{2, 2}: "Invoke", {1, 2}: "InvokeNoArgs", {2, 1}: "InvokeNoReply"}[shapes[typ+"."+s.Name]]
				if fn == "" {
					unshaped = append(unshaped, expr)
					continue
				}
				fmt.Fprintf(&b, "\t\t%q: protocol.%s(%s),\n", s.Name, fn, expr)
			}
		}
		b.WriteString("\t}\n}\n")
		if len(unshaped) > 0 {
			b.WriteString("\n// Handles of no shape an Invoker takes: registration says why.\nvar (\n")
			for _, expr := range unshaped {
				fmt.Fprintf(&b, "\t_ = %s\n", expr)
			}
			b.WriteString(")\n")
		}
	}
	return b.Bytes(), nil
}

// shape counts a handle's parameters and results, the receiver left out.
type shape struct{ params, results int }

// handleShapes reads the methods declared in a package's source, keyed
// "Type.Method", skipping generated files.
func handleShapes(dir string) (map[string]shape, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	out := map[string]shape{}
	count := func(fl *ast.FieldList) int {
		if fl == nil {
			return 0
		}
		n := 0
		for _, f := range fl.List {
			n += max(len(f.Names), 1)
		}
		return n
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, "zz_") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
				continue
			}
			recv := fd.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); ok {
				out[id.Name+"."+fd.Name.Name] = shape{count(fd.Type.Params), count(fd.Type.Results)}
			}
		}
	}
	return out, nil
}

func write(path string, b []byte, gofmt bool) error {
	if gofmt {
		formatted, err := format.Source(b)
		if err != nil {
			return fmt.Errorf("format %s: %w\n%s", path, err, b)
		}
		b = formatted
	}
	return os.WriteFile(path, b, 0o644)
}

// docComments reads the doc comments of a package's types and of their
// struct fields, keyed "<import>.<Type>" and "<import>.<Type>.<Field>".
func docComments(dir, importPath string) (map[string]string, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, "zz_") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	pkg, err := doc.NewFromFiles(fset, files, importPath)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, t := range pkg.Types {
		key := importPath + "." + t.Name
		if text := strings.TrimSpace(t.Doc); text != "" {
			out[key] = text
		}
		for _, spec := range t.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok || ts.Name.Name != t.Name {
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, f := range st.Fields.List {
				text := strings.TrimSpace(f.Doc.Text())
				if text == "" {
					text = strings.TrimSpace(f.Comment.Text())
				}
				for _, n := range f.Names {
					if text != "" {
						out[key+"."+n.Name] = text
					}
				}
			}
		}
	}
	return out, nil
}

const header = "// Code generated by tagrpc-gen from the declarations in package methods; DO NOT EDIT.\n\n"

func docsFile(docs map[string]string) []byte {
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString(header + "package docs\n\nimport \"github.com/tagrpc/tagrpc/protocol\"\n\n")
	b.WriteString("func init() {\n\tprotocol.RegisterDocs(map[string]string{\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "\t\t%q: %q,\n", k, docs[k])
	}
	b.WriteString("\t})\n}\n")
	return b.Bytes()
}

type clientMethod struct {
	Name, Var, Doc, In, Reply, Group string
	Item, Trailer                    string // of a stream
	PageItem                         string // of a paged list
}

var clientTemplate = template.Must(template.New("client").Parse(header + `package client

import (
	"context"
{{- range .Std}}
	{{printf "%q" .}}{{end}}
{{range .Imports}}
	{{printf "%q" .}}{{end}}
)

// The declarations, read once.
var (
{{- range .Methods}}
	{{.Var}} = newMethod({{.In}}{}, methods.{{.Group}}){{end}}
)
{{range .Methods}}
{{.Doc}}
{{- if .Item}}
func (c *Client) {{.Name}}(ctx context.Context, in {{.In}}) (*Stream[{{.Item}}, {{.Trailer}}], error) {
	return openStream[{{.Item}}, {{.Trailer}}](ctx, c, {{.Var}}, &in)
}
{{else if .Reply}}
func (c *Client) {{.Name}}(ctx context.Context, in {{.In}}) ({{.Reply}}, error) {
	var out {{.Reply}}
	err := c.call(ctx, {{.Var}}, &in, &out)
	return out, err
}
{{- if .PageItem}}

// {{.Name}}All yields every item of every page of {{.Name}},
// from the page in asks for on, following each page's next link.
func (c *Client) {{.Name}}All(ctx context.Context, in {{.In}}) iter.Seq2[{{.PageItem}}, error] {
	return pages[{{.PageItem}}](ctx, c, {{.Var}}, &in)
}
{{- end}}
{{else}}
func (c *Client) {{.Name}}(ctx context.Context, in {{.In}}) error {
	return c.call(ctx, {{.Var}}, &in, nil)
}
{{end}}{{end}}`))

// clientFile writes one Client method per declaration of every group.
func clientFile(docs map[string]string) ([]byte, error) {
	imports := map[string]bool{methodsImport: true}
	std := map[string]bool{}
	var ms []clientMethod
	seen := map[string]string{}
	for i, g := range methods.Groups {
		groupVar := groupVarName(i)
		specs, err := g.Specs()
		if err != nil {
			return nil, err
		}
		for _, s := range specs {
			if other, dup := seen[s.Name]; dup {
				return nil, fmt.Errorf("method %s is declared in groups %s and %s: client methods need distinct names", s.Name, other, g.Name)
			}
			seen[s.Name] = g.Name
			m := clientMethod{
				Name: s.Name, Var: "m" + s.Name, In: s.Type.String(), Group: groupVar,
				Doc: comment(docs[methodsImport+"."+s.Name], s),
			}
			if st := s.Stream; st != nil {
				m.Item, m.Trailer = st.Item.String(), st.Trailer.String()
				collectImports(st.Item, imports)
				collectImports(st.Trailer, imports)
			} else if s.Reply {
				m.Reply = s.ReplyType.String()
				if s.Paging != nil {
					// reflect spells a generic type's arguments with their
					// import paths; the Go expression is written here.
					item := s.ReplyType.Field(0).Type.Elem() // Page[T].Data is a []T
					m.PageItem = item.String()
					m.Reply = "protocol.Page[" + m.PageItem + "]"
					collectImports(item, imports)
					std["iter"] = true
				}
				collectImports(s.ReplyType, imports)
			}
			ms = append(ms, m)
		}
	}
	sorted := func(set map[string]bool) []string {
		var out []string
		for p := range set {
			out = append(out, p)
		}
		sort.Strings(out)
		return out
	}
	var b bytes.Buffer
	err := clientTemplate.Execute(&b, struct {
		Std, Imports []string
		Methods      []clientMethod
	}{sorted(std), sorted(imports), ms})
	return b.Bytes(), err
}

// groupVarName finds the exported variable of methods holding the i-th
// group, so generated code refers to its codec.
func groupVarName(i int) string {
	switch methods.Groups[i] {
	case methods.InmantaV1:
		return "InmantaV1"
	case methods.InmantaV2:
		return "InmantaV2"
	case methods.Collections:
		return "Collections"
	case methods.CollectionsAdmin:
		return "CollectionsAdmin"
	case methods.Binder:
		return "Binder"
	case methods.Integrations:
		return "Integrations"
	case methods.Mobyle:
		return "Mobyle"
	case methods.MobyleAdmin:
		return "MobyleAdmin"
	}
	panic(fmt.Sprintf("tagrpc-gen: group %s has no known variable; add it to groupVarName", methods.Groups[i].Name))
}

// comment turns a declaration's doc into the client method's, naming the
// route it calls.
func comment(text string, s *protocol.MethodSpec) string {
	if text == "" {
		text = s.Name + " calls " + s.Operation + " " + s.URL + "."
	}
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		b.WriteString(strings.TrimRight("// "+line, " ") + "\n")
	}
	fmt.Fprintf(&b, "//\n// It calls %s %s.", s.Operation, s.URL)
	return b.String()
}

func collectImports(t reflect.Type, imports map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		if t.Kind() == reflect.Map {
			collectImports(t.Key(), imports)
		}
		t = t.Elem()
	}
	if t.PkgPath() != "" {
		imports[t.PkgPath()] = true
	}
}
