package protocol

import (
	"context"
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
	invoke(recv any, ctx context.Context, in unsafe.Pointer) (any, error)
}

// Invokers maps handle names (the Go method names) to their Invokers. A
// handler that has a method Invokers() Invokers has its handles called
// through them; handles it does not list are called by reflection.
type Invokers map[string]Invoker

// Invoke makes the Invoker of a handle of the shape
// func(H, context.Context, In) (R, error), given as a method expression
// such as (*Handler).GetProject.
func Invoke[H, In, R any](f func(H, context.Context, In) (R, error)) Invoker {
	return invoker[H, In, R](f)
}

// InvokeNoArgs makes the Invoker of a handle of a method without
// arguments: func(H, context.Context) (R, error).
func InvokeNoArgs[H, R any](f func(H, context.Context) (R, error)) Invoker {
	return invokerNoArgs[H, R](f)
}

// InvokeNoReply makes the Invoker of a handle of a method without a reply
// body: func(H, context.Context, In) error.
func InvokeNoReply[H, In any](f func(H, context.Context, In) error) Invoker {
	return invokerNoReply[H, In](f)
}

type invoker[H, In, R any] func(H, context.Context, In) (R, error)

func (f invoker[H, In, R]) funcType() reflect.Type {
	return reflect.TypeFor[func(H, context.Context, In) (R, error)]()
}

func (f invoker[H, In, R]) invoke(recv any, ctx context.Context, in unsafe.Pointer) (any, error) {
	r, err := f(recv.(H), ctx, *(*In)(in))
	if err != nil {
		return nil, err
	}
	return r, nil
}

type invokerNoArgs[H, R any] func(H, context.Context) (R, error)

func (f invokerNoArgs[H, R]) funcType() reflect.Type {
	return reflect.TypeFor[func(H, context.Context) (R, error)]()
}

func (f invokerNoArgs[H, R]) invoke(recv any, ctx context.Context, _ unsafe.Pointer) (any, error) {
	r, err := f(recv.(H), ctx)
	if err != nil {
		return nil, err
	}
	return r, nil
}

type invokerNoReply[H, In any] func(H, context.Context, In) error

func (f invokerNoReply[H, In]) funcType() reflect.Type {
	return reflect.TypeFor[func(H, context.Context, In) error]()
}

func (f invokerNoReply[H, In]) invoke(recv any, ctx context.Context, in unsafe.Pointer) (any, error) {
	return nil, f(recv.(H), ctx, *(*In)(in))
}
