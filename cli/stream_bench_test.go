package cli

import (
	"fmt"
	"io"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// peakHeap samples the heap every millisecond until stop is called, which
// returns the highest reading in bytes. It reads the heap marked live by
// the last collection, not every object yet to be swept: garbage is what
// the collector's pacing leaves, while live bytes are what grows with the
// number of keys held.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	read := func() {
		metrics.Read(sample)
		mu.Lock()
		peak = max(peak, sample[0].Value.Uint64())
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		read()
		return peak
	}
}

// BenchmarkListAllJSON compares three ways of writing list --all -o json at
// 100,000 keys on the demo server: "collect", the collecting way the
// default order used to take (every key read, sorted, printed at once; run
// here through the same functions); "by-owner", today's default order
// (list --all -o json, owner by owner); and "unsorted" (list --all -o json
// --unsorted, page by page in the server's order). by-owner-csv is the
// default order as CSV. It reports the peak live heap and bytes allocated
// per key; the demo server runs in the same process, so its own 100,000
// keys are in the heap of all of them (base-heap-MiB) and the difference
// is what counts.
func BenchmarkListAllJSON(b *testing.B) {
	const n = 100_000
	srv := demoserver.New(demoserver.Options{Seed: 1, ExtraKeys: n})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := map[string]string{envAddress: hs.URL, envToken: demoserver.DemoToken}
	cli := func(args ...string) func() error {
		return func() error {
			code := Run(b.Context(), args, Env{
				Stdin: nil, Stdout: io.Discard, Stderr: io.Discard,
				Getenv:    func(k string) string { return env[k] },
				Now:       time.Now,
				StdinTTY:  func() bool { return false },
				StdoutTTY: func() bool { return false },
				StderrTTY: func() bool { return false },
			})
			if code != 0 {
				return fmt.Errorf("exit %d", code)
			}
			return nil
		}
	}
	collect := func() error {
		c, err := client.New(client.Config{Address: hs.URL, Token: model.NewSecret(demoserver.DemoToken)})
		if err != nil {
			return err
		}
		keys, err := c.ListAllKeys(b.Context())
		if err != nil {
			return err
		}
		now := time.Now()
		return printer{w: io.Discard, format: formatJSON, now: now}.keys(auditQuery{}.apply(keys, now))
	}
	for _, mode := range []struct {
		name string
		run  func() error
	}{
		{"collect", collect},
		{"by-owner", cli("list", "--all", "-o", "json")},
		{"by-owner-csv", cli("list", "--all", "-o", "csv")},
		{"unsorted", cli("list", "--all", "-o", "json", "--unsorted")},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var peak uint64
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			// Frequent collections, so the live heap is read often.
			defer debug.SetGCPercent(debug.SetGCPercent(20))
			b.ResetTimer()
			for range b.N {
				runtime.GC()
				stop := peakHeap()
				err := mode.run()
				peak = max(peak, stop())
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-MiB")
			// The heap before the run: mostly the demo server's keys.
			b.ReportMetric(float64(ms0.HeapAlloc)/(1<<20), "base-heap-MiB")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/n, "B-alloc/key")
		})
	}
}
