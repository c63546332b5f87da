package client

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/tagrpc/tagrpc/protocol"
)

// Call calls a method known only at run time, as the command line does: in
// is a pointer to a filled declaration struct of a method of group g. The
// reply, decoded as its type and encoded again, comes back as JSON (nil
// for a method without a reply body). Errors are those of the generated
// methods.
func (c *Client) Call(ctx context.Context, g *protocol.Group, in any) (json.RawMessage, error) {
	m, err := dynamicMethod(g, in)
	if err != nil {
		return nil, err
	}
	if !m.spec.Reply {
		return nil, c.call(ctx, m, in, nil)
	}
	out := reflect.New(m.spec.ReplyType)
	if err := c.call(ctx, m, in, out.Interface()); err != nil {
		return nil, err
	}
	return json.Marshal(out.Interface())
}

// CallStream calls a streaming method known only at run time and hands
// each item to fn as it arrives; it returns the trailer (nil for NDJSON).
func (c *Client) CallStream(ctx context.Context, g *protocol.Group, in any, fn func(item json.RawMessage) error) (json.RawMessage, error) {
	m, err := dynamicMethod(g, in)
	if err != nil {
		return nil, err
	}
	if m.spec.Stream == nil {
		return nil, fmt.Errorf("%s: not a streaming method", m.spec.Name)
	}
	s, err := openStream[json.RawMessage, json.RawMessage](ctx, c, m, in)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for item, err := range s.All() {
		if err != nil {
			return nil, err
		}
		if err := fn(item); err != nil {
			return nil, err
		}
	}
	return s.Trailer(), nil
}

func dynamicMethod(g *protocol.Group, in any) (*method, error) {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("client: call with %T: want a pointer to a declaration struct", in)
	}
	if _, err := protocol.Describe(in); err != nil {
		return nil, err
	}
	return newMethod(v.Elem().Interface(), g), nil
}
