package cli

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/keytable"
)

// tableKeys are b's keys as a table shows them, in arrival order.
func tableKeys(b *keytable.Builder) []model.APIKey {
	m := keytable.New(commontest.Common())
	m.SetRows(m.PrepareBuilt(b)())
	var out []model.APIKey
	for k := range m.KeysSnapshot() {
		kk := *k
		if k.Expires != nil {
			e := *k.Expires
			kk.Expires = &e
		}
		out = append(out, kk)
	}
	return out
}

// The built program reads and builds a refresh as the dashboard's helper:
// the table it hands over holds every key the server lists, as the client
// reads them in this process, and its count came as progress.
func TestRefreshHelperBuildsWhatTheServerLists(t *testing.T) {
	for _, omit := range []bool{false, true} {
		ts := newTestServer(t, demoserver.Options{Seed: 1, ExtraKeys: 2500, OmitEmpty: omit})
		c := ts.adminClient(t, 10*time.Second)
		var want []model.APIKey
		if err := c.StreamKeys(context.Background(), "", func(p []model.APIKey) { want = append(want, p...) }); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		r := newHelperRefresher(binPath, c.Config(), &stderr)
		gated, counted := 0, 0
		b, err := r.Refresh(context.Background(), "", time.Now(), 10, func(n int) { counted += n }, func(f func()) { gated++; f() })
		if err != nil {
			t.Fatalf("omit=%v: %v (helper's stderr %q)", omit, err, stderr.String())
		}
		got := tableKeys(b)
		if len(got) != len(want) || counted != len(want) || gated != 1 {
			t.Fatalf("omit=%v: %d keys, %d counted, taken over %d times; the server lists %d", omit, len(got), counted, gated, len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("omit=%v: key %d\n%+v\nwant\n%+v", omit, i, got[i], want[i])
			}
		}
		if strings.Contains(stderr.String(), demoserver.DemoToken) {
			t.Error("the token reached the helper's stderr")
		}
		// One user's keys: only theirs.
		b, err = r.Refresh(context.Background(), "erin", time.Now(), 0, func(int) {}, func(f func()) { f() })
		if err != nil {
			t.Fatal(err)
		}
		erin := tableKeys(b)
		if len(erin) == 0 {
			t.Fatal("no keys of erin")
		}
		for _, k := range erin {
			if k.Username != "erin" {
				t.Fatalf("a key of %q in erin's refresh", k.Username)
			}
		}
	}
}

// A server's refusal comes back in the words the dashboard gives it in
// its own process; nothing is read again.
func TestRefreshHelperSaysWhatTheServerSaid(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Seed: 1})
	bad, err := client.New(client.Config{Address: ts.URL, Token: model.NewSecret("sk-not-the-admin-token-000000000000000000")})
	if err != nil {
		t.Fatal(err)
	}
	here := bad.StreamKeys(context.Background(), "", func([]model.APIKey) {})
	if here == nil {
		t.Fatal("the bad token listed keys")
	}
	before, _ := ts.log.counts()
	_, err = newHelperRefresher(binPath, bad.Config(), &bytes.Buffer{}).Refresh(context.Background(), "", time.Now(), 0, func(int) {}, func(f func()) { f() })
	if err == nil || errors.Is(err, ui.ErrRefreshHere) {
		t.Fatalf("got %v, want the server's refusal", err)
	}
	if got, want := ui.DescribeError(err), ui.DescribeError(here); got != want {
		t.Errorf("the helper says %q; in this process %q", got, want)
	}
	if after, _ := ts.log.counts(); after-before != 1 {
		t.Errorf("%d requests for one refused listing", after-before)
	}

	// Pages that fail after their retries: the same words too.
	ts.srv.Inject(demoserver.Fault{Method: "GET", Path: "/api/v1/admin/api_keys", Kind: demoserver.FaultStatus, Status: 503})
	c := ts.adminClient(t, 5*time.Second)
	here = c.StreamKeys(context.Background(), "", func([]model.APIKey) {})
	_, err = newHelperRefresher(binPath, c.Config(), &bytes.Buffer{}).Refresh(context.Background(), "", time.Now(), 0, func(int) {}, func(f func()) { f() })
	if here == nil || err == nil || ui.DescribeError(err) != ui.DescribeError(here) {
		t.Errorf("503s: the helper says %v; in this process %v", err, here)
	}
}

// A helper that cannot start, or that ends without an answer, hands the
// refresh back to the dashboard's process; a cancelled refresh ends the
// helper at once.
func TestRefreshHelperFallsBackAndStops(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Seed: 1, Latency: 2 * time.Second})
	cfg := ts.adminClient(t, 10*time.Second).Config()
	gate := func(f func()) { f() }
	for _, exe := range []string{filepath.Join(t.TempDir(), "no-such-program"), mustLook(t, "true")} {
		_, err := newHelperRefresher(exe, cfg, &bytes.Buffer{}).Refresh(context.Background(), "", time.Now(), 0, func(int) {}, gate)
		if !errors.Is(err, ui.ErrRefreshHere) {
			t.Errorf("%s as the helper: %v, want ErrRefreshHere", filepath.Base(exe), err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	r := newHelperRefresher(binPath, cfg, &bytes.Buffer{})
	go func() {
		time.Sleep(500 * time.Millisecond) // the helper waits on the server's latency
		cancel()
	}()
	start := time.Now()
	_, err := r.Refresh(ctx, "", time.Now(), 0, func(int) {}, gate)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if d := time.Since(start); d > 1900*time.Millisecond {
		t.Errorf("a cancelled refresh took %s", d)
	}
}

func mustLook(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s: %v", name, err)
	}
	return p
}
