package server_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
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

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func postRaw(t *testing.T, url string, body []byte, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func TestGzipRequestBodies(t *testing.T) {
	url := startKinds(t) + "/api/v1/kinds/" + someID
	tid := []string{"X-Inmanta-tid", someID, "Content-Encoding", "gzip"}
	// A body of 2 MiB that gzip shrinks to a few KiB: its inflated size counts.
	bomb := gzipped(t, `{"name":"n","free":{"pad":"`+strings.Repeat("0", 2<<20)+`"}}`)
	if len(bomb) > 64<<10 {
		t.Fatalf("the bomb is %d bytes compressed; want it small", len(bomb))
	}
	tests := []struct {
		name   string
		body   []byte
		enc    []string
		status int
		says   string
	}{
		{"valid gzip", gzipped(t, `{"name":"zipped"}`), tid, 200, "zipped"},
		{"gzip bomb", bomb, tid, 413, "larger than the limit of 1048576 bytes"},
		{"not gzip", []byte(`{"name":"n"}`), tid, 400, "not valid gzip"},
		{"unknown encoding", []byte(`{"name":"n"}`), []string{"X-Inmanta-tid", someID, "Content-Encoding", "br"}, 415, "send it plain or gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postRaw(t, url, tt.body, tt.enc...)
			if r.status != tt.status || !strings.Contains(string(r.body), tt.says) {
				t.Errorf("status %d %s; want %d saying %q", r.status, r.body, tt.status, tt.says)
			}
		})
	}
}

func TestSlowBodyIs408(t *testing.T) {
	s := server.New(server.WithLogger(slog.New(slog.DiscardHandler)), server.WithReadTimeouts(time.Second, 200*time.Millisecond))
	if err := s.Register(kinds{}, kindsGroup); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Promise 100 bytes, send 10, then stall.
	_, err = io.WriteString(conn, "POST /api/v1/kinds/"+someID+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"X-Inmanta-tid: "+someID+"\r\nContent-Length: 100\r\n\r\n{\"name\":\"n")
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "did not arrive within 200ms") {
		t.Errorf("status %d %s; want 408", resp.StatusCode, b)
	}
}

func TestConcurrencyCap(t *testing.T) {
	url, w, stop, served := serveWaiter(t, server.WithMaxConcurrent(1))
	defer func() { stop(); <-served }()
	go func() {
		if resp, err := http.Get(url + "/api/v1/wait"); err == nil {
			resp.Body.Close()
		}
	}()
	<-w.started
	r := call(t, "GET", url+"/api/v1/wait", "")
	close(w.release)
	if r.status != 503 || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "limit of 1 concurrent") {
		t.Errorf("second request while one runs: %d, Retry-After %q: %s", r.status, r.header.Get("Retry-After"), r.body)
	}
}

func TestGzipReplies(t *testing.T) {
	url := startKinds(t)
	get := func(path string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", url+path, nil)
		req.Header.Set("Accept-Encoding", "gzip") // set by hand: the transport then leaves the body as sent
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, b := get("/openapi.json")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("a large reply is not compressed: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Contains(plain, []byte(`"openapi": "3.1.0"`)) {
		t.Errorf("the compressed reply does not inflate to the document: %v", err)
	}
	if resp, _ := get("/api/v1/boom"); resp.Header.Get("Content-Encoding") != "" {
		t.Error("a reply of a few bytes was compressed")
	}
}

func TestCORS(t *testing.T) {
	for _, auth := range []bool{false, true} {
		opts := []server.Option{server.WithLogger(slog.New(slog.DiscardHandler)), server.WithCORS("https://app.example")}
		if auth {
			opts = append(opts, server.WithAuth(protocol.Auth{Authenticator: staticTokens}))
		}
		s := server.New(opts...)
		if err := s.Register(kinds{}, kindsGroup); err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s)
		preflight := func(origin string) http.Header {
			req, _ := http.NewRequest("OPTIONS", ts.URL+"/api/v1/kinds/"+someID, nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("preflight: status %d", resp.StatusCode)
			}
			return resp.Header
		}
		h := preflight("https://app.example")
		if h.Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("auth %v: preflight headers %v", auth, h)
		}
		if got := strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization"); got != auth {
			t.Errorf("auth %v: Authorization allowed: %v", auth, got)
		}
		if h := preflight("https://evil.example"); h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a foreign origin was allowed: %v", h)
		}
		ts.Close()
	}
}

func TestOversizedHeadersAre431(t *testing.T) {
	url, w, stop, served := serveWaiter(t, server.WithMaxHeaderBytes(4<<10))
	defer func() { close(w.release); stop(); <-served }()
	r := call(t, "GET", url+"/api/v1/wait", "", "X-Padding", strings.Repeat("x", 64<<10))
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers against a 4 KiB limit: status %d", r.status)
	}
}
