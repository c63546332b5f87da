package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

type (
	Number struct {
		N int `json:"n"`
	}
	NumbersTrailer struct {
		Last  *int   `json:"last"`
		Count int    `json:"count"`
		Note  string `json:"note,omitempty"`
	}
	// Numbers streams 0..Count-1; FailAt fails at that item, and
	// Block makes the producer wait, after the first item, until the
	// client goes away.
	Numbers struct {
		protocol.Method[protocol.Stream[Number, NumbersTrailer]] `path:"/numbers" operation:"GET" items_key:"numbers"`

		Count  int  `json:"count" validate:"min=0"`
		FailAt *int `json:"fail_at"`
		Block  bool `json:"block" default:"false"`
	}
	NumberLines struct {
		protocol.Method[protocol.Stream[Number, protocol.NoTrailer]] `path:"/numbers.ndjson" operation:"GET" stream:"ndjson"`

		Count  int  `json:"count"`
		FailAt *int `json:"fail_at"`
	}
)

type streamHandles struct {
	stopped chan error // the producer's context error, when it stops early
	active  atomic.Int32
}

var errInjected = errors.New("injected failure")

func (h *streamHandles) numbers(ctx context.Context, count int, failAt *int, block bool) func(func(Number, error) bool) {
	return func(yield func(Number, error) bool) {
		h.active.Add(1)
		defer h.active.Add(-1)
		for i := 0; i < count; i++ {
			if failAt != nil && i == *failAt {
				yield(Number{}, errInjected)
				return
			}
			if !yield(Number{i}, nil) {
				return
			}
			if block {
				<-ctx.Done()
				h.stopped <- ctx.Err()
				yield(Number{}, ctx.Err())
				return
			}
		}
	}
}

func (h *streamHandles) Numbers(ctx context.Context, in Numbers) (protocol.Stream[Number, NumbersTrailer], error) {
	if in.FailAt != nil && *in.FailAt < 0 {
		return protocol.Stream[Number, NumbersTrailer]{}, protocol.BadRequest("fail_at must not be negative")
	}
	tr := NumbersTrailer{Count: in.Count}
	if in.Count > 0 {
		last := in.Count - 1
		tr.Last = &last
	}
	return protocol.Stream[Number, NumbersTrailer]{
		Items:   h.numbers(ctx, in.Count, in.FailAt, in.Block),
		Trailer: func() NumbersTrailer { return tr },
	}, nil
}

func (h *streamHandles) NumberLines(ctx context.Context, in NumberLines) (protocol.Stream[Number, protocol.NoTrailer], error) {
	return protocol.Stream[Number, protocol.NoTrailer]{Items: h.numbers(ctx, in.Count, in.FailAt, false)}, nil
}

func streamServer(t *testing.T) (*httptest.Server, *streamHandles) {
	t.Helper()
	h := &streamHandles{stopped: make(chan error, 1)}
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	g := &protocol.Group{Name: "streams", Methods: []any{Numbers{}, NumberLines{}}}
	if err := s.Register(h, g); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, h
}

func TestStreamJSONDocument(t *testing.T) {
	ts, _ := streamServer(t)
	for _, tc := range []struct {
		count int
		want  string
	}{
		{0, `{"numbers":[],"last":null,"count":0}`},
		{1, `{"numbers":[{"n":0}],"last":0,"count":1}`},
		{3, `{"numbers":[{"n":0},{"n":1},{"n":2}],"last":2,"count":3}`},
	} {
		resp, err := http.Get(fmt.Sprintf("%s/api/v1/numbers?count=%d", ts.URL, tc.count))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("count=%d: read: %v", tc.count, err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("count=%d: %d %s", tc.count, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if got := strings.Join(strings.Fields(string(body)), ""); got != tc.want {
			t.Errorf("count=%d: got %s, want %s", tc.count, got, tc.want)
		}
		if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
			t.Errorf("count=%d: transfer encoding %v, want chunked", tc.count, resp.TransferEncoding)
		}
	}
}

func TestStreamNDJSON(t *testing.T) {
	ts, _ := streamServer(t)
	resp, err := http.Get(ts.URL + "/api/v1/numbers.ndjson?count=3")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Type") != "application/x-ndjson" || string(body) != "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n" {
		t.Fatalf("%s: %q", resp.Header.Get("Content-Type"), body)
	}
}

// A stream is produced as it is sent: the first item arrives while the
// producer is still running.
func TestStreamSendsItemsBeforeTheEnd(t *testing.T) {
	ts, h := streamServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/v1/numbers?count=5&block=true", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 64)
	n, err := io.ReadAtLeast(resp.Body, first, len(`{"numbers":[{"n":0}`))
	if err != nil || string(first[:n]) != `{"numbers":[{"n":0}` {
		t.Fatalf("first chunk %q, %v", first[:n], err)
	}
	// The client goes away: the producer's context is cancelled.
	cancel()
	resp.Body.Close()
	select {
	case err := <-h.stopped:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("producer stopped with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the producer was not stopped when the client went away")
	}
	// The server keeps serving, and the producer has returned.
	resp, err = http.Get(ts.URL + "/api/v1/numbers?count=2")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("next request: %d", resp.StatusCode)
	}
	for deadline := time.Now().Add(5 * time.Second); h.active.Load() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d producers still running", h.active.Load())
		}
	}
}

func TestStreamErrors(t *testing.T) {
	ts, _ := streamServer(t)
	for _, tc := range []struct {
		name, path string
		status     int
		body       string // substring of a complete error reply; "" for a truncated stream
	}{
		{"invalid argument", "/api/v1/numbers?count=-1", 400, "query.count"},
		{"handle refuses", "/api/v1/numbers?count=3&fail_at=-1", 400, "fail_at must not be negative"},
		{"fails before the first item", "/api/v1/numbers?count=3&fail_at=0", 0, ""},
		{"fails mid-stream", "/api/v1/numbers?count=3&fail_at=2", 200, ""},
		{"ndjson fails mid-stream", "/api/v1/numbers.ndjson?count=3&fail_at=2", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(ts.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, readErr := io.ReadAll(resp.Body)
			switch {
			case tc.status == 0: // an error before the first byte is an ordinary 500
				if resp.StatusCode != 500 || readErr != nil || !strings.Contains(string(body), "internal error") {
					t.Fatalf("%d %q %v, want a whole 500 reply", resp.StatusCode, body, readErr)
				}
			case tc.body != "":
				if resp.StatusCode != tc.status || readErr != nil || !strings.Contains(string(body), tc.body) {
					t.Fatalf("%d %q %v, want %d with %q", resp.StatusCode, body, readErr, tc.status, tc.body)
				}
			default: // the reply is cut: reading it fails
				if resp.StatusCode != tc.status || !errors.Is(readErr, io.ErrUnexpectedEOF) {
					t.Fatalf("%d %q %v, want %d and a truncated body", resp.StatusCode, body, readErr, tc.status)
				}
				if !strings.Contains(string(body), `{"n":0}`) {
					t.Fatalf("the items before the failure are missing: %q", body)
				}
			}
		})
	}
}

func TestStreamHead(t *testing.T) {
	ts, h := streamServer(t)
	resp, err := http.Head(ts.URL + "/api/v1/numbers?count=3&block=true")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || h.active.Load() != 0 {
		t.Fatalf("HEAD: %d %q, %d producers running", resp.StatusCode, resp.Header.Get("Content-Type"), h.active.Load())
	}
}

func TestStreamDeclarationErrors(t *testing.T) {
	type (
		NDJSONWithTrailer struct {
			protocol.Method[protocol.Stream[Number, NumbersTrailer]] `path:"/x" operation:"GET" stream:"ndjson"`
		}
		EnvelopedStream struct {
			protocol.Method[protocol.Stream[Number, protocol.NoTrailer]] `path:"/x" operation:"GET" envelope:"true"`
		}
		StreamWithTimeout struct {
			protocol.Method[protocol.Stream[Number, protocol.NoTrailer]] `path:"/x" operation:"GET" timeout:"5"`
		}
		StreamTagWithoutStream struct {
			protocol.Method[Number] `path:"/x" operation:"GET" stream:"json"`
		}
		UnknownFormat struct {
			protocol.Method[protocol.Stream[Number, protocol.NoTrailer]] `path:"/x" operation:"GET" stream:"csv"`
		}
		TrailerClash struct {
			protocol.Method[protocol.Stream[Number, NumbersTrailer]] `path:"/x" operation:"GET" items_key:"count"`
		}
		ScalarTrailer struct {
			protocol.Method[protocol.Stream[Number, int]] `path:"/x" operation:"GET"`
		}
	)
	for _, tc := range []struct {
		decl any
		want string
	}{
		{NDJSONWithTrailer{}, "an ndjson stream has no trailer"},
		{EnvelopedStream{}, "a stream cannot be enveloped"},
		{StreamWithTimeout{}, "a stream takes no timeout"},
		{StreamTagWithoutStream{}, "need a reply of type protocol.Stream"},
		{UnknownFormat{}, `stream:"csv" is not json or ndjson`},
		{TrailerClash{}, `trailer has a field "count"`},
		{ScalarTrailer{}, "trailer is int; it must be a struct"},
	} {
		_, err := protocol.Describe(tc.decl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%T: err = %v, want %q", tc.decl, err, tc.want)
		}
	}
}

func TestStreamInOpenAPI(t *testing.T) {
	doc, err := protocol.OpenAPI(protocol.Info{Title: "t", Version: "1"},
		&protocol.Group{Name: "streams", Methods: []any{Numbers{}, NumberLines{}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := doc.JSON()
	var d struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]json.RawMessage `json:"properties"`
						Required   []string                   `json:"required"`
						AllOf      []json.RawMessage          `json:"allOf"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	doc200 := d.Paths["/api/v1/numbers"]["get"].Responses["200"].Content["application/json"].Schema
	for _, key := range []string{"numbers", "last", "count", "note"} {
		if _, ok := doc200.Properties[key]; !ok {
			t.Errorf("the streamed document's schema lacks %q: %s", key, b)
		}
	}
	if !strings.Contains(string(doc200.Properties["numbers"]), `"array"`) || strings.Join(doc200.Required, ",") != "count,numbers" {
		t.Errorf("numbers: %s, required %v", doc200.Properties["numbers"], doc200.Required)
	}
	lines := d.Paths["/api/v1/numbers.ndjson"]["get"].Responses["200"].Content["application/x-ndjson"].Schema
	if len(lines.AllOf) != 1 {
		t.Errorf("the ndjson reply is not described by its item schema: %s", b)
	}
}
