package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

const plainSecret = "sk-Zq8v3Lw0Tn5Rk2Jp7Hx4Cm9Bd1Fy6Gs0Qa3We8Rt5Yu2Io7P"

var fixedTime = time.Date(2025, 3, 4, 5, 6, 7, 890_000_000, time.FixedZone("CET", 3600))

func sampleEntry() Entry {
	return Entry{
		Time:        fixedTime,
		Person:      "alice@laptop",
		Fingerprint: "SHA256:abc",
		RemoteAddr:  "10.0.0.5:50022",
		Action:      Delete,
		Bulk:        true,
		Owner:       "bob",
		Keys: []KeyResult{
			{ID: "k1", Name: "ci", Outcome: model.Done},
			{ID: "k2", Name: "old", Outcome: model.NotDone, Err: "404 not found"},
			{ID: "k3", Name: "x", Outcome: model.Unknown, Err: "answer lost"},
		},
	}
}

func TestEntryLine(t *testing.T) {
	b, err := json.Marshal(sampleEntry())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2025-03-04T04:06:07.890Z","person":"alice@laptop","fingerprint":"SHA256:abc",` +
		`"remote_addr":"10.0.0.5:50022","action":"delete","bulk":true,"owner":"bob","keys":[` +
		`{"id":"k1","name":"ci","outcome":"done"},` +
		`{"id":"k2","name":"old","outcome":"not done","error":"404 not found"},` +
		`{"id":"k3","name":"x","outcome":"unknown","error":"answer lost"}]}`
	if string(b) != want {
		t.Fatalf("line\n got %s\nwant %s", b, want)
	}
}

// fillStrings sets every string field of v (recursively, slices included)
// to s, so a field added later is covered without editing this test.
func fillStrings(t *testing.T, v reflect.Value, s string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillStrings(t, v.Field(i), s)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			fillStrings(t, v.Index(i), s)
		}
	}
}

func TestNoSecretInAnyField(t *testing.T) {
	for _, s := range []string{
		plainSecret,
		"name " + plainSecret + " tail",
		"SK-" + strings.ToUpper(plainSecret[3:]),
		"sk-demo-h2ogpte-keys-admin-token-0000000000000000",
		"Bearer " + plainSecret,
	} {
		e := sampleEntry()
		fillStrings(t, reflect.ValueOf(&e).Elem(), s)
		if e.Keys[0].Name != s || e.Person != s {
			t.Fatal("fillStrings did not reach the fields")
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(bytes.ToLower(b), []byte("sk-")) {
			t.Errorf("secret-like value in line: %s", b)
		}
		if !bytes.Contains(b, []byte(Redacted)) {
			t.Errorf("no redaction marker: %s", b)
		}
	}
	// Short "sk-" words are names, not secrets.
	e := sampleEntry()
	e.Keys[0].Name = "sk-proj"
	b, _ := json.Marshal(e)
	if !bytes.Contains(b, []byte(`"sk-proj"`)) {
		t.Errorf("short name redacted: %s", b)
	}
}

func TestScrubControlCharacters(t *testing.T) {
	e := sampleEntry()
	e.Person = "eve\n{\"forged\":1}\x1b[2J"
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`\n`)) || bytes.Contains(b, []byte(`\u001b`)) {
		t.Fatalf("control characters kept: %s", b)
	}
}

func TestValidate(t *testing.T) {
	for name, mut := range map[string]func(*Entry){
		"action": func(e *Entry) { e.Action = "drop" },
		"person": func(e *Entry) { e.Person = "" },
		"owner":  func(e *Entry) { e.Owner = "" },
		"keys":   func(e *Entry) { e.Keys = nil },
	} {
		e := sampleEntry()
		mut(&e)
		rec := &recorder{}
		if err := newLog(rec).Write(e); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
		if len(rec.ops) != 0 {
			t.Errorf("%s: wrote %v", name, rec.ops)
		}
	}
}

// recorder is a file that logs each call, to check Sync follows Write.
type recorder struct {
	mu      sync.Mutex
	ops     []string
	buf     bytes.Buffer
	syncErr error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, "write")
	return r.buf.Write(p)
}

func (r *recorder) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, "sync")
	return r.syncErr
}

func (r *recorder) Close() error { return nil }

func TestWriteSyncsBeforeReturning(t *testing.T) {
	rec := &recorder{}
	l := newLog(rec)
	for i := 0; i < 3; i++ {
		if err := l.Write(sampleEntry()); err != nil {
			t.Fatal(err)
		}
		if got := rec.ops[len(rec.ops)-1]; got != "sync" {
			t.Fatalf("after Write %d the last call is %q, want sync", i, got)
		}
	}
	if want := []string{"write", "sync", "write", "sync", "write", "sync"}; !reflect.DeepEqual(rec.ops, want) {
		t.Fatalf("calls %v, want %v", rec.ops, want)
	}
	rec.syncErr = errors.New("disk full")
	if err := l.Write(sampleEntry()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("a failed sync is not reported: %v", err)
	}
}

func TestClockFillsZeroTime(t *testing.T) {
	rec := &recorder{}
	l := newLog(rec, WithClock(func() time.Time { return fixedTime }))
	e := sampleEntry()
	e.Time = time.Time{}
	if err := l.Write(e); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rec.buf.String(), `{"time":"2025-03-04T04:06:07.890Z"`) {
		t.Fatalf("line %s", rec.buf.String())
	}
}

func TestOpenModeAndAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for i := 0; i < 2; i++ {
		l, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Write(sampleEntry()); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Write(sampleEntry()); !errors.Is(err, ErrClosed) {
			t.Fatalf("write after close: %v", err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if n := bytes.Count(b, []byte("\n")); n != 2 {
		t.Fatalf("%d lines after two opens, want 2 (append):\n%s", n, b)
	}
}

func TestConcurrentWritersWriteWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	// Long names make each line several kilobytes, so torn writes would show.
	long := strings.Repeat("n", 4000)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				e := sampleEntry()
				e.Owner = fmt.Sprintf("w%d-%d", w, i)
				e.Keys[0].Name = long
				if err := l.Write(e); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	seen := map[string]bool{}
	for sc.Scan() {
		var got struct {
			Owner string `json:"owner"`
			Keys  []struct {
				Name string `json:"name"`
			} `json:"keys"`
		}
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatalf("torn line: %v: %.80s", err, sc.Text())
		}
		if got.Keys[0].Name != long {
			t.Fatalf("line for %s lost its name", got.Owner)
		}
		seen[got.Owner] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("%d distinct lines, want %d", len(seen), writers*each)
	}
}
