package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

const benchKeys = 100_000

func benchFleet(n int) []model.APIKey {
	ks := make([]model.APIKey, n)
	for i := range ks {
		ks[i] = model.APIKey{
			ID:         fmt.Sprintf("%08x-1c4e-4b8a-9f2d-%012x", i, i),
			Name:       fmt.Sprintf("key %d", i),
			Username:   fmt.Sprintf("user%d", i%5000),
			IsActive:   true,
			TotalCalls: model.Some(int64(i % 1000)),
			LastUsed:   model.Some(t0),
		}
	}
	return ks
}

// bump changes a tenth of the fleet (a different tenth on each call, by
// round), as a day of use would.
func bump(ks []model.APIKey, round int, at time.Time) {
	for i := round % 10; i < len(ks); i += 10 {
		v, _ := ks[i].TotalCalls.Get()
		ks[i].TotalCalls = model.Some(v + int64(1+i%50))
		ks[i].LastUsed = model.Some(at)
	}
}

// cpuTime is the CPU time this process has used (user and system), so a
// benchmark can report CPU per operation next to wall time: on a loaded
// machine the wall time also counts the time spent waiting for a core.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU milliseconds per operation since start,
// setup included when the timer was stopped for it.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func benchStore(b *testing.B) (*Store, string, *time.Time) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "history.db")
	now := t0
	return openAt(b, path, server, &now, Options{}), path, &now
}

// BenchmarkRecord100k records one read of 100,000 keys: the first read
// (every key new) and a later one where 10% of the keys changed.
func BenchmarkRecord100k(b *testing.B) {
	b.Run("first", func(b *testing.B) {
		ks := benchFleet(benchKeys)
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			s, _, _ := benchStore(b)
			start := cpuTime(b)
			b.StartTimer()
			if err := s.Record(context.Background(), t0, ks); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu += cpuTime(b) - start
			b.StartTimer()
		}
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	})
	b.Run("10pct-changed", func(b *testing.B) {
		ks := benchFleet(benchKeys)
		s, _, _ := benchStore(b)
		if err := s.Record(context.Background(), t0, ks); err != nil {
			b.Fatal(err)
		}
		round := 0
		var cpu time.Duration
		for b.Loop() {
			round++
			at := t0.Add(time.Duration(round) * time.Hour)
			b.StopTimer()
			bump(ks, round, at)
			start := cpuTime(b)
			b.StartTimer()
			if err := s.Record(context.Background(), at, ks); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu += cpuTime(b) - start
			b.StartTimer()
		}
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	})
}

// BenchmarkUsage100k computes the usage columns of 100,000 keys with 31
// days of daily reads behind them, 10% of the keys changing each day:
// "cold" reads and decodes the summary each time (the first call after a
// write, or in a new process), "cached" is a repeated call with no write in
// between, and "tables" is the SQL over the keys, observations and daily
// tables that the summary replaced, kept for comparison.
func BenchmarkUsage100k(b *testing.B) {
	ks := benchFleet(benchKeys)
	s, _, now := benchStore(b)
	ctx := context.Background()
	for d := 0; d <= 31; d++ {
		*now = t0.AddDate(0, 0, d)
		bump(ks, d, *now)
		if err := s.Record(ctx, *now, ks); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		usage func() (map[string]Usage, error)
	}{
		{"cold", func() (map[string]Usage, error) { s.setCache(nil); return s.Usage(ctx, *now, nil) }},
		{"cached", func() (map[string]Usage, error) { return s.Usage(ctx, *now, nil) }},
		{"tables", func() (map[string]Usage, error) { return s.usageFromTables(ctx, *now, nil) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var m map[string]Usage
			start := cpuTime(b)
			for b.Loop() {
				var err error
				if m, err = c.usage(); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
			if len(m) != benchKeys || m[ks[0].ID].Calls30d == nil {
				b.Fatalf("usage of %d keys, first %+v", len(m), m[ks[0].ID])
			}
		})
	}
}

// BenchmarkGrowthPerDay100k measures how much the file grows per day of
// reads of 100,000 keys, 10% of them changing each day, with one read a
// day and with a read every hour (the day's changes spread over them).
func BenchmarkGrowthPerDay100k(b *testing.B) {
	for _, perDay := range []int{1, 24} {
		b.Run(fmt.Sprintf("reads-per-day=%d", perDay), func(b *testing.B) {
			const days = 4
			ctx := context.Background()
			for b.Loop() {
				ks := benchFleet(benchKeys)
				s, path, now := benchStore(b)
				if err := s.Record(ctx, t0, ks); err != nil {
					b.Fatal(err)
				}
				start := fileSize(b, s, path)
				for d := range days {
					for r := range perDay {
						*now = t0.AddDate(0, 0, d+1).Add(time.Duration(r) * time.Hour)
						// Each read changes its share of the day's tenth.
						for i := (d % 10) + 10*r; i < len(ks); i += 10 * perDay {
							v, _ := ks[i].TotalCalls.Get()
							ks[i].TotalCalls = model.Some(v + int64(1+i%50))
						}
						if err := s.Record(ctx, *now, ks); err != nil {
							b.Fatal(err)
						}
					}
				}
				grown := fileSize(b, s, path) - start
				b.ReportMetric(float64(grown)/days/1e6, "MB/day")
			}
		})
	}
}

func fileSize(b *testing.B, s *Store, path string) int64 {
	b.Helper()
	if _, err := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkMemoryMillion measures the memory a million keys cost the
// store beyond the keys themselves: the peak while recording the first
// read, a later read (10% changed) and the usage of every key, and the
// heap the store still holds afterwards (its cached summary).
func BenchmarkMemoryMillion(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		ks := benchFleet(n)
		s, _, now := benchStore(b)
		base := liveHeap()
		b.StartTimer()
		for round, step := range []string{"first", "second", "usage"} {
			*now = t0.Add(time.Duration(round) * time.Hour)
			debug.FreeOSMemory()
			stop := samplePeak()
			var err error
			switch step {
			case "usage":
				var m map[string]Usage
				m, err = s.Usage(ctx, *now, nil)
				if err == nil && len(m) != n {
					err = fmt.Errorf("usage of %d keys", len(m))
				}
			default:
				bump(ks, round, *now)
				err = s.Record(ctx, *now, ks)
			}
			peak := stop()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(peak-min(peak, base))/(1<<20), step+"-peak-MiB")
		}
		b.ReportMetric(float64(liveHeap()-min(liveHeap(), base))/(1<<20), "held-MiB")
		runtime.KeepAlive(ks)
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// samplePeak samples the memory the Go runtime holds from the system
// (less what it released) every 5 ms until stop, which returns the peak.
func samplePeak() (stop func() uint64) {
	var peak uint64
	done, finished := make(chan struct{}), make(chan struct{})
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64()-s[1].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak }
}

// BenchmarkDashboardLoad100k is what the local dashboard does with each
// later load of 100,000 keys (a tenth of them changed): the store holds no
// summary between loads (cli's forgetful), so it records the load with
// the summary read back from the file, then reads every loaded key's usage.
// Its B/op is the garbage a refresh's recording makes, which sets how
// often the collector runs under the admin's key presses.
func BenchmarkDashboardLoad100k(b *testing.B) {
	ks := benchFleet(benchKeys)
	ids := make([]string, len(ks))
	for i := range ks {
		ids[i] = ks[i].ID
	}
	s, _, now := benchStore(b)
	ctx := context.Background()
	if err := s.Record(ctx, t0, ks); err != nil {
		b.Fatal(err)
	}
	round := 0
	start := cpuTime(b)
	for b.Loop() {
		round++
		b.StopTimer()
		*now = t0.Add(time.Duration(round) * time.Hour)
		bump(ks, round, *now)
		s.Forget()
		b.StartTimer()
		if err := s.Record(ctx, *now, ks); err != nil {
			b.Fatal(err)
		}
		n := 0
		err := s.UsageEach(ctx, *now, ids, func(int) {}, func(id string, u Usage) { n++ })
		if err != nil || n != len(ks) {
			b.Fatalf("usage of %d keys: %v", n, err)
		}
	}
	reportCPU(b, start)
}
