package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

type Wait struct {
	protocol.Method[string] `path:"/wait" operation:"GET"`
}

// waiter's handle blocks until release is closed, and says when it started.
type waiter struct {
	started chan struct{}
	release chan struct{}
}

func (w waiter) Wait(context.Context, Wait) (string, error) {
	w.started <- struct{}{}
	<-w.release
	return "done", nil
}

func serveWaiter(t *testing.T, opts ...server.Option) (url string, w waiter, stop context.CancelFunc, served chan error) {
	t.Helper()
	w = waiter{started: make(chan struct{}, 1), release: make(chan struct{})}
	s := server.New(append([]server.Option{server.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err := s.Register(w, &protocol.Group{Name: "wait", Methods: []any{Wait{}}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served = make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), w, stop, served
}

func TestShutdownLetsRequestsInFlightFinish(t *testing.T) {
	url, w, stop, served := serveWaiter(t)
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url + "/api/v1/wait")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- resp.Status + " " + strings.TrimSpace(string(b))
	}()
	<-w.started
	stop()
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := http.Get(url + "/api/v1/wait"); err == nil {
		t.Error("a new connection was accepted after shutdown began")
	}
	close(w.release)
	if r := <-got; r != `200 OK "done"` {
		t.Errorf("request in flight answered %q, want 200 \"done\"", r)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after a clean shutdown", err)
	}
}

func TestShutdownIsBounded(t *testing.T) {
	url, w, stop, served := serveWaiter(t, server.WithShutdownTimeout(50*time.Millisecond))
	defer close(w.release)
	go func() {
		if resp, err := http.Get(url + "/api/v1/wait"); err == nil {
			resp.Body.Close()
		}
	}()
	<-w.started
	stop()
	select {
	case err := <-served:
		if err == nil || !strings.Contains(err.Error(), "still running after 50ms") {
			t.Errorf("Serve returned %v, want the shutdown timeout named", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its shutdown timeout")
	}
}

// Once shutdown begins, the server answers what still reaches it (behind
// another front end, or on a connection already read) with 503.
func TestDrainingAnswers503(t *testing.T) {
	w := waiter{started: make(chan struct{}, 1), release: make(chan struct{})}
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	if err := s.Register(w, &protocol.Group{Name: "wait", Methods: []any{Wait{}}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/api/v1/wait"); err == nil {
			resp.Body.Close()
		}
	}()
	<-w.started
	stop()
	// An unrouted path answers 404 until the drain is noticed, 503 after:
	// the drain is checked before routing.
	deadline := time.Now().Add(2 * time.Second)
	for {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/nothing", nil))
		if rec.Code == http.StatusServiceUnavailable {
			if rec.Header().Get("Retry-After") == "" || rec.Header().Get("Connection") != "close" {
				t.Errorf("503 while draining without Retry-After and Connection: close: %v", rec.Header())
			}
			break
		}
		if rec.Code != http.StatusNotFound || time.Now().After(deadline) {
			t.Fatalf("answered %d after shutdown began; want 404 then 503", rec.Code)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(w.release)
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
