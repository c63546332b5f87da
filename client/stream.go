package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"reflect"

	"github.com/tagrpc/tagrpc/protocol"
)

// Stream reads a streamed reply one item at a time, in constant memory.
// Range over All once; the trailer is known after the loop. A stream cut
// short by the server, or by the connection, ends the loop with an error:
// it is never mistaken for a complete one. Close releases the connection
// when the loop is left early (a full loop closes it too).
type Stream[T, Trailer any] struct {
	name    string
	spec    *protocol.StreamSpec
	body    io.ReadCloser
	dec     *json.Decoder
	trailer Trailer
	used    bool
	done    bool // the whole document was read
}

// openStream calls a method whose reply is a protocol.Stream and returns
// the stream once the status says it succeeded; errors before the first
// item come back here, as from any call. Generated methods call it.
func openStream[T, Trailer any](ctx context.Context, c *Client, m *method, in any) (*Stream[T, Trailer], error) {
	req, err := c.request(ctx, m, reflect.ValueOf(in).Elem())
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.spec.Name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, m.decodeError(resp.StatusCode, body)
	}
	s := &Stream[T, Trailer]{name: m.spec.Name, spec: m.spec.Stream, body: resp.Body, dec: json.NewDecoder(resp.Body)}
	if req.Method == http.MethodHead {
		s.done = true
	}
	return s, nil
}

// All yields the items as they are decoded. A second range over it yields
// only an error.
func (s *Stream[T, Trailer]) All() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if s.used {
			yield(zero, fmt.Errorf("%s: the stream was already read", s.name))
			return
		}
		s.used = true
		defer s.Close()
		if s.done {
			return
		}
		var err error
		if s.spec.Format == protocol.StreamNDJSON {
			err = s.ndjson(yield)
		} else {
			err = s.document(yield)
		}
		if err != nil && !errors.Is(err, errStopped) {
			yield(zero, fmt.Errorf("%s: read the stream: %w", s.name, err))
		}
	}
}

// errStopped is how a loop the caller left early unwinds.
var errStopped = errors.New("stopped")

func (s *Stream[T, Trailer]) ndjson(yield func(T, error) bool) error {
	for {
		var item T
		err := s.dec.Decode(&item)
		if err == io.EOF {
			s.done = true
			return nil
		}
		if err != nil {
			return truncated(err)
		}
		if !yield(item, nil) {
			return errStopped
		}
	}
}

// document walks {"<items>": [...], <trailer fields>}, decoding the items
// one by one and gathering the other fields into the trailer.
func (s *Stream[T, Trailer]) document(yield func(T, error) bool) error {
	if err := s.delim('{'); err != nil {
		return err
	}
	var rest bytes.Buffer // the trailer's fields, re-assembled
	rest.WriteByte('{')
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return truncated(err)
		}
		key, _ := tok.(string)
		if key != s.spec.ItemsKey {
			var raw json.RawMessage
			if err := s.dec.Decode(&raw); err != nil {
				return truncated(err)
			}
			if rest.Len() > 1 {
				rest.WriteByte(',')
			}
			k, _ := json.Marshal(key)
			rest.Write(k)
			rest.WriteByte(':')
			rest.Write(raw)
			continue
		}
		if err := s.delim('['); err != nil {
			return err
		}
		for s.dec.More() {
			var item T
			if err := s.dec.Decode(&item); err != nil {
				return truncated(err)
			}
			if !yield(item, nil) {
				return errStopped
			}
		}
		if err := s.delim(']'); err != nil {
			return err
		}
	}
	if err := s.delim('}'); err != nil {
		return err
	}
	rest.WriteByte('}')
	if err := json.Unmarshal(rest.Bytes(), &s.trailer); err != nil {
		return fmt.Errorf("decode the trailer: %w", err)
	}
	// Nothing may follow the document but white space.
	if _, err := s.dec.Token(); err != io.EOF {
		if err == nil {
			return errors.New("data after the end of the document")
		}
		return truncated(err)
	}
	s.done = true
	return nil
}

func (s *Stream[T, Trailer]) delim(want json.Delim) error {
	tok, err := s.dec.Token()
	if err != nil {
		return truncated(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, got %v", want, tok)
	}
	return nil
}

// truncated names an end of input inside the document for what it is.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the stream ended before its document was complete: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// Trailer returns the fields that followed the items; it is the zero
// value until a range over All has finished.
func (s *Stream[T, Trailer]) Trailer() Trailer { return s.trailer }

// Complete reports whether the whole document was read.
func (s *Stream[T, Trailer]) Complete() bool { return s.done }

// Close releases the connection. It is safe to call more than once.
func (s *Stream[T, Trailer]) Close() error {
	if s.body == nil {
		return nil
	}
	err := s.body.Close()
	s.body = nil
	return err
}
