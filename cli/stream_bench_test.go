package cli

import (
	"io"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
)

// peakHeap samples the live heap every millisecond until stop is called,
// which returns the highest reading in bytes.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
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

// BenchmarkListAllJSON compares today's list --all -o json (collect every
// key, sort, print) with list --all -o json --unsorted (write each page as
// it arrives) at 100,000 keys on the demo server, through the in-process
// command line. It reports the peak live heap and bytes allocated per key;
// the demo server runs in the same process, so its own 100,000 keys are in
// the heap of both and the difference is what counts.
func BenchmarkListAllJSON(b *testing.B) {
	const n = 100_000
	srv := demoserver.New(demoserver.Options{Seed: 1, ExtraKeys: n})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := map[string]string{envAddress: hs.URL, envToken: demoserver.DemoToken}
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"collect", []string{"list", "--all", "-o", "json"}},
		{"stream", []string{"list", "--all", "-o", "json", "--unsorted"}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var peak uint64
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			b.ResetTimer()
			for range b.N {
				runtime.GC()
				stop := peakHeap()
				code := Run(b.Context(), mode.args, Env{
					Stdin: nil, Stdout: io.Discard, Stderr: io.Discard,
					Getenv:    func(k string) string { return env[k] },
					Now:       time.Now,
					StdinTTY:  func() bool { return false },
					StdoutTTY: func() bool { return false },
					StderrTTY: func() bool { return false },
				})
				peak = max(peak, stop())
				if code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			// The heap before the run: mostly the demo server's keys.
			b.ReportMetric(float64(ms0.HeapAlloc)/(1<<20), "base-heap-MiB")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/n, "B-alloc/key")
		})
	}
}
