package ui

import (
	"net/http"
	"testing"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/ui/components/actions"
)

// The same audit against both spellings of an empty field (null, or left
// out): quick filter 2 finds the same never-used keys, their details say
// "never", and removing an expiry under the 90-day limit is sent and
// reported with what the server stored.
func TestJourneySpellings(t *testing.T) {
	for _, omit := range []bool{false, true} {
		name := "null"
		if omit {
			name = "left_out"
		}
		t.Run(name, func(t *testing.T) {
			j := startJourneyOn(t, demoserver.Options{OmitEmpty: omit}, nil, Options{})
			j.waitText("All users") // the picker's first entry: it is open
			j.key("enter")
			j.waitAll("User: All users ▾", "24 keys")
			j.key("2")
			j.waitText("5 of 24 shown")
			j.key("enter")
			j.waitAll("Last used", "never")
			j.key("esc")
			j.quit()

			// alice's laptop expires; remove its expiry under the limit.
			j = startJourneyOn(t, demoserver.Options{OmitEmpty: omit}, nil, Options{User: "alice"})
			j.waitText("8 keys")
			j.key("j")
			j.key("j") // laptop
			j.key("enter")
			j.waitText("Edit expiry")
			j.key("enter")
			j.waitText("Server limit: 90 days")
			j.tm.Type("never")
			j.waitText("the key will never expire")
			j.key("enter")
			j.waitText("Expiry of laptop removed (the server stored: never expires)")
			j.quit()
			if k := j.keysOf("alice")["laptop"]; k.Expires != nil {
				t.Errorf("laptop still expires %v", k.Expires)
			}
		})
	}
}

// An older server: keys without usage fields. Quick filter 2 matches none
// and says how many keys it could not judge; details say "not reported".
func TestJourneyOldServer(t *testing.T) {
	j := startJourneyOn(t, demoserver.Options{OldServer: true}, nil, Options{User: "alice"})
	j.waitText("8 keys")
	j.key("2")
	j.waitAll("0 of 8 shown", "8 keys have unknown usage")
	j.key("2")
	j.key("j")
	j.key("enter")
	j.waitAll("Last used", "not reported")
	j.quit()
}

// A server from before inactivity intervals answers 405: the dashboard
// says so in words and stops offering the action.
func TestJourneyInactivityUnsupported(t *testing.T) {
	j := startJourneyOn(t, demoserver.Options{InactivityStatus: http.StatusMethodNotAllowed}, nil, Options{User: "alice"})
	j.waitText("8 keys")
	j.key("j") // ci-pipeline
	j.key("enter")
	j.waitText("Edit inactivity interval")
	j.key("i")
	j.waitText("days, or none")
	j.tm.Type("45")
	j.key("enter")
	j.waitText("this server does not support inactivity intervals")
	a := j.quit()
	if !a.noInactivity {
		t.Fatal("the dashboard still offers inactivity intervals")
	}
	menu := a.withoutUnsupported(newActionsFor(a))
	for _, act := range menu.Actions() {
		if act.String() == "Edit inactivity interval" {
			t.Errorf("the menu still offers %q", act)
		}
	}
}

func newActionsFor(a *App) *actions.Model {
	k, _ := a.table.Current()
	return actions.New(a.dialogCommon(), k)
}
