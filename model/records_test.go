package model

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestKeyRecords(t *testing.T) {
	at := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	exp := at.Add(72 * time.Hour)
	keys := []APIKey{
		{ID: "k1", Username: "alice", Name: "lap\x1b[2Jtop", Hint: "abcd", Created: at.Add(-time.Hour), Expires: &exp, IsActive: true, IsGlobal: true,
			LastUsed: Some(at.Add(-time.Minute)), InactivityDays: Null[int](), TotalCalls: Some[int64](1234567)},
		{ID: "k2", Username: "bob", Name: "=HYPERLINK(\"http://x\")", Created: at.Add(-48 * time.Hour), IsActive: false, CollectionID: "c1", CollectionName: "Docs",
			LastUsed: Null[time.Time](), InactivityDays: Some(3)},
	}
	var c bytes.Buffer
	if err := WriteKeysCSV(&c, keys, at); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(KeyColumns(), ",") || len(rows) != 3 {
		t.Fatalf("CSV: %v", rows)
	}
	want := []map[string]string{
		{"name": "lap[2Jtop", "status": "active", "stops_at": "2026-11-29T15:00:00Z", "total_calls": "1234567", "inactivity_interval": ""},
		{"name": "'=HYPERLINK(\"http://x\")", "status": "inactive", "stops_at": "already", "last_used_at": "", "collection_name": "Docs", "is_global_key": "false"},
	}
	for i, fields := range want {
		for name, v := range fields {
			col := -1
			for j, c := range rows[0] {
				if c == name {
					col = j
				}
			}
			if got := rows[i+1][col]; got != v {
				t.Errorf("row %d %s = %q, want %q", i, name, got, v)
			}
		}
	}

	var j bytes.Buffer
	if err := WriteKeysJSON(&j, keys, at); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]json.RawMessage
	if err := json.Unmarshal(j.Bytes(), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || string(recs[0]["stops_at"]) != `"2026-11-29T15:00:00Z"` || string(recs[1]["stops_at"]) != "null" ||
		string(recs[1]["status"]) != `"inactive"` {
		t.Errorf("JSON records: %s", j.String())
	}
	if strings.Contains(j.String(), "secret") {
		t.Errorf("a record mentions a secret: %s", j.String())
	}
	j.Reset()
	if err := WriteKeysJSON(&j, nil, at); err != nil || j.String() != "[]\n" {
		t.Errorf("no keys: %q, %v", j.String(), err)
	}
}

// KeyJSONWriter writes, record by record, exactly the bytes WriteKeysJSON
// writes for the whole slice: none, one and many keys, with every kind of
// field (nulls, unreported fields, names that JSON escapes).
func TestKeyJSONWriterMatchesWriteKeysJSON(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	exp := now.Add(48 * time.Hour)
	all := []APIKey{
		{ID: "k1", Username: "alice", Name: `<b>&"quoted"</b>`, Created: now.Add(-time.Hour), Expires: &exp,
			LastUsed: Some(now.Add(-time.Minute)), InactivityDays: Some(30), TotalCalls: Some[int64](12345), IsActive: true, IsGlobal: true},
		{ID: "k2", Username: "bob", Name: "plain", Created: now.Add(-2 * time.Hour), LastUsed: Null[time.Time](),
			InactivityDays: Null[int](), TotalCalls: Some[int64](0), CollectionID: "c1", CollectionName: "docs"},
		{ID: "k3", Username: "carol", Name: "old server", Created: now.Add(-3 * time.Hour), IsActive: true},
	}
	for n := 0; n <= len(all); n++ {
		keys := all[:n]
		var want, got bytes.Buffer
		if err := WriteKeysJSON(&want, keys, now); err != nil {
			t.Fatal(err)
		}
		jw := NewKeyJSONWriter(&got, now)
		for _, k := range keys {
			if err := jw.Write(k); err != nil {
				t.Fatal(err)
			}
		}
		if err := jw.Close(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%d keys:\n got %q\nwant %q", n, got.String(), want.String())
		}
		if jw.Count() != n {
			t.Errorf("Count %d, want %d", jw.Count(), n)
		}
	}
}
