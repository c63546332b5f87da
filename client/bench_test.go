package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/client"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

// The benchmarks call one server through the generated client and
// through hand-written net/http code doing the same, and print the ratio.
// Both go through an http.Client whose transport hands the request to the
// server's handler in process, and the server answers from memory: loopback
// TCP and a database would add more variance than the client costs. The
// two calls alternate within each iteration and are timed one by one, so
// the machine's drift weighs on both alike.

func runClientPair(b *testing.B, generated, hand func(ctx context.Context) error) {
	ctx := context.Background()
	for _, fn := range []func(context.Context) error{generated, hand} {
		if err := fn(ctx); err != nil {
			b.Fatal(err)
		}
	}
	allocsGen := testing.AllocsPerRun(200, func() { _ = generated(ctx) })
	allocsHand := testing.AllocsPerRun(200, func() { _ = hand(ctx) })
	var gen, hw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := hand(ctx); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := generated(ctx); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		hw += t1.Sub(t0)
		gen += t2.Sub(t1)
	}
	b.StopTimer()
	n := float64(b.N)
	ratio := float64(gen) / float64(hw)
	b.ReportMetric(float64(gen.Nanoseconds())/n, "client-ns/op")
	b.ReportMetric(float64(hw.Nanoseconds())/n, "handwritten-ns/op")
	b.ReportMetric(allocsGen, "client-allocs/op")
	b.ReportMetric(allocsHand, "handwritten-allocs/op")
	b.ReportMetric(ratio, "ratio")
}

// inProcess is an http.RoundTripper that serves requests with a handler.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

var benchHTTP *http.Client

// benchServer serves GetProject and SetSetting from memory: a database
// would add more variance than the client costs.
func benchServer(b *testing.B) (base string, c *client.Client, p methods.ProjectV1) {
	p = methods.ProjectV1{ID: uuid.New(), Name: "bench", Environments: []uuid.UUID{uuid.New(), uuid.New()}}
	srv := server.New(server.WithLogger(slog.New(slog.DiscardHandler)))
	err := srv.Handle(methods.GetProject{}, func(_ context.Context, in methods.GetProject) (methods.ProjectV1, error) {
		if in.ID != p.ID {
			return methods.ProjectV1{}, protocol.NotFound("no project %s", in.ID)
		}
		return p, nil
	})
	if err == nil {
		err = srv.Handle(methods.SetSetting{}, func(_ context.Context, in methods.SetSetting) (methods.Empty, error) {
			_, err := methods.EnvironmentSettings[in.ID].Normalize(in.Value)
			return methods.Empty{}, err
		})
	}
	if err != nil {
		b.Fatal(err)
	}
	benchHTTP = &http.Client{Transport: inProcess{srv}}
	base = "http://tagrpc.test"
	return base, client.New(base, client.WithHTTPClient(benchHTTP)), p
}

func BenchmarkClientGetProject(b *testing.B) {
	base, c, p := benchServer(b)
	url := base + "/api/v1/project/" + p.ID.String()
	runClientPair(b,
		func(ctx context.Context) error {
			_, err := c.GetProject(ctx, methods.GetProject{ID: p.ID})
			return err
		},
		func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Accept", "application/json")
			resp, err := benchHTTP.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			var out struct {
				Project methods.ProjectV1 `json:"project"`
			}
			return json.NewDecoder(resp.Body).Decode(&out)
		})
}

func BenchmarkClientSetSetting(b *testing.B) {
	base, c, _ := benchServer(b)
	e := methods.EnvironmentV1{ID: uuid.New()}
	url := base + "/api/v1/environment_settings/auto_deploy"
	runClientPair(b,
		func(ctx context.Context) error {
			_, err := c.SetSetting(ctx, methods.SetSetting{Tid: e.ID, ID: "auto_deploy", Value: json.RawMessage(`true`)})
			return err
		},
		func(ctx context.Context) error {
			body, err := json.Marshal(map[string]any{"value": json.RawMessage(`true`)})
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Inmanta-tid", e.ID.String())
			resp, err := benchHTTP.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			var out struct{}
			return json.NewDecoder(resp.Body).Decode(&out)
		})
}
