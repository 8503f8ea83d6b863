package model

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// The spec is whole: ids and headers unique, every column has its cell,
// and every sort column is some column's sort, under the same word.
func TestColumnsSpec(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	seen := map[ColumnID]bool{}
	headers := map[string]bool{}
	var sorts []SortColumn
	for _, c := range Columns() {
		if seen[c.ID] || headers[c.Header] || c.ID == "" || c.Header == "" || c.Title == "" || c.ShortTitle == "" || c.Cell == nil {
			t.Errorf("column %+v: missing or repeated id, header, title or cell", c.ID)
		}
		seen[c.ID], headers[c.Header] = true, true
		if c.Sortable {
			sorts = append(sorts, c.Sort)
			if c.Sort.String() != string(c.ID) {
				t.Errorf("column %s sorts as %s: one word for both", c.ID, c.Sort)
			}
		}
		if got, ok := ColumnByID(c.ID); !ok || got.Header != c.Header {
			t.Errorf("ColumnByID(%s) = %v, %v", c.ID, got.Header, ok)
		}
		_ = c.Cell(APIKey{Name: "n\x1b[2J"}, now) // no panic on a bare key
		if strings.Contains(c.Cell(APIKey{Name: "n\x1b[2J", Username: "u\x1b", ID: "i\x1b"}, now), "\x1b") {
			t.Errorf("column %s lets an escape sequence through", c.ID)
		}
	}
	slices.Sort(sorts)
	if !slices.Equal(sorts, SortColumns()) {
		t.Errorf("sort columns %v, want each of %v once", sorts, SortColumns())
	}
	drops := map[int]ColumnID{}
	for _, c := range Columns() {
		if c.Drop == 0 {
			continue
		}
		if other, dup := drops[c.Drop]; dup {
			t.Errorf("columns %s and %s share drop priority %d", c.ID, other, c.Drop)
		}
		drops[c.Drop] = c.ID
	}
}

// JSON (written from KeyRecord's struct tags) has exactly RecordFields'
// fields in RecordFields' order, so CSV's header cannot drift from it.
func TestRecordFieldsFollowJSON(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	rec := NewKeyRecord(APIKey{ID: "k", CollectionID: "c", CollectionName: "docs", TotalCalls: Some[int64](1), LastUsed: Null[time.Time](), InactivityDays: Null[int]()}, now)
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	var names []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(names, KeyColumns()) {
		t.Errorf("JSON fields %v\nCSV header  %v", names, KeyColumns())
	}
}

func TestGroupDigitsAndCut(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := GroupDigits(n); got != want {
			t.Errorf("GroupDigits(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Cut("abcdef", 4); got != "abc…" {
		t.Errorf("Cut = %q", got)
	}
	if got := Cut("abc", 4); got != "abc" {
		t.Errorf("Cut = %q", got)
	}
}
