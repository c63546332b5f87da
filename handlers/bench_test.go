package handlers_test

// Benchmarks of the Collections API, each beside a hand-written baseline
// doing the same work without the framework, in the same run:
//
//	go test -run '^$' -bench Collection -benchtime 1x ./handlers
//
// They run on SQLite, and on PostgreSQL too when TAGRPC_TEST_POSTGRES is
// set. Seeding a million items takes a while; ordinary test runs skip all
// of this.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/julienschmidt/httprouter"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/server"
)

// benchDBs runs fn on SQLite and, when configured, PostgreSQL.
func benchDBs(b *testing.B, fn func(b *testing.B, db *data.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, datatest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, datatest.Postgres(b)) })
}

// benchCollection serves db and makes a collection with a token for it.
func benchCollection(b *testing.B, db *data.DB, name string) (base, auth string) {
	b.Helper()
	srv, err := handlers.NewServer(db, nil, server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	b.Cleanup(ts.Close)
	ctx := context.Background()
	p := data.Project{ID: uuid.New(), Name: "bench-" + name}
	if err := db.CreateProject(ctx, p); err != nil {
		b.Fatal(err)
	}
	if _, err := db.CreateCollection(ctx, name, p.ID); err != nil {
		b.Fatal(err)
	}
	secret, _, err := db.CreateCollectionToken(ctx, "run", p.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return ts.URL, "Bearer " + secret
}

func seed(b *testing.B, db *data.DB, coll string, n int) {
	b.Helper()
	const batch = 10000
	for start := 0; start < n; start += batch {
		items := make([]data.Item, min(batch, n-start))
		for i := range items {
			items[i] = data.Item{Key: fmt.Sprintf("item:%08d", start+i), Value: `{"n":` + fmt.Sprint(start+i) + `,"tag":"benchmark"}`}
		}
		if _, err := db.PutItems(context.Background(), coll, items); err != nil {
			b.Fatal(err)
		}
	}
}

// heapWatch samples the heap in use until stopped and returns the most it
// saw above where it started.
func heapWatch() (stop func() (peakMiB float64)) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	return func() float64 {
		close(done)
		wg.Wait()
		p := peak.Load()
		if p < base {
			return 0
		}
		return float64(p-base) / (1 << 20)
	}
}

// BenchmarkCollectionStream streams a million stored items to a client
// that discards them, and reports the time to the first byte, items/s,
// and the most heap in use above the idle server's (client included). The
// baseline scans the same rows with data.ScanItems and encodes them to
// nothing: the database's own pace.
func BenchmarkCollectionStream(b *testing.B) {
	const n = 1_000_000
	benchDBs(b, func(b *testing.B, db *data.DB) {
		base, auth := benchCollection(b, db, "stream")
		seed(b, db, "stream", n)
		b.ResetTimer()
		var ttfb, total, direct time.Duration
		var peak float64
		for i := 0; i < b.N; i++ {
			stop := heapWatch()
			t0 := time.Now()
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/collections/stream?limit=%d", base, n), nil)
			req.Header.Set("Authorization", auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			first := make([]byte, 1)
			if _, err := io.ReadFull(resp.Body, first); err != nil {
				b.Fatal(err)
			}
			ttfb += time.Since(t0)
			got, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || got < n*40 {
				b.Fatalf("streamed %d bytes: %v", got, err)
			}
			total += time.Since(t0)
			peak = max(peak, stop())

			t0 = time.Now()
			enc := json.NewEncoder(io.Discard)
			count := 0
			_, err = db.ScanItems(context.Background(), "stream", data.ItemFilter{}, "", n, func(it data.Item) error {
				count++
				return enc.Encode(methods.CollectionItem{Key: it.Key, Value: it.Value, Created: methods.Timestamp(it.Created), Updated: methods.Timestamp(it.Updated)})
			})
			if err != nil || count != n {
				b.Fatalf("scanned %d: %v", count, err)
			}
			direct += time.Since(t0)
		}
		per := float64(b.N)
		b.ReportMetric(ttfb.Seconds()*1000/per, "ttfb-ms")
		b.ReportMetric(n*per/total.Seconds(), "items/s")
		b.ReportMetric(n*per/direct.Seconds(), "baseline-items/s")
		b.ReportMetric(total.Seconds()/direct.Seconds(), "ratio")
		b.ReportMetric(peak, "peak-heap-MiB")
	})
}

// BenchmarkCollectionBulkUpsert posts 100,000 items in batches of 1,000
// and reports items/s, beside data.PutItems called directly with the same
// batches.
func BenchmarkCollectionBulkUpsert(b *testing.B) {
	const n, batch = 100_000, 1000
	benchDBs(b, func(b *testing.B, db *data.DB) {
		base, auth := benchCollection(b, db, "bulk")
		bodies := make([][]byte, 0, n/batch)
		batches := make([][]data.Item, 0, n/batch)
		for start := 0; start < n; start += batch {
			var items []methods.ItemKeyValue
			var ditems []data.Item
			for i := start; i < start+batch; i++ {
				k, v := fmt.Sprintf("bulk:%08d", i), fmt.Sprintf(`{"n":%d}`, i)
				items = append(items, methods.ItemKeyValue{Key: k, Value: v})
				ditems = append(ditems, data.Item{Key: "direct" + k, Value: v}) // inserts too, not updates
			}
			body, _ := json.Marshal(map[string]any{"items": items})
			bodies = append(bodies, body)
			batches = append(batches, ditems)
		}
		b.ResetTimer()
		var viaHTTP, direct time.Duration
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			for _, body := range bodies {
				req, _ := http.NewRequest("POST", base+"/collections/bulk", bytes.NewReader(body))
				req.Header.Set("Authorization", auth)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			viaHTTP += time.Since(t0)
			t0 = time.Now()
			for _, items := range batches {
				if _, err := db.PutItems(context.Background(), "bulk", items); err != nil {
					b.Fatal(err)
				}
			}
			direct += time.Since(t0)
		}
		per := float64(b.N)
		b.ReportMetric(n*per/viaHTTP.Seconds(), "items/s")
		b.ReportMetric(n*per/direct.Seconds(), "baseline-items/s")
		b.ReportMetric(viaHTTP.Seconds()/direct.Seconds(), "ratio")
	})
}

// BenchmarkCollectionGetByKey has 16 clients get random keys of 10,000 and
// reports the p50 and p99 latency, beside a hand-written httprouter
// handler doing the same lookup with the same token check and encoding.
func BenchmarkCollectionGetByKey(b *testing.B) {
	const keys, clients, perClient = 10_000, 16, 500
	benchDBs(b, func(b *testing.B, db *data.DB) {
		base, auth := benchCollection(b, db, "lookup")
		seed(b, db, "lookup", keys)
		hand := httprouter.New()
		hand.GET("/collections/:name/:key", func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
			token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			tok, err := db.LookupCollectionToken(r.Context(), token)
			if err != nil {
				http.Error(w, `{"error":"Unauthorized"}`, 401)
				return
			}
			c, err := db.Collection(r.Context(), ps.ByName("name"))
			if err != nil || c.ProjectID != tok.ProjectID {
				http.Error(w, `{"error":"Not Found"}`, 404)
				return
			}
			it, err := db.Item(r.Context(), ps.ByName("name"), ps.ByName("key"))
			if err != nil {
				w.WriteHeader(204)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(methods.CollectionItem{Key: it.Key, Value: it.Value, Created: methods.Timestamp(it.Created), Updated: methods.Timestamp(it.Updated)})
		})
		hs := httptest.NewServer(hand)
		b.Cleanup(hs.Close)
		run := func(base string) (p50, p99 time.Duration) {
			var mu sync.Mutex
			var lat []time.Duration
			var wg sync.WaitGroup
			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func(c int) {
					defer wg.Done()
					mine := make([]time.Duration, 0, perClient)
					for i := 0; i < perClient; i++ {
						req, _ := http.NewRequest("GET", fmt.Sprintf("%s/collections/lookup/item:%08d", base, (c*7919+i*104729)%keys), nil)
						req.Header.Set("Authorization", auth)
						t0 := time.Now()
						resp, err := hc.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						mine = append(mine, time.Since(t0))
						if resp.StatusCode != 200 {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}(c)
			}
			wg.Wait()
			slices.Sort(lat)
			return lat[len(lat)/2], lat[len(lat)*99/100]
		}
		b.ResetTimer()
		var t50, t99, h50, h99 time.Duration
		for i := 0; i < b.N; i++ {
			// Alternate which goes first, so drift weighs on both.
			if i%2 == 0 {
				a50, a99 := run(base)
				c50, c99 := run(hs.URL)
				t50, t99, h50, h99 = t50+a50, t99+a99, h50+c50, h99+c99
			} else {
				c50, c99 := run(hs.URL)
				a50, a99 := run(base)
				t50, t99, h50, h99 = t50+a50, t99+a99, h50+c50, h99+c99
			}
		}
		per := float64(b.N)
		b.ReportMetric(float64(t50.Microseconds())/per, "p50-µs")
		b.ReportMetric(float64(t99.Microseconds())/per, "p99-µs")
		b.ReportMetric(float64(h50.Microseconds())/per, "baseline-p50-µs")
		b.ReportMetric(float64(h99.Microseconds())/per, "baseline-p99-µs")
		b.ReportMetric(float64(t50)/float64(h50), "p50-ratio")
	})
}
