package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// sampleKeys covers every status, a collection key, an old server that
// reports no usage fields, and a name full of control characters. Statuses
// are judged at testNow (2026-11-26 12:00 UTC).
func sampleKeys() []model.APIKey {
	return []model.APIKey{
		{ID: "k1", Username: "alice", Name: "laptop", Hint: "abcd", Created: at("2026-10-01T09:00:00Z"),
			Expires: ptr(at("2026-12-31T23:59:59Z")), LastUsed: model.Some(at("2026-11-25T08:30:00Z")),
			InactivityDays: model.Some(60), TotalCalls: model.Some[int64](1234567), IsActive: true, IsGlobal: true},
		{ID: "k2", Username: "bob", Name: "evil\x1b[2J\tname\u202e", Hint: "wxyz", Created: at("2026-11-01T00:00:00Z"),
			LastUsed: model.Null[time.Time](), InactivityDays: model.Null[int](), TotalCalls: model.Some[int64](0),
			IsActive: true, CollectionName: "Docs\x07", CollectionID: "c1"},
		{ID: "k3", Username: "carol", Name: "old-server", Hint: "0000", Created: at("2025-01-01T00:00:00Z"),
			IsActive: false, IsGlobal: true},
		{ID: "k4", Username: "dave", Name: "trial", Hint: "1111", Created: at("2026-10-01T00:00:00Z"),
			Expires: ptr(at("2026-11-20T00:00:00Z")), LastUsed: model.Some(at("2026-11-19T00:00:00Z")),
			InactivityDays: model.Null[int](), TotalCalls: model.Some[int64](57), IsActive: true, IsGlobal: true},
		{ID: "k5", Username: "erin", Name: "jupyter", Hint: "2222", Created: at("2026-09-01T00:00:00Z"),
			LastUsed: model.Some(at("2026-11-01T00:00:00Z")), InactivityDays: model.Some(7),
			TotalCalls: model.Some[int64](310), IsActive: true, IsGlobal: true},
	}
}

func TestChooseFormat(t *testing.T) {
	tests := []struct {
		flag    string
		given   bool
		tty     bool
		want    outputFormat
		wantErr bool
	}{
		{"", false, true, formatTable, false},
		{"", false, false, formatJSON, false},
		{"json", true, true, formatJSON, false},
		{"table", true, false, formatTable, false},
		{"CSV", true, false, formatCSV, false},
		{"yaml", true, true, "", true},
		{"", true, true, "", true},
	}
	for _, tt := range tests {
		got, err := chooseFormat(tt.flag, tt.given, tt.tty)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("chooseFormat(%q, %v, %v) = %q, %v; want %q (err %v)", tt.flag, tt.given, tt.tty, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatSelectionThroughRun(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	for _, tt := range []struct {
		tty  bool
		args []string
		want string
	}{
		{false, nil, "["},                       // piped: JSON
		{true, nil, "ID "},                      // terminal: table
		{true, []string{"-o", "json"}, "["},     // flag beats terminal
		{false, []string{"-o", "csv"}, "id,"},   // flag beats pipe
		{false, []string{"-o", "table"}, "ID "}, // likewise
	} {
		r := runCLI(t, harness{env: ts.adminEnv(), tty: tt.tty}, append([]string{"users"}, tt.args...)...)
		if r.code != 0 || !strings.HasPrefix(r.Stdout, tt.want) {
			t.Errorf("tty=%v %v: exit %d, stdout starts %q, want %q", tt.tty, tt.args, r.code, firstLine(r.Stdout), tt.want)
		}
	}
}

func firstLine(s string) string { line, _, _ := strings.Cut(s, "\n"); return line }

func TestKeysTable(t *testing.T) {
	var b bytes.Buffer
	p := printer{w: &b, format: formatTable, now: testNow}
	if err := p.keys(sampleKeys()); err != nil {
		t.Fatal(err)
	}
	// CALLS is right-aligned (model.Columns), so digits line up.
	want := `ID  NAME          USER   SECRET    COLLECTION  CREATED           STATUS    EXPIRES           INACTIVITY  LAST USED             CALLS  STOPS AT
k1  laptop        alice  sk-…abcd              2026-10-01 09:00  Active    2026-12-31 23:59  60 days     2026-11-25 08:30  1,234,567  2026-12-31 23:59
k2  evil[2J name  bob    sk-…wxyz  Docs        2026-11-01 00:00  Active    never                         never                     0  never
k3  old-server    carol  sk-…0000              2025-01-01 00:00  Inactive  never             -           -                         -  already
k4  trial         dave   sk-…1111              2026-10-01 00:00  Expired   2026-11-20 00:00              2026-11-19 00:00         57  already
k5  jupyter       erin   sk-…2222              2026-09-01 00:00  Idle      never             7 days      2026-11-01 00:00        310  already
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

var sgrRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestKeysTableColourKeepsColumns checks that colouring statuses changes
// nothing but the escape codes: every column still lines up.
func TestKeysTableColourKeepsColumns(t *testing.T) {
	var plain, coloured bytes.Buffer
	if err := (printer{w: &plain, format: formatTable, now: testNow}).keys(sampleKeys()); err != nil {
		t.Fatal(err)
	}
	if err := (printer{w: &coloured, format: formatTable, now: testNow, color: true}).keys(sampleKeys()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(coloured.String(), "\x1b[31mExpired\x1b[0m") {
		t.Errorf("no colour in %q", coloured.String())
	}
	// Every status code and the header's no-op code have the same length,
	// so with the codes stripped the table is exactly the plain one.
	if got := sgrRE.ReplaceAllString(coloured.String(), ""); got != plain.String() {
		t.Errorf("coloured table, codes stripped:\n%s\nplain:\n%s", got, plain.String())
	}
}

func TestKeysJSON(t *testing.T) {
	var b bytes.Buffer
	if err := (printer{w: &b, format: formatJSON, now: testNow}).keys(sampleKeys()); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, b.String())
	}
	if len(got) != 5 {
		t.Fatalf("%d keys", len(got))
	}
	tests := []struct {
		i      int
		field  string
		want   any
		absent bool
	}{
		{0, "status", "active", false},
		{0, "stops_at", "2026-12-31T23:59:59Z", false},
		{0, "total_calls", 1234567.0, false},
		{0, "inactivity_interval", 60.0, false},
		{0, "last_used_at", "2026-11-25T08:30:00Z", false},
		{0, "is_global_key", true, false},
		{1, "last_used_at", nil, false},        // never used: null
		{1, "inactivity_interval", nil, false}, // no interval: null
		{1, "expires_at", nil, false},
		{1, "stops_at", nil, false},
		{1, "collection_id", "c1", false},
		{1, "name", "evil\x1b[2J\tname\u202e", false}, // JSON keeps the server's text, escaped
		{2, "status", "inactive", false},
		{2, "last_used_at", nil, true}, // old server: not reported, left out
		{2, "inactivity_interval", nil, true},
		{2, "total_calls", nil, true},
		{2, "collection_id", nil, true},
		{3, "status", "expired", false},
		{3, "stops_at", "2026-11-20T00:00:00Z", false},
		{4, "status", "idle", false},
		{4, "stops_at", "2026-11-08T00:00:00Z", false},
	}
	for _, tt := range tests {
		v, ok := got[tt.i][tt.field]
		if tt.absent {
			if ok {
				t.Errorf("key %d: %s = %v, want it left out", tt.i, tt.field, v)
			}
			continue
		}
		if !ok || v != tt.want {
			t.Errorf("key %d: %s = %#v (present %v), want %#v", tt.i, tt.field, v, ok, tt.want)
		}
	}
	if !strings.Contains(b.String(), `\u001b[2J`) {
		t.Errorf("the escape character is not escaped in JSON: %s", b.String())
	}
	// An empty listing is an empty array, not null.
	b.Reset()
	if err := (printer{w: &b, format: formatJSON, now: testNow}).keys(nil); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("empty listing = %q, %v", b.String(), err)
	}
}

func TestKeysCSV(t *testing.T) {
	var b bytes.Buffer
	if err := (printer{w: &b, format: formatCSV, now: testNow}).keys(sampleKeys()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(model.KeyColumns(), ",") {
		t.Errorf("header = %v", rows[0])
	}
	// Same columns as the JSON, in the same order (k2 is a collection key,
	// which has every field).
	var b2 bytes.Buffer
	_ = (printer{w: &b2, format: formatJSON, now: testNow}).keys(sampleKeys()[1:2])
	var order []string
	dec := json.NewDecoder(bytes.NewReader(b2.Bytes()))
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
		case string:
			if depth == 2 && dec.More() {
				order = append(order, v)
				_, _ = dec.Token() // the value
			}
		}
	}
	if strings.Join(order, ",") != strings.Join(model.KeyColumns(), ",") {
		t.Errorf("JSON field order %v differs from CSV columns %v", order, model.KeyColumns())
	}
	col := func(row []string, name string) string {
		for i, c := range model.KeyColumns() {
			if c == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	tests := []struct {
		row         int
		field, want string
	}{
		{1, "status", "active"},
		{1, "total_calls", "1234567"},
		{1, "stops_at", "2026-12-31T23:59:59Z"},
		{2, "name", "evil[2J name"}, // cleaned
		{2, "collection_name", "Docs"},
		{2, "last_used_at", ""},
		{2, "is_global_key", "false"},
		{3, "total_calls", ""},
		{3, "status", "inactive"},
		{5, "status", "idle"},
		// stops_at follows the table: "already" once a key has stopped,
		// empty when nothing will stop it.
		{2, "stops_at", ""},
		{3, "stops_at", "already"},
		{4, "stops_at", "already"},
		{5, "stops_at", "already"},
	}
	for _, tt := range tests {
		if got := col(rows[tt.row], tt.field); got != tt.want {
			t.Errorf("row %d %s = %q, want %q", tt.row, tt.field, got, tt.want)
		}
	}
}

func TestUsersOutput(t *testing.T) {
	users := []model.User{{ID: "u1", Username: "alice", Email: "alice@example.com"}, {ID: "u2", Username: "bad\x1b]0;title\x07", Email: "x@example.com"}}
	var b bytes.Buffer
	if err := (printer{w: &b, format: formatTable}).users(users); err != nil {
		t.Fatal(err)
	}
	want := "ID  USERNAME     EMAIL\nu1  alice        alice@example.com\nu2  bad]0;title  x@example.com\n"
	if b.String() != want {
		t.Errorf("users table = %q, want %q", b.String(), want)
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 482113: "482,113", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := model.GroupDigits(n); got != want {
			t.Errorf("GroupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCellTruncatesLongNames(t *testing.T) {
	long := strings.Repeat("é", 60)
	got := cell(long)
	if n := len([]rune(got)); n != maxCell || !strings.HasSuffix(got, "…") {
		t.Errorf("cell(60 runes) = %q (%d runes)", got, n)
	}
}
