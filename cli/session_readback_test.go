package cli

import (
	"context"
	"errors"
	"testing"
	"time"

	"h2ogpte-keys/change"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// An SSH session's reads end with the session, but not a change's read
// back on a context of its own (the change was under way when the session
// ended): it must outlive the session for the audit log to hold the
// change's true outcome.
func TestSessionReadBackOutlivesSession(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	c := ts.adminClient(t, 10*time.Second)
	sess, endSession := context.WithCancel(context.Background())
	api := &sessionAPI{API: c, sess: sess, begin: func() (func(), error) { return func() {}, nil }}
	endSession()
	if err := api.StreamKeys(context.Background(), "alice", func([]model.APIKey) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("a read after the session ended: %v, want it cancelled", err)
	}
	// The change pipeline's read back of a delete under way when the
	// session (and the dashboard's context with it) ended: the server
	// acted, its answer was held.
	ts.srv.Inject(demoserver.Fault{Method: "DELETE", Path: "/api/v1/admin/api_keys/*", Kind: demoserver.FaultActThenDelay, Delay: time.Minute, Times: 1})
	k := serverKeys(t, ts, "alice")[0]
	dash, endDash := context.WithCancel(context.Background())
	defer endDash()
	done := make(chan change.Report, 1)
	go func() {
		rep, _ := change.NewRunner(api, change.Options{Concurrency: 1}).Run(dash, change.Delete(), []model.APIKey{k})
		done <- rep
	}()
	for deadline := time.Now().Add(10 * time.Second); len(keysWithID(serverKeys(t, ts, "alice"), k.ID)) == 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the delete never reached the server")
		}
	}
	endDash()
	rep := <-done
	if r := rep.Results[0]; r.Outcome != model.Done || !r.ReadBack {
		t.Errorf("the delete under way when the session ended: %v (read back %v, %v), want done, read back", r.Outcome, r.ReadBack, r.Err)
	}
}

// keysWithID is the keys of keys with that id.
func keysWithID(keys []model.APIKey, id string) []model.APIKey {
	var out []model.APIKey
	for _, k := range keys {
		if k.ID == id {
			out = append(out, k)
		}
	}
	return out
}
