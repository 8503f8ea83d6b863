package model

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// KeyRecord is one key as exports carry it, in JSON and CSV alike: the
// CLI's `list --output json|csv` and the dashboard's export write the same
// records. It is the API's APIKeyInfo under the API's field names, plus the
// computed status (lower-case: active, inactive, expired, idle) and
// stops_at, when the key stops working (RFC 3339; null when it has no expiry
// or inactivity interval, or is deactivated). Fields an older server did not
// report (no total_calls) are left out; from a current server an absent
// field is written as null. There is no secret in it: APIKey holds none.
type KeyRecord struct {
	APIKey
	Status  string     `json:"status"`
	StopsAt *time.Time `json:"stops_at"`
}

// NewKeyRecord computes k's record at now. A key from a current server is
// normalized first, so a last_used_at or inactivity_interval the server left
// out is written as null (never used, no interval), the same as a null.
func NewKeyRecord(k APIKey, now time.Time) KeyRecord {
	k.Normalize()
	r := KeyRecord{APIKey: k, Status: StatusName(k.StatusAt(now))}
	if t, ok := recordStopsAt(k, now); ok {
		r.StopsAt = &t
	}
	return r
}

// StatusName is the status as JSON and CSV spell it: active, inactive,
// expired, idle.
func StatusName(s Status) string { return strings.ToLower(s.String()) }

// recordStopsAt is StopsAt, except that a deactivated key has no such time:
// it stopped when it was deactivated, which the API does not record.
func recordStopsAt(k APIKey, now time.Time) (time.Time, bool) {
	if k.StatusAt(now) == StatusInactive {
		return time.Time{}, false
	}
	return k.StopsAt()
}

// KeyColumns returns the CSV header of key records: the JSON field names, in
// the JSON's order (RecordFields).
func KeyColumns() []string {
	fields := RecordFields()
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}

// KeyCSVRow flattens k's record at now into KeyColumns' order. Null and
// not-reported values are both empty: CSV has no null; JSON tells them
// apart. stops_at is "already" for a key that has stopped, as in the
// dashboard's column. Server text is cleaned (CleanText) because CSV files
// end up in terminals and spreadsheets.
func KeyCSVRow(k APIKey, now time.Time) []string {
	k.Normalize()
	fields := RecordFields()
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.CSV(k, now)
	}
	return out
}

// StopsCell words when k stops working for a table cell or CSV: "already"
// for a key that has stopped (inactive, expired or idle), format(t) for the
// time a working key will stop, never when nothing will stop it, and
// unknown when an older server leaves that unknown (it does not report the
// inactivity interval). JSON keeps the time itself, or null, beside its
// status.
func StopsCell(k APIKey, now time.Time, format func(time.Time) string, never, unknown string) string {
	if !k.StatusAt(now).Working() {
		return "already"
	}
	if t, ok := k.StopsAt(); ok {
		return format(t)
	}
	if k.InactivityReported() {
		return never
	}
	return unknown
}

// WriteKeysJSON writes keys' records at now as one indented JSON array
// ([] when there are none).
func WriteKeysJSON(w io.Writer, keys []APIKey, now time.Time) error {
	recs := make([]KeyRecord, 0, len(keys))
	for _, k := range keys {
		recs = append(recs, NewKeyRecord(k, now))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(recs); err != nil {
		return fmt.Errorf("write keys as JSON: %w", err)
	}
	return nil
}

// WriteKeysCSV writes the header and one row per key (KeyCSVRow at now),
// each cell made safe for spreadsheets (CSVRow).
func WriteKeysCSV(w io.Writer, keys []APIKey, now time.Time) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(KeyColumns()); err != nil {
		return fmt.Errorf("write keys as CSV: %w", err)
	}
	for _, k := range keys {
		if err := cw.Write(CSVRow(KeyCSVRow(k, now))); err != nil {
			return fmt.Errorf("write keys as CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write keys as CSV: %w", err)
	}
	return nil
}

// KeyJSONWriter writes key records one at a time as one indented JSON
// array: the bytes are exactly those WriteKeysJSON writes for the same keys
// in the same order, but only one record is held at a time, so a listing
// of any size can be written as its pages arrive.
type KeyJSONWriter struct {
	w   io.Writer
	now time.Time
	n   int
	buf bytes.Buffer
	enc *json.Encoder
}

// NewKeyJSONWriter starts an array on w; records are computed at now.
// Nothing is written before the first Write or Close.
func NewKeyJSONWriter(w io.Writer, now time.Time) *KeyJSONWriter {
	jw := &KeyJSONWriter{w: w, now: now}
	jw.enc = json.NewEncoder(&jw.buf)
	// An element of an array indented by "  " is the element indented
	// with the prefix "  ": one level deeper than on its own.
	jw.enc.SetIndent("  ", "  ")
	jw.enc.SetEscapeHTML(false)
	return jw
}

// Write appends k's record to the array.
func (jw *KeyJSONWriter) Write(k APIKey) error {
	jw.buf.Reset()
	if jw.n == 0 {
		jw.buf.WriteString("[\n  ")
	} else {
		jw.buf.WriteString(",\n  ")
	}
	if err := jw.enc.Encode(NewKeyRecord(k, jw.now)); err != nil {
		return fmt.Errorf("write keys as JSON: %w", err)
	}
	jw.n++
	b := jw.buf.Bytes()
	if _, err := jw.w.Write(b[:len(b)-1]); err != nil { // Encode's newline ends the array instead
		return fmt.Errorf("write keys as JSON: %w", err)
	}
	return nil
}

// Close ends the array ("[]" when nothing was written). It does not close
// the underlying writer.
func (jw *KeyJSONWriter) Close() error {
	end := "\n]\n"
	if jw.n == 0 {
		end = "[]\n"
	}
	if _, err := io.WriteString(jw.w, end); err != nil {
		return fmt.Errorf("write keys as JSON: %w", err)
	}
	return nil
}

// Count is how many records have been written.
func (jw *KeyJSONWriter) Count() int { return jw.n }
