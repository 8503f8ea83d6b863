package cli

import (
	"context"
	"errors"
	"testing"
	"time"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// An SSH session's reads end with the session, but not inside a change
// span: there a read is the change's read back, which must outlive the
// session for the audit log to hold the change's true outcome.
func TestSessionReadBackOutlivesSession(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	c, err := client.New(client.Config{Address: ts.URL, Token: model.NewSecret(demoserver.DemoToken), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sess, endSession := context.WithCancel(context.Background())
	api := &sessionAPI{API: c, sess: sess, begin: func() (func(), error) { return func() {}, nil }}
	endSession()
	read := func() error {
		return api.StreamKeys(context.Background(), "alice", func([]model.APIKey) {})
	}
	if err := read(); !errors.Is(err, context.Canceled) {
		t.Errorf("a read after the session ended: %v, want it cancelled", err)
	}
	// A change opens the span (its answer does not matter here).
	_ = api.Delete(context.Background(), "no-such-key")
	if err := read(); err != nil {
		t.Errorf("the change's read back after the session ended: %v", err)
	}
	api.release()
	if err := read(); !errors.Is(err, context.Canceled) {
		t.Errorf("a read after the change span closed: %v, want it cancelled", err)
	}
}
