package protocol

import (
	"context"
	"encoding"
	"encoding/json"
	"reflect"
	"sync"
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
	// With pooled, the reply is a pointer to a recycled copy, which the
	// caller hands back to release once it is written.
	invoke(recv any, ctx context.Context, in unsafe.Pointer, pooled bool) (any, error)
	release(reply any)
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

// replies recycles reply values: a struct reply put in an interface is
// copied to the heap, once per request, unless the copy is reused.
type replies[R any] struct{ pool sync.Pool }

func (p *replies[R]) box(r R, pooled bool) any {
	if !pooled {
		return r
	}
	rp, _ := p.pool.Get().(*R)
	if rp == nil {
		rp = new(R)
	}
	*rp = r
	return rp
}

func (p *replies[R]) release(reply any) {
	rp := reply.(*R)
	var zero R
	*rp = zero // let go of what the reply pointed to
	p.pool.Put(rp)
}

type invoker[H, In, R any] struct {
	f func(H, context.Context, In) (R, error)
	replies[R]
}

func (v *invoker[H, In, R]) funcType() reflect.Type {
	return reflect.TypeFor[func(H, context.Context, In) (R, error)]()
}

func (v *invoker[H, In, R]) invoke(recv any, ctx context.Context, in unsafe.Pointer, pooled bool) (any, error) {
	r, err := v.f(recv.(H), ctx, *(*In)(in))
	if err != nil {
		return nil, err
	}
	return v.box(r, pooled), nil
}

type invokerNoArgs[H, R any] struct {
	f func(H, context.Context) (R, error)
	replies[R]
}

func (v *invokerNoArgs[H, R]) funcType() reflect.Type {
	return reflect.TypeFor[func(H, context.Context) (R, error)]()
}

func (v *invokerNoArgs[H, R]) invoke(recv any, ctx context.Context, _ unsafe.Pointer, pooled bool) (any, error) {
	r, err := v.f(recv.(H), ctx)
	if err != nil {
		return nil, err
	}
	return v.box(r, pooled), nil
}

type invokerNoReply[H, In any] func(H, context.Context, In) error

func (f invokerNoReply[H, In]) funcType() reflect.Type {
	return reflect.TypeFor[func(H, context.Context, In) error]()
}

func (f invokerNoReply[H, In]) invoke(recv any, ctx context.Context, in unsafe.Pointer, _ bool) (any, error) {
	return nil, f(recv.(H), ctx, *(*In)(in))
}

func (invokerNoReply[H, In]) release(any) {}

// poolableReply reports whether a method's replies can be written from a
// pointer to a recycled copy: a struct or array reply, neither paged nor
// streamed (other kinds box without a copy, or can be nil), with no
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
