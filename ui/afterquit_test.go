package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"h2ogpte-keys/demoserver"
)

// Quitting while a delete is on its way: the dashboard ends at once, and
// ReportAfterQuit (what Run writes to the terminal afterwards) reads the
// key back and says it was deleted, instead of the outcome being lost.
func TestJourneyQuitWithChangeUnderWay(t *testing.T) {
	j := startJourney(t, nil, Options{User: "alice"})
	j.waitText("8 keys")
	target := j.keysOf("alice")["old-laptop"] // the first row
	// The server deletes it, then holds its answer.
	j.srv.Inject(demoserver.Fault{Method: "DELETE", Path: "/api/v1/admin/api_keys/" + target.ID, Kind: demoserver.FaultActThenDelay, Delay: time.Minute, Times: 1})
	j.key("space")
	j.waitText("D Delete (1 selected)")
	j.key("D")
	j.waitText("Delete key old-laptop?")
	j.key("right")
	j.key("enter")
	j.waitText("Deleting")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, ok := j.keysOf("alice")["old-laptop"]; !ok {
			break // acted; its answer is held
		}
		if time.Now().After(deadline) {
			t.Fatal("the delete never reached the server")
		}
	}
	// The read back after the quit (a listing of alice's keys) is slow,
	// so the dashboard has closed while it runs.
	j.srv.Inject(demoserver.Fault{Method: "GET", Path: "/api/v1/admin/api_keys", Kind: demoserver.FaultActThenDelay, Delay: time.Second, Times: 1})
	j.key("q")
	a := j.tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*App)
	var out bytes.Buffer
	start := time.Now()
	a.ReportAfterQuit(context.Background(), &out)
	got := out.String()
	for _, want := range []string{
		"h2ogpte-keys: 1 change under way at quit: reading back what was sent",
		"h2ogpte-keys: after quit: delete of key old-laptop (" + target.ID + ") of alice: done\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("after quit:\n%s\nlacks %q", got, want)
		}
	}
	if strings.Contains(got, "did not finish") {
		t.Errorf("after quit:\n%s", got)
	}
	if d := time.Since(start); d > 12*time.Second {
		t.Errorf("the read back took %v", d)
	}
}
