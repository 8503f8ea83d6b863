package model

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCSVCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ci-deploy", "ci-deploy"},
		{"=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{" =1", " =1"}, // a leading space is text to every spreadsheet
		{"a=1", "a=1"}, // only the first character counts
		{"'=1", "'=1"}, // already quoted stays as is
		{"2026-12-31T00:00:00Z", "2026-12-31T00:00:00Z"},
		{"ключ", "ключ"},
		{"＝1", "＝1"}, // fullwidth equals is not a formula prefix
	}
	for _, tc := range tests {
		if got := CSVCell(tc.in); got != tc.want {
			t.Errorf("CSVCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCSVRowSurvivesCSVEncoding(t *testing.T) {
	row := CSVRow([]string{"=cmd|' /C calc'!A0", "plain", "@x", "a,b\"c"})
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(row); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	got, err := csv.NewReader(&buf).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=cmd|' /C calc'!A0", "plain", "'@x", "a,b\"c"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"", "=1", "@", "-", "+", "\t", "\r", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CSVCell(s)
		if got != "" {
			switch got[0] {
			case '=', '+', '-', '@', '\t', '\r':
				t.Fatalf("CSVCell(%q) = %q still starts with a formula character", s, got)
			}
		}
		if got != s && got != "'"+s {
			t.Fatalf("CSVCell(%q) = %q changed more than a prefix", s, got)
		}
	})
}
