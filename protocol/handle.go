package protocol

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// Getters converts arguments into what handles ask for, after Inmanta's
// ArgOption getter: a handle field whose type differs from its argument's
// is filled by the getter from the argument's type to the field's, e.g. an
// environment id into the loaded environment (or a 404).
type Getters struct {
	fns map[[2]reflect.Type]reflect.Value
}

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// Add registers fn, which must be a func(context.Context, From) (To, error).
// A second getter for the same From and To is an error.
func (g *Getters) Add(fn any) error {
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func || t.NumIn() != 2 || t.In(0) != contextType || t.NumOut() != 2 || t.Out(1) != errorType {
		return fmt.Errorf("protocol: getter %s is not a func(context.Context, From) (To, error)", t)
	}
	key := [2]reflect.Type{t.In(1), t.Out(0)}
	if g.fns == nil {
		g.fns = map[[2]reflect.Type]reflect.Value{}
	}
	if _, dup := g.fns[key]; dup {
		return fmt.Errorf("protocol: a getter from %s to %s is already registered", key[0], key[1])
	}
	g.fns[key] = v
	return nil
}

func (g *Getters) lookup(from, to reflect.Type) (reflect.Value, bool) {
	if g == nil {
		return reflect.Value{}, false
	}
	v, ok := g.fns[[2]reflect.Type{from, to}]
	return v, ok
}

// binding calls one handle; everything it needs is resolved at bind time.
type binding struct {
	fn     reflect.Value
	recv   reflect.Value // first argument of fn, when fn is a method expression
	method reflect.Type  // the method struct
	inType reflect.Type  // nil: the handle takes only a context
	direct bool          // the handle takes the method struct itself
	fields []fieldBinding
	reply  bool

	pagingField int // the method struct's Paging field

	inv     Invoker // when set, the handle is called through it
	recvAny any     // recv, boxed once for inv
}

type fieldBinding struct {
	index  int // field of the handle's argument struct
	arg    *ArgSpec
	getter reflect.Value // zero: copy the argument as it is
	caller int           // 1: the field is a Caller, 2: a *Caller; arg is nil
	whole  bool          // the field is the method struct itself; arg is nil
	paging bool          // the field is the method's Paging; arg is nil
}

// bind checks fn against the method and prepares the call. Accepted shapes:
//
//	func(context.Context, In) (Reply, error)
//	func(context.Context) (Reply, error)       // a method without arguments
//	func(context.Context, In) error            // a method without a reply body
//
// In is the method struct or a struct whose fields name its arguments.
func bind(s *MethodSpec, fn, recv reflect.Value, getters *Getters, inv Invoker) (*binding, error) {
	if fn.Kind() != reflect.Func {
		return nil, fmt.Errorf("handle is a %s, not a func", fn.Type())
	}
	t := fn.Type()
	b := &binding{fn: fn, recv: recv, method: s.Type, reply: s.Reply}
	if s.Paging != nil {
		b.pagingField = s.Paging.field
	}
	if inv != nil {
		if !recv.IsValid() || inv.funcType() != t {
			return nil, fmt.Errorf("the invoker of handle %s calls a %s", t, inv.funcType())
		}
		b.inv, b.recvAny = inv, recv.Interface()
	}
	if recv.IsValid() {
		// Check the method's own parameters: those after the receiver.
		t = methodType{t}
	}
	if t.NumIn() < 1 || t.NumIn() > 2 || t.In(0) != contextType {
		return nil, fmt.Errorf("handle %s must take (context.Context, arguments)", t)
	}
	wantOut := 2
	if !s.Reply {
		wantOut = 1
	}
	if t.NumOut() != wantOut || t.Out(wantOut-1) != errorType {
		if s.Reply {
			return nil, fmt.Errorf("handle %s must return (%s, error)", t, s.ReplyType)
		}
		return nil, fmt.Errorf("handle %s must return only error: the method has no reply body", t)
	}
	if s.Reply && t.Out(0) != s.ReplyType {
		return nil, fmt.Errorf("handle returns %s but the method's reply type is %s", t.Out(0), s.ReplyType)
	}
	if t.NumIn() == 1 {
		if len(s.Args) > 0 {
			return nil, fmt.Errorf("handle takes no arguments but the method has %d; add a struct parameter", len(s.Args))
		}
		return b, nil
	}
	in := t.In(1)
	b.inType = in
	if in == s.Type {
		b.direct = true
		return b, nil
	}
	if in.Kind() != reflect.Struct {
		return nil, fmt.Errorf("handle argument is %s, not a struct", in)
	}
	for i := 0; i < in.NumField(); i++ {
		f := in.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && f.Type == s.Type {
			// The method struct embedded whole, beside fields such as the
			// caller: struct{ methods.GetThing; Caller protocol.Caller }.
			b.fields = append(b.fields, fieldBinding{index: i, whole: true})
			continue
		}
		if f.Type == pagingType && s.Paging != nil {
			b.fields = append(b.fields, fieldBinding{index: i, paging: true})
			continue
		}
		name, remapped := f.Tag.Lookup("arg")
		if !remapped && (f.Type == callerType || f.Type == reflect.PointerTo(callerType)) {
			kind := 1
			if f.Type.Kind() == reflect.Pointer {
				kind = 2
			}
			b.fields = append(b.fields, fieldBinding{index: i, caller: kind})
			continue
		}
		if !remapped {
			name = f.Name
		}
		a := s.Arg(name)
		if a == nil && !remapped {
			a = s.argByField(name)
		}
		if a == nil {
			return nil, fmt.Errorf("handle field %s names argument %q, which the method does not have (it has %s)", f.Name, name, s.argNames())
		}
		fb := fieldBinding{index: i, arg: a}
		if f.Type != a.Type {
			g, ok := getters.lookup(a.Type, f.Type)
			if !ok {
				return nil, fmt.Errorf("handle field %s is %s but argument %q is %s, and no getter converts %s to %s", f.Name, f.Type, a.Name, a.Type, a.Type, f.Type)
			}
			fb.getter = g
		}
		b.fields = append(b.fields, fb)
	}
	return b, nil
}

func (s *MethodSpec) argByField(field string) *ArgSpec {
	for _, a := range s.Args {
		if a.Field == field {
			return a
		}
	}
	return nil
}

func (s *MethodSpec) argNames() string {
	if len(s.Args) == 0 {
		return "none"
	}
	names := make([]string, len(s.Args))
	for i, a := range s.Args {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

// methodType hides the receiver of a method expression's func type.
type methodType struct{ reflect.Type }

func (t methodType) NumIn() int            { return t.Type.NumIn() - 1 }
func (t methodType) In(i int) reflect.Type { return t.Type.In(i + 1) }
func (t methodType) String() string        { return t.Type.String() }

// call runs the handle with the decoded method struct at base and returns
// its reply, nil for a method without one. With out (only for a typed
// invoker), the reply is copied there and returned as a pointer to it.
func (b *binding) call(ctx context.Context, base, out unsafe.Pointer, caller *Caller) (any, error) {
	if b.inv != nil && b.direct {
		return b.inv.invoke(b.recvAny, ctx, base, out)
	}
	var in reflect.Value // the handle's argument struct, addressable
	switch {
	case b.inType == nil:
	case b.direct:
		in = reflect.NewAt(b.method, base).Elem()
	default:
		in = reflect.New(b.inType).Elem()
		src := reflect.NewAt(b.method, base).Elem()
		for _, f := range b.fields {
			if f.caller != 0 {
				c := caller
				if c == nil {
					c = &Caller{} // anonymous; fresh, so a handle cannot change another's
				}
				if f.caller == 1 {
					in.Field(f.index).Set(reflect.ValueOf(*c))
				} else {
					in.Field(f.index).Set(reflect.ValueOf(c))
				}
				continue
			}
			if f.whole {
				in.Field(f.index).Set(src)
				continue
			}
			if f.paging {
				in.Field(f.index).Set(src.Field(b.pagingField))
				continue
			}
			v := src.Field(f.arg.index)
			if f.getter.IsValid() {
				c := ctx // a copy, so that only calls with getters move ctx to the heap
				out := f.getter.Call([]reflect.Value{reflect.ValueOf(&c).Elem(), v})
				if err, _ := out[1].Interface().(error); err != nil {
					return nil, err
				}
				v = out[0]
			}
			in.Field(f.index).Set(v)
		}
	}
	if b.inv != nil {
		var ptr unsafe.Pointer
		if in.IsValid() {
			ptr = in.Addr().UnsafePointer()
		}
		return b.inv.invoke(b.recvAny, ctx, ptr, out)
	}
	var buf [3]reflect.Value
	args := buf[:0]
	if b.recv.IsValid() {
		args = append(args, b.recv)
	}
	c := ctx // a copy, so that calls through inv keep ctx off the heap
	args = append(args, reflect.ValueOf(&c).Elem())
	if in.IsValid() {
		args = append(args, in)
	}
	res := b.fn.Call(args)
	if errV := res[len(res)-1]; !errV.IsNil() {
		return nil, errV.Interface().(error)
	}
	if !b.reply {
		return nil, nil
	}
	return res[0].Interface(), nil
}
