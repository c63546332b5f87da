package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Callable is implemented by objects whose methods clients may call by
// name (Beaker's call_in_context): Callables lists the Go names of those
// methods, an allow-list, and nothing else is reachable. Each listed method
// has the shape func(context.Context, In) (Out, error) with In a struct;
// clients name it in snake_case (ListIntegrations: list_integrations).
type Callable interface {
	Callables() []string
}

// callableMethod is one listed method, read once per type.
type callableMethod struct {
	fn     reflect.Value // method expression: receiver first
	in     reflect.Type
	fields []string // In's JSON names, in order, for positional arguments
}

var callableCache sync.Map // reflect.Type -> map[string]*callableMethod (or error)

func callablesOf(t reflect.Type, list []string) (map[string]*callableMethod, error) {
	if v, ok := callableCache.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(map[string]*callableMethod), nil
	}
	out := map[string]*callableMethod{}
	var err error
	for _, name := range list {
		m, ok := t.MethodByName(name)
		ft := m.Type
		switch {
		case !ok:
			err = fmt.Errorf("protocol: %s lists %s as callable but has no such exported method", t, name)
		case ft.NumIn() != 3 || ft.In(1) != contextType || ft.In(2).Kind() != reflect.Struct || ft.NumOut() != 2 || ft.Out(1) != errorType:
			err = fmt.Errorf("protocol: callable %s.%s is %s, not func(context.Context, struct) (T, error)", t, name, ft)
		}
		if err != nil {
			break
		}
		cm := &callableMethod{fn: m.Func, in: ft.In(2)}
		for i := 0; i < cm.in.NumField(); i++ {
			f := cm.in.Field(i)
			if !f.IsExported() {
				continue
			}
			jn, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if jn == "" {
				jn = f.Name
			}
			cm.fields = append(cm.fields, jn)
		}
		out[snakeCase(name)] = cm
	}
	if err != nil {
		callableCache.Store(t, err)
		return nil, err
	}
	callableCache.Store(t, out)
	return out, nil
}

func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CallByName calls the method a client names on target, with positional
// args (in the order of the argument struct's fields) and keyword args (by
// JSON name), decoded and validated as a method's body is: an unknown
// function is a 404, bad arguments a 400, a call past timeout a 504.
func CallByName(ctx context.Context, target Callable, function string, args []json.RawMessage, kwargs map[string]json.RawMessage, timeout time.Duration) (any, error) {
	methods, err := callablesOf(reflect.TypeOf(target), target.Callables())
	if err != nil {
		return nil, err // a mistake of the server's: a 500
	}
	m, ok := methods[function]
	if !ok {
		names := make([]string, 0, len(methods))
		for n := range methods {
			names = append(names, n)
		}
		return nil, NotFound("%q is not a function this target lets you call (it has: %s)", function, strings.Join(slices.Sorted(slices.Values(names)), ", "))
	}
	if len(args) > len(m.fields) {
		return nil, BadRequest("%s takes at most %d positional arguments (%s), got %d", function, len(m.fields), strings.Join(m.fields, ", "), len(args))
	}
	doc := map[string]json.RawMessage{}
	for i, a := range args {
		doc[m.fields[i]] = a
	}
	for k, v := range kwargs {
		if _, dup := doc[k]; dup {
			return nil, BadRequest("%s got argument %q both by position and by name", function, k)
		}
		doc[k] = v
	}
	raw, _ := json.Marshal(doc)
	in := reflect.New(m.in)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in.Interface()); err != nil {
		return nil, BadRequest("the arguments of %s: %s", function, strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := Validator().Struct(in.Interface()); err != nil {
		return nil, BadRequest("the arguments of %s: %s", function, err)
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	type result struct {
		out []reflect.Value
		p   any
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{p: p}
			}
		}()
		done <- result{out: m.fn.Call([]reflect.Value{reflect.ValueOf(target), reflect.ValueOf(ctx), in.Elem()})}
	}()
	select {
	case r := <-done:
		if r.p != nil {
			return nil, fmt.Errorf("protocol: %s panicked: %v", function, r.p)
		}
		if err, _ := r.out[1].Interface().(error); err != nil {
			return nil, err
		}
		return r.out[0].Interface(), nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, Errorf(http.StatusGatewayTimeout, "%s did not complete within %s", function, timeout)
		}
		return nil, ctx.Err()
	}
}
