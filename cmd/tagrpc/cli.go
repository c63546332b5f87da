package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tagrpc/tagrpc/client"
	"github.com/tagrpc/tagrpc/protocol"
)

// The command line calls every method of every group: tagrpc <group>
// <method> [path arguments] [--argument value …], built at run time from
// the same MethodSpecs the server routes, so it cannot disagree with it.

// Exit statuses, so scripts can tell failures apart.
const (
	exitUsage       = 2 // the command line is wrong
	exitClientError = 3 // the server answered 4xx
	exitServerError = 4 // the server answered 5xx
	exitConnection  = 5 // the server could not be reached
)

// exitError carries the status a failure exits with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// callFlags are the global flags of calls.
type callFlags struct {
	url, token, output string
}

func addCallFlags(root *cobra.Command) *callFlags {
	f := &callFlags{}
	root.PersistentFlags().StringVar(&f.url, "url", envOr("TAGRPC_URL", "http://127.0.0.1:8080"), "the server to call (TAGRPC_URL)")
	root.PersistentFlags().StringVar(&f.token, "token", os.Getenv("TAGRPC_TOKEN"), "bearer token sent with calls (TAGRPC_TOKEN)")
	root.PersistentFlags().StringVarP(&f.output, "output", "o", "json", "how to print results: json, yaml or table")
	return f
}

// kebab spells a Go or JSON name the way command lines do.
func kebab(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == '_':
			b.WriteByte('-')
		case r >= 'A' && r <= 'Z':
			if i > 0 && name[i-1] != '_' && name[i-1] != '-' {
				b.WriteByte('-')
			}
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// groupCommand is the command of one API group, with a subcommand per
// method.
func groupCommand(g *protocol.Group, flags *callFlags) (*cobra.Command, error) {
	cmd := &cobra.Command{Use: g.Name, Short: g.Doc, GroupID: "api"}
	specs, err := g.Specs()
	if err != nil {
		return nil, err
	}
	for _, s := range specs {
		cmd.AddCommand(methodCommand(g, s, flags))
	}
	return cmd, nil
}

// argFlag binds one argument to its flag.
type argFlag struct {
	arg  *protocol.ArgSpec
	name string
}

func methodCommand(g *protocol.Group, s *protocol.MethodSpec, flags *callFlags) *cobra.Command {
	use := kebab(s.Name)
	for _, p := range s.PathParams {
		use += " <" + p + ">"
	}
	// Go doc comments start with the type's name; a command's help does not.
	doc := strings.TrimSpace(s.Doc())
	if rest, ok := strings.CutPrefix(doc, s.Name+" "); ok && rest != "" {
		doc = strings.ToUpper(rest[:1]) + rest[1:]
	}
	short, _, _ := strings.Cut(doc, "\n\n")
	cmd := &cobra.Command{
		Use:   use,
		Short: strings.Join(strings.Fields(short), " "),
		Long:  strings.TrimSpace(doc + "\n\nIt calls " + s.Operation + " " + s.URL + "."),
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != len(s.PathParams) {
				return usageErrorf("%s takes %d path argument(s) (%s), got %d", kebab(s.Name), len(s.PathParams), strings.Join(s.PathParams, ", "), len(args))
			}
			return nil
		},
	}
	var bound []argFlag
	fs := cmd.Flags()
	for _, a := range s.Args {
		if a.In == protocol.InPath {
			continue
		}
		name := kebab(a.Name)
		help := s.ArgDoc(a)
		if a.HasDefault() {
			help += " (default " + a.Default + ")"
		}
		base := a.Type
		if base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		switch {
		case !a.TextForm():
			fs.String(name, "", help+" (JSON, or @file.json)")
		case base.Kind() == reflect.Bool:
			fs.Bool(name, false, help)
		case base.Kind() >= reflect.Int && base.Kind() <= reflect.Int64 && base.PkgPath() == "":
			fs.Int64(name, 0, help)
		case base.Kind() >= reflect.Uint && base.Kind() <= reflect.Uint64 && base.PkgPath() == "":
			fs.Uint64(name, 0, help)
		case base.Kind() == reflect.Float32 || base.Kind() == reflect.Float64:
			fs.Float64(name, 0, help)
		case base.Kind() == reflect.Slice:
			fs.StringArray(name, nil, help+" (repeat the flag for several)")
		case base.Kind() == reflect.Map:
			fs.StringArray(name, nil, help+" (key=value; repeat the flag for several)")
		default:
			fs.String(name, "", help)
		}
		if a.Required && !a.HasDefault() {
			_ = cmd.MarkFlagRequired(name)
		}
		bound = append(bound, argFlag{arg: a, name: name})
	}
	if s.Paging != nil {
		fs.Int("limit", 0, "the most items in a page (at most 1000)")
		fs.String("sort", "", "the order: <column>.asc or <column>.desc; columns: "+strings.Join(s.Paging.Sortable, ", "))
		fs.String("start", "", "items after this sort value (from a next link)")
		fs.String("end", "", "items before this sort value (from a prev link)")
		fs.String("first-id", "", "with --start: the id to continue after")
		fs.String("last-id", "", "with --end: the id to continue before")
		fs.StringArray("filter", nil, "field=value; fields: "+strings.Join(s.Paging.Filterable, ", "))
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		in := reflect.New(s.Type)
		for i, p := range s.PathParams {
			if err := s.Arg(p).SetText(in, []string{args[i]}); err != nil {
				return usageErrorf("<%s> %q: %v", p, args[i], err)
			}
		}
		for _, b := range bound {
			f := fs.Lookup(b.name)
			if !f.Changed {
				continue
			}
			vals, err := flagValues(f)
			if err != nil {
				return usageErrorf("--%s: %v", b.name, err)
			}
			if err := b.arg.SetText(in, vals); err != nil {
				return usageErrorf("--%s: %v", b.name, err)
			}
		}
		if s.Paging != nil {
			p, err := pagingFlags(fs)
			if err != nil {
				return err
			}
			s.SetPaging(in, p)
		}
		return call(cmd, g, s, in, flags)
	}
	return cmd
}

// flagValues are a flag's values as text; a JSON flag given as @file is
// the file's content.
func flagValues(f *pflag.Flag) ([]string, error) {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice(), nil
	}
	v := f.Value.String()
	if f.Value.Type() == "string" && strings.HasPrefix(v, "@") && strings.Contains(f.Usage, "@file.json") {
		b, err := os.ReadFile(v[1:])
		if err != nil {
			return nil, err
		}
		v = string(b)
	}
	return []string{v}, nil
}

func pagingFlags(fs *pflag.FlagSet) (protocol.Paging, error) {
	var p protocol.Paging
	p.Limit, _ = fs.GetInt("limit")
	if sort, _ := fs.GetString("sort"); sort != "" {
		col, dir, _ := strings.Cut(sort, ".")
		p.Sort, p.Desc = col, strings.EqualFold(dir, "desc")
	}
	for flag, dst := range map[string]**string{"start": &p.Start, "end": &p.End, "first-id": &p.FirstID, "last-id": &p.LastID} {
		if fs.Changed(flag) {
			v, _ := fs.GetString(flag)
			*dst = &v
		}
	}
	filters, _ := fs.GetStringArray("filter")
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return p, usageErrorf("--filter %q is not field=value", f)
		}
		if p.Filter == nil {
			p.Filter = map[string][]string{}
		}
		p.Filter[k] = append(p.Filter[k], v)
	}
	return p, nil
}

// call makes the request and prints what came back: the method's msg
// first (stderr), then the result (stdout) and its success_msg (stderr).
func call(cmd *cobra.Command, g *protocol.Group, s *protocol.MethodSpec, in reflect.Value, flags *callFlags) error {
	if !slices.Contains([]string{"json", "yaml", "table"}, flags.output) {
		return usageErrorf("--output %q is not json, yaml or table", flags.output)
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if s.Msg != "" {
		fmt.Fprintln(stderr, s.Fill(s.Msg, in))
	}
	var opts []client.Option
	if flags.token != "" {
		opts = append(opts, client.WithBearerToken(flags.token))
	}
	c := client.New(flags.url, opts...)
	var err error
	if s.Stream != nil {
		var trailer json.RawMessage
		trailer, err = c.CallStream(cmd.Context(), g, in.Interface(), func(item json.RawMessage) error {
			if flags.output == "json" {
				_, werr := fmt.Fprintf(stdout, "%s\n", item) // NDJSON: one item a line, as it arrives
				return werr
			}
			return printResult(stdout, item, flags.output)
		})
		if err == nil && len(trailer) > 0 && string(trailer) != "{}" {
			fmt.Fprintf(stderr, "%s\n", trailer)
		}
	} else {
		var reply json.RawMessage
		reply, err = c.Call(cmd.Context(), g, in.Interface())
		if err == nil && reply != nil {
			err = printResult(stdout, reply, flags.output)
		}
	}
	if err != nil {
		return callError(err, flags.url)
	}
	if s.SuccessMsg != "" {
		fmt.Fprintln(stderr, s.Fill(s.SuccessMsg, in))
	}
	return nil
}

// callError classifies a failed call for its exit status and message.
func callError(err error, base string) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		code := exitClientError
		if pe.Status >= 500 {
			code = exitServerError
		}
		return &exitError{code: code, err: pe}
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return &exitError{code: exitConnection, err: fmt.Errorf("cannot reach the server at %s: %w", base, err)}
	}
	return err
}

// printResult writes a JSON reply as JSON (indented), YAML or a table.
func printResult(w io.Writer, reply json.RawMessage, output string) error {
	switch output {
	case "yaml":
		return printYAML(w, reply)
	case "table":
		return printTable(w, reply)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, reply, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := buf.WriteTo(w)
	return err
}

// report prints a failure: the message, then one line per suggestion of
// a named error.
func report(w io.Writer, err error) {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		fmt.Fprintln(w, "Error: "+pe.Error())
		for _, s := range pe.Suggestions {
			fmt.Fprintln(w, "  - Possible fix: "+s)
		}
		return
	}
	fmt.Fprintln(w, "Error: "+err.Error())
}
