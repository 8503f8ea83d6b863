//go:build !linux

package cli

import "time"

// monotonicNow is not read outside Linux, where the press log
// (H2OGPTE_KEYS_BENCH_PRESSLOG) fails the benchmark: perf is Linux's.
func monotonicNow() (time.Duration, bool) { return 0, false }
