package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"h2ogpte-keys/change"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/newkey"
)

// A create whose answer was lost never reopens the form for a resend: read
// back as existing, the key is named with its lost secret and the choice
// (Cancel keeps it); unknown even after reading back, the admin is told to
// reload; only a create that surely did not happen reopens the form.
func TestCreateOutcomes(t *testing.T) {
	lost := fmt.Errorf("gateway timeout: %w", model.ErrOutcomeUnknown)
	k := model.APIKey{ID: "new-1", Username: "alice", Name: "ci-lost", Hint: "zzzz", IsActive: true, IsGlobal: true}
	cases := []struct {
		name     string
		res      change.Result
		wantForm bool
		wantLost bool
		notice   string
	}{
		{"read back as created", change.Result{Key: k, Outcome: model.Done, ReadBack: true, Err: lost}, false, true, ""},
		{"unknown after reading back", change.Result{Key: model.APIKey{Name: "ci-lost", Username: "alice"}, Outcome: model.Unknown, Err: lost}, false, false, "unknown whether key ci-lost was created"},
		{"refused", change.Result{Key: model.APIKey{Name: "ci-lost"}, Outcome: model.NotDone, Err: errors.New("name taken")}, true, false, "could not create the key: name taken"},
		// Lost, then not found when read back: not created as far as
		// anyone can see, but a server behind a gateway may still be at
		// work: no form waits for one more enter.
		{"lost, read back, not there", change.Result{Key: model.APIKey{Name: "ci-lost", Username: "alice"}, Outcome: model.NotDone, ReadBack: true, Err: lost}, false, false, "reload to check before creating it again"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newTestAPI(t)
			a := startApp(t, f, Options{User: "alice"}, 120, 30)
			rep := change.CreateReport{Report: change.Report{Action: "create", Results: []change.Result{tc.res}}}
			drive(t, a, a.route(createdMsg{user: f.users[0], report: rep}))
			top := topDialog(a)
			if _, isForm := top.(*newkey.Model); isForm != tc.wantForm {
				t.Fatalf("form reopened: %v, want %v (top %T)", isForm, tc.wantForm, top)
			}
			if tc.wantLost {
				c, ok := top.(*confirm.Model)
				if !ok {
					t.Fatalf("top dialog %T, want the lost-secret dialog", top)
				}
				v := plainView(a)
				for _, want := range []string{"ci-lost", "secret is lost", "cannot be shown again", "Cancel", "Delete it"} {
					if !strings.Contains(v, want) {
						t.Errorf("lost-secret dialog lacks %q:\n%s", want, v)
					}
				}
				// Enter on the default button keeps the key.
				press(t, a, "enter")
				if f.called("Delete") != 0 || topDialog(a) == c {
					t.Errorf("enter on the default did not just keep the key: calls %v", f.Calls())
				}
			}
			if tc.notice != "" {
				if text, isErr := a.status.Notice(); !isErr || !strings.Contains(text, tc.notice) {
					t.Errorf("notice %q (error %v), want %q", text, isErr, tc.notice)
				}
			}
			if f.called("CreateKey") != 0 {
				t.Error("a create was resent")
			}
		})
	}
}

// A bulk change reports unknown keys apart from those not done.
func TestChangeReportUnknown(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	keys := f.keysOf(t, "alice")[:3]
	rep := change.Report{Action: "deactivate", Results: []change.Result{
		{Key: keys[0], Outcome: model.Done},
		{Key: keys[1], Outcome: model.NotDone, Err: errors.New("conflict")},
		{Key: keys[2], Outcome: model.Unknown, Err: errors.New("gateway timeout")},
	}}
	drive(t, a, a.route(changeDoneMsg{plan: deactivatePlan(keys), report: rep}))
	text, isErr := a.status.Notice()
	if !isErr || !strings.Contains(text, "Deactivated 1 of 3 keys") || !strings.Contains(text, "Failed: "+displayName(keys[1])) || !strings.Contains(text, "Unknown (reload to see): "+displayName(keys[2])) {
		t.Errorf("notice %q", text)
	}
	if _, ok := topDialog(a).(*confirm.Model); !ok {
		t.Fatalf("no report dialog: %T", topDialog(a))
	}
	if v := plainView(a); !strings.Contains(v, "? "+displayName(keys[2])) || !strings.Contains(v, "✗ "+displayName(keys[1])) {
		t.Errorf("report dialog does not tell unknown from not done:\n%s", v)
	}
}

// A session's dashboard copies by OSC 52 to its own writer, and its
// Runner refuses changes when the session is read-only.
func TestSessionOptions(t *testing.T) {
	var out strings.Builder
	f := newTestAPI(t)
	a := New(f, Options{User: "alice", ClipboardOut: &out, ReadOnly: true})
	dests := a.copier.Copy("sk-test")
	if !strings.Contains(out.String(), "\x1b]52;c;") || len(dests) != 1 {
		t.Errorf("OSC 52 not written to the session: %q, dests %v", out.String(), dests)
	}
	if !a.runner.ReadOnly() {
		t.Error("a read-only session's runner accepts changes")
	}
}

// A create the server refused still reopens the form with the server's
// reason when the audit log failed to record it: the Recorder's error is
// said beside the refusal, not in its place.
func TestCreateRefusedRecorderFailed(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	rep := change.CreateReport{Report: change.Report{Action: "create", Results: []change.Result{
		{Key: model.APIKey{Name: "ci"}, Outcome: model.NotDone, Err: errors.New("name taken")}}}}
	recErr := errors.New("record the create report: disk full")
	drive(t, a, a.route(createdMsg{user: f.users[0], report: rep, err: recErr}))
	if _, isForm := topDialog(a).(*newkey.Model); !isForm {
		t.Fatalf("form not reopened after a refusal (top %T)", topDialog(a))
	}
	text, isErr := a.status.Notice()
	if !isErr || !strings.Contains(text, "could not create the key: name taken") || !strings.Contains(text, "disk full") {
		t.Errorf("notice %q (error %v), want the refusal and the recorder's failure", text, isErr)
	}
}

// A change report whose recording failed (the audit log) says so in every
// outcome, not only when everything was done.
func TestChangeReportSaysRecorderFailed(t *testing.T) {
	f := newTestAPI(t)
	recErr := errors.New("record the report: disk full")
	keys := f.keysOf(t, "alice")[:2]
	tests := []struct {
		name string
		plan plan
		rep  change.Report
	}{
		{"bulk with a key not done", deactivatePlan(keys), change.Report{Action: "deactivate", Results: []change.Result{
			{Key: keys[0], Outcome: model.Done},
			{Key: keys[1], Outcome: model.NotDone, Err: errors.New("conflict")},
		}}},
		{"single unknown", func() plan { p := deletePlan(keys[:1]); p.single = true; return p }(), change.Report{Action: "delete", Results: []change.Result{
			{Key: keys[0], Outcome: model.Unknown, Err: errors.New("gateway timeout")},
		}}},
		{"single not done", func() plan { p := deletePlan(keys[:1]); p.single = true; return p }(), change.Report{Action: "delete", Results: []change.Result{
			{Key: keys[0], Outcome: model.NotDone, Err: errors.New("conflict")},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startApp(t, f, Options{User: "alice"}, 120, 30)
			drive(t, a, a.route(changeDoneMsg{plan: tt.plan, report: tt.rep, err: recErr}))
			if text, isErr := a.status.Notice(); !isErr || !strings.Contains(text, "disk full") {
				t.Errorf("notice %q (error %v), want the recorder's failure said", text, isErr)
			}
		})
	}
}

// A rotation that did not go through says when the audit log failed to
// record it, beside what happened.
func TestRotationReportSaysRecorderFailed(t *testing.T) {
	f := newTestAPI(t)
	old := f.keysOf(t, "alice")[0]
	recErr := errors.New("record the rotation: disk full")
	for _, tt := range []struct {
		name string
		out  model.Outcome
	}{{"create unknown", model.Unknown}, {"create not done", model.NotDone}} {
		t.Run(tt.name, func(t *testing.T) {
			a := startApp(t, f, Options{User: "alice"}, 120, 30)
			rep := change.RotationReport{
				Report: change.Report{Action: "rotate", Results: []change.Result{{Key: model.APIKey{Name: old.Name, Username: "alice"}, Outcome: tt.out, Err: errors.New("gateway timeout")}}},
				Plan:   change.RotationPlan{Old: old},
			}
			drive(t, a, a.route(rotatedMsg{report: rep, err: recErr}))
			if text, isErr := a.status.Notice(); !isErr || !strings.Contains(text, "disk full") || !strings.Contains(text, "gateway timeout") {
				t.Errorf("notice %q (error %v), want the outcome and the recorder's failure", text, isErr)
			}
		})
	}
}
