package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/store"
)

// TestConcurrentLoadMemory measures the dashboard under load: 8 overviews
// for 8 different as-of dates requested at once, on a large trust. It
// needs a database to read: PREVENT_WEB_LOAD_DB names one (`make
// web-load-data` builds a 30,000-person trust), with PREVENT_WEB_LOAD_CONFIG
// its config (default prevent.example.yaml); without it the test is
// skipped. It logs the peak heap, the peak of all memory the Go runtime
// holds, the process's peak RSS (which counts SQLite's own memory too) and
// the slowest answer, and fails when the process passes 400 MB.
func TestConcurrentLoadMemory(t *testing.T) {
	s, cfg := loadTrust(t)
	concurrent := 8
	if v, err := strconv.Atoi(os.Getenv("PREVENT_WEB_LOAD_N")); err == nil && v > 0 {
		concurrent = v
	}
	srv, _ := testServer(t, s, cfg, false)

	runtime.GC()
	var peakHeap, peakTotal atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			if v := samples[0].Value.Uint64(); v > peakHeap.Load() {
				peakHeap.Store(v)
			}
			if v := samples[1].Value.Uint64(); v > peakTotal.Load() {
				peakTotal.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	var slowest atomic.Int64
	for i := range concurrent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := time.Now()
			u := fmt.Sprintf("%s/?as_of=2026-10-%02d", srv.URL, i+1)
			resp, err := http.Get(u)
			if err != nil {
				t.Error(err)
				return
			}
			r := read(t, resp)
			if r.status != http.StatusOK || !strings.Contains(r.body, "Compliance by level") {
				t.Errorf("%s: status %d", u, r.status)
			}
			if d := int64(time.Since(began)); d > slowest.Load() {
				slowest.Store(d)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(stop)
	<-sampled

	const mb = 1 << 20
	t.Logf("%d concurrent overviews for different dates: all answered in %s (slowest %s); peak heap %d MB, peak runtime memory %d MB, process peak RSS %d MB",
		concurrent, took.Round(time.Millisecond), time.Duration(slowest.Load()).Round(time.Millisecond),
		peakHeap.Load()/mb, peakTotal.Load()/mb, peakRSS()/1024)
	peak := peakRSS()
	if peak == 0 {
		peak = peakTotal.Load() / 1024
	}
	if peak > 400*1024 {
		t.Errorf("the process held %d MB at its peak, over 400 MB", peak/1024)
	}
}

// peakRSS is the process's peak resident set in KB (VmHWM), 0 where Linux
// does not say.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

func TestHeavyWorkIsBoundedAndShared(t *testing.T) {
	st, cfg := demoStore(t)
	t.Run("requests for the same date share one computation", func(t *testing.T) {
		s, err := newServer(Options{Store: st, Config: cfg, Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.load(context.Background(), testNow); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := s.computed.Load(); n != 1 {
			t.Errorf("8 concurrent loads of one date computed %d positions, want 1", n)
		}
	})
	t.Run("at most maxLoads run at once, the rest wait their turn", func(t *testing.T) {
		l := newLoads(maxLoads)
		var active, most atomic.Int64
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := l.do(context.Background(), strconv.Itoa(i), func(context.Context) (any, error) {
					n := active.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(20 * time.Millisecond)
					active.Add(-1)
					return i, nil
				})
				if err != nil || v.(int) != i {
					t.Errorf("load %d: %v, %v", i, v, err)
				}
			}()
		}
		wg.Wait()
		if m := most.Load(); m > maxLoads || m < 1 {
			t.Errorf("%d ran at once, want at most %d", m, maxLoads)
		}
	})
	t.Run("a request that gives up leaves the others their answer", func(t *testing.T) {
		l := newLoads(1)
		release := make(chan struct{})
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			_, err := l.do(ctx, "k", func(context.Context) (any, error) { <-release; return 1, nil })
			got <- err
		}()
		time.Sleep(10 * time.Millisecond)
		other := make(chan any, 1)
		go func() {
			v, _ := l.do(context.Background(), "k", nil) // shares the first's call
			other <- v
		}()
		time.Sleep(10 * time.Millisecond)
		cancel()
		if err := <-got; err == nil {
			t.Error("the request that gave up got no error")
		}
		close(release)
		if v := <-other; v != 1 {
			t.Errorf("the request still waiting got %v, want 1", v)
		}
	})
	t.Run("a request after everyone gave up starts afresh", func(t *testing.T) {
		l := newLoads(1)
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		go func() {
			_, _ = l.do(ctx, "k", func(ctx context.Context) (any, error) {
				close(started)
				<-ctx.Done()
				time.Sleep(20 * time.Millisecond) // still winding down when the next comes
				return nil, ctx.Err()
			})
		}()
		<-started
		cancel()
		time.Sleep(5 * time.Millisecond)
		v, err := l.do(context.Background(), "k", func(context.Context) (any, error) { return 2, nil })
		if err != nil || v != 2 {
			t.Errorf("got %v, %v; want 2 from a computation of its own", v, err)
		}
	})
	t.Run("a return file is built once per quarter and data", func(t *testing.T) {
		h, err := newServer(Options{Store: st, Config: cfg, Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h.handler())
		defer srv.Close()
		var first string
		for i := range 3 {
			resp, err := http.Get(srv.URL + "/returns/2026-27Q2.xlsx")
			if err != nil {
				t.Fatal(err)
			}
			r := read(t, resp)
			if r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			if i == 0 {
				first = r.body
			} else if r.body != first {
				t.Error("the second download differs from the first")
			}
		}
		if n := h.computed.Load(); n != 1 {
			t.Errorf("three downloads built the return %d times, want 1", n)
		}
	})
}

// loadTrust opens the large trust the load measurements read:
// PREVENT_WEB_LOAD_DB names its database (`make web-load-data` builds a
// 30,000-person trust) and PREVENT_WEB_LOAD_CONFIG its config (default
// prevent.example.yaml); without a database the test is skipped.
func loadTrust(t *testing.T) (*store.Store, *config.Config) {
	t.Helper()
	dsn := os.Getenv("PREVENT_WEB_LOAD_DB")
	if dsn == "" {
		t.Skip("PREVENT_WEB_LOAD_DB names no database (make web-load-data builds one)")
	}
	cfgPath := os.Getenv("PREVENT_WEB_LOAD_CONFIG")
	if cfgPath == "" {
		cfgPath = demoConfig
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg
}
