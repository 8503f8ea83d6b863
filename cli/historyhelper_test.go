package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui"
)

func helperStore(t *testing.T) *history.Store {
	t.Helper()
	st, err := history.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"), "https://h2ogpte.example", history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// readKeys are n keys as read at hour h, key 0 quiet until hour 30 and
// then busy (a spike once the history covers days).
func readKeys(n, h int) []*model.APIKey {
	out := make([]*model.APIKey, n)
	for i := range out {
		calls := int64(i * h)
		if i == 0 && h > 200 {
			calls = int64(50000 * (h - 200))
		}
		out[i] = &model.APIKey{ID: fmt.Sprintf("k%03d", i), Name: "n", Username: "bob", IsActive: true, TotalCalls: model.Some(calls)}
	}
	return out
}

// The built program records a read as the dashboard's helper: the file
// the dashboard holds open sees the keys, and the usage that shows comes
// back.
func TestHistoryHelperRecordsAndAnswers(t *testing.T) {
	st := helperStore(t)
	var stderr bytes.Buffer
	h := newHelperHistory(st, binPath, &stderr)
	ctx := context.Background()
	// The reads start at a UTC noon: the spike needs history from the
	// start of its baseline's first whole day, which reads starting at
	// 01:00-10:59 would miss (judged "none" for lack of evidence, as
	// designed). With time.Now() the test failed from 13:00 to 23:00 UTC.
	base := time.Now().UTC().Truncate(24 * time.Hour).Add(-300 * time.Hour)
	var last map[string]history.Usage
	for _, hour := range []int{0, 100, 199, 200, 205} {
		last = map[string]history.Usage{}
		err := h.RecordUsage(ctx, base.Add(time.Duration(hour)*time.Hour), slices.Values(readKeys(20, hour)), func(id string, u history.Usage) {
			last[id] = u
		})
		if err != nil {
			t.Fatalf("hour %d: %v (helper's stderr %q)", hour, err, stderr.String())
		}
	}
	if u, ok := last["k000"]; !ok || u.Change != history.ChangeSpike {
		t.Errorf("k000's usage from the helper: %+v (%v); want a spike", u, ok)
	}
	for id, u := range last {
		if !ui.UsageShown(u) {
			t.Errorf("%s: usage with nothing to show was sent: %+v", id, u)
		}
	}
	n := 0
	if err := st.UsageEach(ctx, time.Now(), nil, func(int) {}, func(string, history.Usage) { n++ }); err != nil {
		t.Fatal(err)
	}
	if n != 20 {
		t.Errorf("the dashboard's store sees %d keys recorded, want 20", n)
	}
}

// A helper that cannot start leaves the recording to the dashboard's
// process; one that fails says why.
func TestHistoryHelperFailures(t *testing.T) {
	st := helperStore(t)
	ctx := context.Background()
	keys := slices.Values(readKeys(3, 1))

	h := newHelperHistory(st, filepath.Join(t.TempDir(), "no-such-program"), &bytes.Buffer{})
	if err := h.RecordUsage(ctx, time.Now(), keys, func(string, history.Usage) {}); !errors.Is(err, ui.ErrRecordHere) {
		t.Errorf("helper missing: %v, want ui.ErrRecordHere", err)
	}

	// A history the helper cannot open: a directory where the file
	// should be.
	h = newHelperHistory(st, binPath, &bytes.Buffer{})
	dir := t.TempDir()
	h.argv[slices.Index(h.argv, "--path")+1] = dir
	err := h.RecordUsage(ctx, time.Now(), keys, func(string, history.Usage) {})
	if err == nil || !strings.Contains(err.Error(), "not recorded: open history") {
		t.Errorf("helper on a directory: %v, want the helper's open error", err)
	}

	// A helper that ends without reading (here `true`): the keys never
	// reached it whole, so the read is reported as not recorded.
	if truePath, err := exec.LookPath("true"); err == nil {
		h = newHelperHistory(st, truePath, &bytes.Buffer{})
		h.argv = h.argv[:1]
		err := h.RecordUsage(ctx, time.Now(), slices.Values(readKeys(50000, 1)), func(string, history.Usage) {})
		if err == nil || !strings.HasPrefix(err.Error(), "not recorded: the keys could not be sent") {
			t.Errorf("helper that read nothing: %v, want not recorded", err)
		}
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	h = newHelperHistory(st, binPath, &bytes.Buffer{})
	if err := h.RecordUsage(cctx, time.Now(), keys, func(string, history.Usage) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v, want context.Canceled", err)
	}
}

// The helper's environment has no admin token: it never talks to the
// server. Nor the mark of a helper started again: a dashboard that has it
// must not keep its helpers from lowering their priority.
func TestHelperEnvHasNoToken(t *testing.T) {
	env := helperEnv([]string{"HOME=/h", envToken + "=sk-secret", "H2OGPTE_ADDRESS=https://x", envToken + "_OTHER=y", reexecEnv + "=1"})
	want := []string{"HOME=/h", "H2OGPTE_ADDRESS=https://x", envToken + "_OTHER=y"}
	if !slices.Equal(env, want) {
		t.Errorf("helper env %q, want %q", env, want)
	}
}

// Two recordings at once (a refresh while the last one's helper still
// works) both end: the second helper starts once the first has ended,
// instead of meeting it at the file's lock, whose busy timeout (here 1 ms)
// the first can outlast.
func TestHistoryHelpersTakeTurns(t *testing.T) {
	st, err := history.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"), "https://h2ogpte.example",
		history.Options{BusyTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := newHelperHistory(st, binPath, &bytes.Buffer{})
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			errs <- h.RecordUsage(context.Background(), time.Now().Add(time.Duration(i)*time.Hour), slices.Values(readKeys(30000, i)), func(string, history.Usage) {})
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
