package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The press log names its run, then each press with its send time on
// CLOCK_MONOTONIC (the clock perf stamps events with), its ms and its
// phase; runs append to one file. Without the variable nothing is
// written.
func TestPressLog(t *testing.T) {
	if _, ok := monotonicNow(); !ok {
		t.Skip("no monotonic clock here: the press log is Linux's")
	}
	path := filepath.Join(t.TempDir(), "presses.log")
	t.Setenv(pressBenchLog, "")
	openPressLog(t, "unused")(time.Now(), 1, true, false)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("without %s a log was written: %v", pressBenchLog, err)
	}

	t.Setenv(pressBenchLog, path)
	log := openPressLog(t, `dashboard=1 bin="/a b"`)
	sent := time.Now().Add(-time.Second)
	log(sent, 12.3456, true, false)
	log(sent, 1, false, false)
	log(sent, 2, true, true)
	openPressLog(t, "dashboard=2")(time.Now(), 3, false, true)

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := []string{`run dashboard=1 bin="/a b"`, "12.346 refreshing", "1.000 after", "2.000 later", "run dashboard=2", "3.000 later"}
	if len(lines) != len(want) {
		t.Fatalf("log:\n%s\nwant %d lines", data, len(want))
	}
	now, _ := monotonicNow()
	for i, line := range lines {
		if strings.HasPrefix(want[i], "run ") {
			if line != want[i] {
				t.Errorf("line %d: %q, want %q", i, line, want[i])
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 || f[0] != "press" || strings.Join(f[2:], " ") != want[i] {
			t.Errorf("line %d: %q, want press TIME %s", i, line, want[i])
			continue
		}
		at, err := strconv.ParseFloat(f[1], 64)
		// The presses were sent a second ago (the last just now), on the
		// monotonic clock: within a second of that either way.
		ago := now.Seconds() - at
		if err != nil || ago < 0 || ago > 2.5 || (i < 4 && ago < 0.5) {
			t.Errorf("line %d: sent at %q, %.3f s before now on CLOCK_MONOTONIC; want about %v", i, f[1], ago, map[bool]string{true: "1 s", false: "0 s"}[i < 4])
		}
	}
}
