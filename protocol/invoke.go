package protocol

import (
	"context"
	"encoding"
	"encoding/json"
	"reflect"
	"unsafe"
)

// An Invoker calls one handle with static types, sparing the reflect.Call
// (and its allocations) that a handle bound by reflection alone costs on
// every request. Build one from a method expression with Invoke,
// InvokeNoArgs or InvokeNoReply; tagrpc-gen writes them for every handle.
// Binding still checks the handle by reflection: an Invoker only changes
// how the checked call is made.
type Invoker interface {
	// funcType is the type of the method expression, receiver first.
	funcType() reflect.Type
	// invoke calls the handle on recv with the argument struct at in (nil
	// for a handle without one) and returns its reply, nil without one.
	// With out, the reply is copied to out (memory of the reply's type,
	// the endpoint's to recycle) and returned as a pointer to it: boxing
	// a struct reply would copy it to the heap on every request.
	invoke(recv any, ctx context.Context, in, out unsafe.Pointer) (any, error)
}

// Invokers maps handle names (the Go method names) to their Invokers. A
// handler that has a method Invokers() Invokers has its handles called
// through them; handles it does not list are called by reflection.
type Invokers map[string]Invoker

// Invoke makes the Invoker of a handle of the shape
// func(H, context.Context, In) (R, error), given as a method expression
// such as (*Handler).GetProject.
func Invoke[H, In, R any](f func(H, context.Context, In) (R, error)) Invoker {
	return &invoker[H, In, R]{f: f}
}

// InvokeNoArgs makes the Invoker of a handle of a method without
// arguments: func(H, context.Context) (R, error).
func InvokeNoArgs[H, R any](f func(H, context.Context) (R, error)) Invoker {
	return &invokerNoArgs[H, R]{f: f}
}

// InvokeNoReply makes the Invoker of a handle of a method without a reply
// body: func(H, context.Context, In) error.
func InvokeNoReply[H, In any](f func(H, context.Context, In) error) Invoker {
	return invokerNoReply[H, In](f)
}

// reply returns r, or with out a pointer to a copy of r there.
func reply[R any](r R, out unsafe.Pointer) any {
	if out == nil {
		return r
	}
	*(*R)(out) = r
	return (*R)(out)
}

type invoker[H, In, R any] struct {
	f func(H, context.Context, In) (R, error)
}

func (v *invoker[H, In, R]) funcType() reflect.Type {
	return reflect.TypeFor[func(H, context.Context, In) (R, error)]()
}

func (v *invoker[H, In, R]) invoke(recv any, ctx context.Context, in, out unsafe.Pointer) (any, error) {
	r, err := v.f(recv.(H), ctx, *(*In)(in))
	if err != nil {
		return nil, err
	}
	return reply(r, out), nil
}

type invokerNoArgs[H, R any] struct {
	f func(H, context.Context) (R, error)
}

func (v *invokerNoArgs[H, R]) funcType() reflect.Type {
	return reflect.TypeFor[func(H, context.Context) (R, error)]()
}

func (v *invokerNoArgs[H, R]) invoke(recv any, ctx context.Context, _, out unsafe.Pointer) (any, error) {
	r, err := v.f(recv.(H), ctx)
	if err != nil {
		return nil, err
	}
	return reply(r, out), nil
}

type invokerNoReply[H, In any] func(H, context.Context, In) error

func (f invokerNoReply[H, In]) funcType() reflect.Type {
	return reflect.TypeFor[func(H, context.Context, In) error]()
}

func (f invokerNoReply[H, In]) invoke(recv any, ctx context.Context, in, _ unsafe.Pointer) (any, error) {
	return nil, f(recv.(H), ctx, *(*In)(in))
}

// poolableReply reports whether a method's replies can be written from a
// pointer to a copy in recycled memory: a struct or array reply, neither
// paged nor streamed (other kinds box without a copy, or can be nil), with no
// JSON or text marshaler that encoding/json would call on the pointer's
// addressable value but not on the value itself, so that the bytes
// written are the same either way.
func poolableReply(s *MethodSpec) bool {
	if !s.Reply || s.Stream != nil || s.Paging != nil {
		return false
	}
	t := s.ReplyType
	if t.Kind() != reflect.Struct && t.Kind() != reflect.Array {
		return false
	}
	return !addressOnlyMarshaler(t, map[reflect.Type]bool{})
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// addressOnlyMarshaler reports whether t, or a struct field or array
// element held in it by value, has a MarshalJSON or MarshalText method on
// its pointer only. Values behind pointers, in slices, maps and interfaces
// are addressable (or not) alike whether t is reached through a pointer or
// not, so the walk stops there.
func addressOnlyMarshaler(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	pt := reflect.PointerTo(t)
	for _, m := range []reflect.Type{jsonMarshalerType, textMarshalerType} {
		if pt.Implements(m) && !t.Implements(m) {
			return true
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if addressOnlyMarshaler(t.Field(i).Type, seen) {
				return true
			}
		}
	case reflect.Array:
		return addressOnlyMarshaler(t.Elem(), seen)
	}
	return false
}
