package ui

import (
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
)

// esc stops every load, the users' too: "loading users…" ends at once,
// the picker that waited for them does not open, and u loads them again.
func TestJourneyEscStopsUsersLoad(t *testing.T) {
	j := startJourneyOn(t, demoserver.Options{Latency: time.Minute}, nil, Options{})
	j.waitText("esc stop loading") // the help offers it while users load
	j.key("esc")
	j.waitText("Stopped loading users")
	a := j.quit()
	if a.status.Busy() || a.usersLoading || a.liveReads() {
		t.Errorf("still loading after esc: busy %v, users %v", a.status.Busy(), a.usersLoading)
	}
	if len(a.dialogs) != 0 {
		t.Errorf("a dialog opened after the load was stopped: %T", a.dialogs[0].d)
	}
	if v := plainView(a); strings.Contains(v, "loading users…") {
		t.Errorf("the screen still says loading users:\n%s", v)
	}
}

// A server that ignores offset repeats its first page for ever: the
// client stops with ErrPaging, and the status bar says so in words.
func TestJourneyEndlessPaging(t *testing.T) {
	j := startJourneyOn(t, demoserver.Options{ExtraKeys: 300}, nil, Options{User: "user0001"})
	// The first load ends before the fault: an enter or a key pressed
	// while it ran could land on a loaded table and open a key's menu.
	j.waitText("126 keys")
	j.srv.Inject(demoserver.Fault{Method: "GET", Path: "/api/v1/admin/api_keys", Kind: demoserver.FaultIgnoreOffset})
	j.key("r")
	j.waitText("listing does not end")
	a := j.quit()
	text, isErr := a.status.Notice()
	if !isErr || !strings.Contains(text, "could not load the keys of") || !strings.Contains(text, "may be incomplete") {
		t.Errorf("notice %q (error %v)", text, isErr)
	}
	if a.load != nil {
		t.Error("the load is still running")
	}
}
