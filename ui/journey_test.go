package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/export"
	"h2ogpte-keys/ui/components/keytable"
)

// Journeys run the whole program (teatest) with the real client against a
// demo server on a real socket.

var secretRE = regexp.MustCompile(`sk-[A-Za-z0-9]{48}`)

type journey struct {
	t   *testing.T
	tm  *teatest.TestModel
	srv *demoserver.Server
	api *client.Client
	out bytes.Buffer
}

func startJourney(t *testing.T, api API, opts Options) *journey {
	t.Helper()
	return startJourneyOn(t, demoserver.Options{}, api, opts)
}

// startJourneyOn is startJourney on a demo server with the switches of
// server (its seed and clock are always the fixed ones).
func startJourneyOn(t *testing.T, server demoserver.Options, api API, opts Options) *journey {
	t.Helper()
	server.Seed, server.Now = 1, commontest.Clock
	run, err := demoserver.Start("", server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run.Close() })
	c, err := client.New(client.Config{Address: run.URL, Token: model.NewSecret(demoserver.DemoToken)})
	if err != nil {
		t.Fatal(err)
	}
	if api == nil {
		api = c
	} else if ca, ok := api.(*countingAPI); ok {
		ca.API = c
	}
	opts.Now, opts.Copier, opts.Address = commontest.Clock, &fakeCopier{}, run.URL
	j := &journey{t: t, srv: run.Server, api: c}
	j.tm = teatest.NewTestModel(t, New(api, opts), teatest.WithInitialTermSize(140, 40))
	return j
}

// waitFor reads the program's output until re matches, and consumes the
// output up to the match. On failure it prints the output with any secret
// redacted (test logs are logs).
func (j *journey) waitFor(what string, re *regexp.Regexp) {
	j.t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a bound against hangs, not a timing assertion
	for time.Now().Before(deadline) {
		b, _ := io.ReadAll(j.tm.Output())
		j.out.Write(b)
		if loc := re.FindIndex(j.out.Bytes()); loc != nil {
			rest := append([]byte(nil), j.out.Bytes()[loc[1]:]...)
			j.out.Reset()
			j.out.Write(rest)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p := os.Getenv("JOURNEY_DUMP"); p != "" {
		_ = os.WriteFile(p, []byte(secretRE.ReplaceAllString(j.out.String(), "[SECRET]")), 0o600)
	}
	j.t.Fatalf("gave up waiting for %s; output:\n%s", what, secretRE.ReplaceAllString(j.out.String(), "[SECRET]"))
}

// waitAll waits until every text has appeared, in any order (one frame
// may draw several of them, top line first).
func (j *journey) waitAll(texts ...string) {
	j.t.Helper()
	var parts []string
	for _, t := range texts {
		parts = append(parts, "(?s:.*"+regexp.QuoteMeta(t)+")")
	}
	// Lookahead-free "all of": try each order of two or three texts.
	var alts []string
	for _, perm := range perms(parts) {
		alts = append(alts, strings.Join(perm, ""))
	}
	j.waitFor(strings.Join(texts, " and "), regexp.MustCompile(strings.Join(alts, "|")))
}

func perms(xs []string) [][]string {
	if len(xs) <= 1 {
		return [][]string{xs}
	}
	var out [][]string
	for i := range xs {
		rest := append(append([]string(nil), xs[:i]...), xs[i+1:]...)
		for _, p := range perms(rest) {
			out = append(out, append([]string{xs[i]}, p...))
		}
	}
	return out
}

func (j *journey) waitText(s string) {
	j.t.Helper()
	j.waitFor(s, regexp.MustCompile(regexp.QuoteMeta(s)))
}

func (j *journey) key(k string) { j.tm.Send(commontest.Key(k)) }

// quit ends the program and returns the final App.
func (j *journey) quit() *App {
	j.t.Helper()
	if err := j.tm.Quit(); err != nil { // not a key: keys clear the status bar
		j.t.Fatal(err)
	}
	return j.tm.FinalModel(j.t, teatest.WithFinalTimeout(10*time.Second)).(*App)
}

func (j *journey) keysOf(user string) map[string]model.APIKey {
	j.t.Helper()
	keys, err := j.api.ListKeys(context.Background(), user)
	if err != nil {
		j.t.Fatal(err)
	}
	out := map[string]model.APIKey{}
	for _, k := range keys {
		out[k.Name] = k
	}
	return out
}

// Pick alice, create a collection key that expires in 30 days, see the
// secret once, close it and find the key in the table.
func TestJourneyCreateKey(t *testing.T) {
	j := startJourney(t, nil, Options{})
	// The picker's count line, not "Choose a user": the toolbar says
	// "u Choose a user" from the first frame, before the users arrive and
	// the picker opens, and letters typed then are lost.
	j.waitText("All users + 10 users")
	j.tm.Type("alice")
	j.waitText("2 of 10 users")
	j.key("enter")
	j.waitText("8 keys")

	j.key("n")
	j.waitText("New API key for alice")
	j.waitText("Required; up to")
	j.tm.Type("notebook-sync")
	j.key("enter")
	// huh moves between fields with messages of its own: wait for each
	// field's hint before pressing the next key.
	j.waitText("Global key: acts as alice everywhere.")
	j.key("down") // the first of alice's collections
	j.waitText("Collection key: reaches only this collection.")
	j.key("enter")
	j.waitText("Server limit: 90 days")
	j.key("y") // allow key to expire
	j.waitText("Expires")
	j.key("ctrl+u") // the field may hold a suggestion
	j.tm.Type("30d")
	j.waitText("expires 2026-12-26 15:00")
	j.key("enter")
	j.waitText("An interval stops the key")
	j.key("n") // no inactivity interval: submits
	stored := regexp.QuoteMeta("Created key notebook-sync for alice (the server stored: expires 2026-12-26 15:00)")
	j.waitFor("the secret and the expiry stored", regexp.MustCompile("(?s)"+secretRE.String()+".*"+stored+"|"+stored+".*"+secretRE.String()))
	j.key("enter")
	j.waitAll("notebook-sync", "9 keys")

	a := j.quit()
	cur, ok := a.table.Current()
	if !ok || cur.Name != "notebook-sync" {
		t.Fatalf("cursor on %q, want the new key", cur.Name)
	}
	if secretRE.MatchString(a.View()) {
		t.Error("the secret is still on screen")
	}
	k := j.keysOf("alice")["notebook-sync"]
	if k.IsGlobal || k.CollectionID == "" {
		t.Errorf("not a collection key: %+v", k)
	}
	if k.Expires == nil || k.Expires.Sub(testNow.Add(30*24*time.Hour)).Abs() > time.Minute {
		t.Errorf("expires %v, want 30 days from %v", k.Expires, testNow)
	}
}

// Select three, delete them, one fails on the server: the report names it,
// the other two are gone.
func TestJourneyDeleteWithFailure(t *testing.T) {
	j := startJourney(t, nil, Options{User: "alice"})
	j.waitText("8 keys")
	before := j.keysOf("alice")
	failing := before["ci-pipeline"]
	j.srv.InjectFault("DELETE", "/api/v1/admin/api_keys/"+failing.ID, 500, 1)

	// The first three rows in server order: old-laptop, ci-pipeline, laptop.
	for _, k := range []string{"space", "j", "space", "j", "space"} {
		j.key(k)
	}
	j.waitText("D Delete (3 selected)")
	j.key("D")
	j.waitText("Delete 3 keys?")
	j.key("right")
	j.key("enter")
	j.waitAll("Delete finished with errors", "6 keys")

	a := j.quit()
	if text, isErr := a.status.Notice(); !isErr || !strings.Contains(text, "Deleted 2 of 3 keys. Failed: ci-pipeline (server error (500)") {
		t.Errorf("notice %q", text)
	}
	if !strings.Contains(flat(plainView(a)), "✗ ci-pipeline: server error (500)") {
		t.Errorf("report does not name the failure:\n%s", plainView(a))
	}
	after := j.keysOf("alice")
	for name, gone := range map[string]bool{"old-laptop": true, "laptop": true, "ci-pipeline": false} {
		if _, ok := after[name]; ok == gone {
			t.Errorf("%s present = %v after delete", name, ok)
		}
	}
	if sel := a.table.Selected(); len(sel) != 1 || sel[0].Name != "ci-pipeline" {
		t.Errorf("selection after delete: %v", sel)
	}
}

// Edit an expiry past the server's limit: refused in the dialog, nothing
// sent.
func TestJourneyExpiryPastLimit(t *testing.T) {
	api := &countingAPI{}
	j := startJourney(t, api, Options{User: "alice"})
	j.waitText("8 keys")
	j.key("j") // ci-pipeline: the first row, old-laptop, is deactivated and cannot change
	j.key("enter")
	j.waitText("Edit expiry")
	j.key("enter")
	j.waitText("Server limit: 90 days")
	j.tm.Type("200d")
	j.key("enter")
	j.waitText("past the server's limit of 90 days")

	a := j.quit()
	if n := api.changes.Load(); n != 0 {
		t.Errorf("%d changes sent", n)
	}
	if len(a.dialogs) != 1 {
		t.Errorf("the dialog closed (%d open)", len(a.dialogs))
	}
}

// All users, quick filter "never used", export to CSV: the file holds
// exactly the rows the table shows, in its order, as the CLI writes them.
func TestJourneyExportNeverUsed(t *testing.T) {
	j := startJourney(t, nil, Options{})
	j.waitText("All users + 10 users") // the picker is open (see TestJourneyCreateKey)
	j.key("enter")                     // All users, the first entry
	j.waitAll("User: All users ▾", "24 keys")
	j.key("2")
	j.waitText("5 of 24 shown")
	j.key("e")
	j.waitText("Export 5 keys")
	path := filepath.Join(t.TempDir(), "never-used.csv")
	j.key("ctrl+u")
	j.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(path), Paste: true})
	j.waitText("never-used.csv")
	j.key("enter")
	j.waitText("Exported 5 keys to")

	a := j.quit()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+a.table.Shown() || a.table.Shown() != 5 {
		t.Fatalf("%d CSV rows for %d keys shown", len(rows), a.table.Shown())
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	// The table's rows, as drawn: " [ ]  name  user  …", the cursor's
	// row with "›" first.
	var drawn []string
	for _, line := range strings.Split(plainView(a), "\n")[3:] {
		rest, cur := strings.CutPrefix(line, "›")
		if !cur {
			rest = strings.TrimPrefix(line, " ")
		}
		if f := strings.Fields(rest[min(3, len(rest)):]); strings.HasPrefix(rest, "[") && len(f) > 1 {
			drawn = append(drawn, f[0]+" "+f[1])
		}
	}
	for i, rec := range rows[1:] {
		cells := map[keytable.Column]string{
			keytable.ColName: rec[col["name"]], keytable.ColUser: rec[col["username"]],
			keytable.ColStatus: strings.ToUpper(rec[col["status"]][:1]) + rec[col["status"]][1:],
		}
		for c, want := range cells {
			if got := a.table.ShownCell(i, c); got != want {
				t.Errorf("row %d %s: table %q, file %q", i, c.Title(), got, want)
			}
		}
		if rec[col["last_used_at"]] != "" {
			t.Errorf("row %d: a never-used key with last_used_at %q", i, rec[col["last_used_at"]])
		}
		if got := rec[col["name"]] + " " + rec[col["username"]]; i >= len(drawn) || drawn[i] != got {
			t.Errorf("row %d: file %q, screen %q", i, got, drawn)
		}
	}
	var want bytes.Buffer
	if err := export.WriteCSV(&want, a.table.ShownKeys(), testNow); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("file differs from the CLI's records:\n%s\nwant:\n%s", got, want.Bytes())
	}
}

// Select three keys, set their expiry in one go: the deactivated one is
// skipped, the server fails one: one report names it and counts the
// skipped one apart; the last one changed.
func TestJourneyBulkExpiryWithFailure(t *testing.T) {
	j := startJourney(t, nil, Options{User: "alice"})
	j.waitText("8 keys")
	before := j.keysOf("alice")
	failing := before["ci-pipeline"]
	j.srv.InjectFault("PATCH", "/api/v1/admin/api_keys/expire/"+failing.ID, 500, 1)

	// The first three rows in server order: old-laptop (deactivated),
	// ci-pipeline, laptop.
	for _, k := range []string{"space", "j", "space", "j", "space"} {
		j.key(k)
	}
	j.waitText("D Delete (3 selected)")
	j.key("enter")
	j.waitAll("1 deactivated, skipped", "Set expiry of 2 keys")
	j.key("e")
	j.waitText("One value for every selected key")
	j.tm.Type("30d")
	j.waitText("expires 2026-12-26 15:00")
	j.key("enter")
	j.waitText("Set the expiry of 2 keys?")
	j.key("right")
	j.key("enter")
	j.waitText("Set expiry finished with errors")

	a := j.quit()
	if text, isErr := a.status.Notice(); !isErr ||
		!strings.Contains(text, "Set the expiry of 1 of 2 keys to 2026-12-26 15:00. (1 deactivated, skipped) Failed: ci-pipeline (server error (500)") {
		t.Errorf("notice %q", text)
	}
	if v := flat(plainView(a)); !strings.Contains(v, "✗ ci-pipeline: server error (500)") || strings.Contains(v, "✗ old-laptop") {
		t.Errorf("report does not name the failure alone:\n%s", plainView(a))
	}
	after := j.keysOf("alice")
	want := testNow.Add(30 * 24 * time.Hour)
	if e := after["laptop"].Expires; e == nil || e.Sub(want).Abs() > time.Minute {
		t.Errorf("laptop expires %v, want %v", e, want)
	}
	for _, name := range []string{"ci-pipeline", "old-laptop"} {
		if e, was := after[name].Expires, before[name].Expires; (e == nil) != (was == nil) || e != nil && !e.Equal(*was) {
			t.Errorf("%s: expiry changed: %v -> %v", name, was, e)
		}
	}
	if sel := a.table.Selected(); len(sel) != 1 || sel[0].Name != "ci-pipeline" {
		t.Errorf("selection after the change: %v", sel)
	}
}
