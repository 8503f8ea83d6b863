package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// usageKeys spells three keys as a server would: k-never (current server,
// never used, no interval, no expiry, global), k-used (current server, used
// 100 days ago) and k-old (older server: no usage fields, or only nulls).
// null
// chooses between sending empty fields as null or leaving them out.
func usageKeys(null bool) string {
	empty := func(name string) string {
		if null {
			return fmt.Sprintf(`,%q:null`, name)
		}
		return ""
	}
	return `[` +
		`{"id":"k-never","username":"alice","name":"n","hint":"aaaa","created_at":"2026-01-01T00:00:00Z"` +
		empty("expires_at") + empty("last_used_at") + empty("inactivity_interval") + empty("collection_id") + empty("collection_name") +
		`,"total_calls":0,"is_active":true,"is_global_key":true},` +
		`{"id":"k-used","username":"alice","name":"u","hint":"bbbb","created_at":"2026-01-01T00:00:00.123456+00:00"` +
		empty("expires_at") + empty("inactivity_interval") + empty("collection_id") + empty("collection_name") +
		`,"last_used_at":"2026-08-18T15:00:00Z","total_calls":12,"is_active":true,"is_global_key":true},` +
		`{"id":"k-old","username":"bob","name":"o","hint":"cccc","created_at":"2026-01-01T00:00:00Z"` +
		empty("expires_at") + empty("last_used_at") + empty("inactivity_interval") + empty("collection_id") + empty("collection_name") +
		`,"is_active":true,"is_global_key":true}]`
}

// TestAbsentMeansNull: every rule gives the same answer whether a server
// sends empty optional fields as null or leaves them out.
func TestAbsentMeansNull(t *testing.T) {
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	for _, null := range []bool{true, false} {
		for _, normalize := range []bool{true, false} {
			t.Run(fmt.Sprintf("null=%v normalize=%v", null, normalize), func(t *testing.T) {
				var keys []APIKey
				if err := json.Unmarshal([]byte(usageKeys(null)), &keys); err != nil {
					t.Fatal(err)
				}
				if normalize {
					for i := range keys {
						keys[i].Normalize()
					}
				}
				tests := []struct {
					name string
					f    Filter
					want []string
				}{
					{"never used", Filter{NeverUsed: true}, []string{"k-never"}},
					{"unused for 90 days", Filter{UnusedFor: 90 * day}, []string{"k-never", "k-used"}},
					{"unused for 200 days", Filter{UnusedFor: 200 * day}, []string{"k-never"}},
					{"expiring within a year", Filter{ExpiringWithin: 365 * day}, []string{}},
					{"not working", Filter{NotWorking: true}, []string{}},
				}
				for _, tt := range tests {
					if got := ids(tt.f.Apply(keys, now)); !slices.Equal(got, tt.want) {
						t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
					}
					wantUnjudged := 0
					if tt.f.NeverUsed || tt.f.UnusedFor > 0 {
						wantUnjudged = 1
					}
					if got := tt.f.Unjudged(keys); got != wantUnjudged {
						t.Errorf("%s: Unjudged = %d, want %d", tt.name, got, wantUnjudged)
					}
				}
				wantUnknown := []bool{false, false, true}
				wantStops := []string{"never", "never", "unknown"}
				for i, k := range keys {
					if UsageUnknown(k) != wantUnknown[i] {
						t.Errorf("%s: UsageUnknown = %v", k.ID, !wantUnknown[i])
					}
					if k.InactivityReported() == wantUnknown[i] {
						t.Errorf("%s: InactivityReported = %v", k.ID, k.InactivityReported())
					}
					if k.StatusAt(now) != StatusActive {
						t.Errorf("%s: status %v", k.ID, k.StatusAt(now))
					}
					if got := StopsCell(k, now, func(time.Time) string { return "time" }, "never", "unknown"); got != wantStops[i] {
						t.Errorf("%s: stops cell %q, want %q", k.ID, got, wantStops[i])
					}
				}
				if n := CountUsageUnknown(keys); n != 1 {
					t.Errorf("CountUsageUnknown = %d, want 1", n)
				}

				// Records: a current server's empty fields are null, an
				// older server's unreported ones are left out.
				var buf bytes.Buffer
				if err := WriteKeysJSON(&buf, keys, now); err != nil {
					t.Fatal(err)
				}
				var recs []map[string]json.RawMessage
				if err := json.Unmarshal(buf.Bytes(), &recs); err != nil {
					t.Fatal(err)
				}
				field := func(i int, name string) string {
					v, ok := recs[i][name]
					if !ok {
						return "absent"
					}
					return string(v)
				}
				checks := []struct {
					i          int
					name, want string
				}{
					{0, "last_used_at", "null"}, {0, "inactivity_interval", "null"}, {0, "total_calls", "0"}, {0, "expires_at", "null"},
					{1, "last_used_at", `"2026-08-18T15:00:00Z"`}, {1, "inactivity_interval", "null"},
					{2, "last_used_at", "absent"}, {2, "inactivity_interval", "absent"}, {2, "total_calls", "absent"},
				}
				for _, c := range checks {
					if got := field(c.i, c.name); got != c.want {
						t.Errorf("record %d %s = %s, want %s", c.i, c.name, got, c.want)
					}
				}
			})
		}
	}
}

func TestNormalizeLeavesOldServersAlone(t *testing.T) {
	k := APIKey{ID: "old"}
	k.Normalize()
	if k.LastUsed.Reported || k.InactivityDays.Reported || k.TotalCalls.Reported {
		t.Errorf("an older server's key became reported: %+v", k)
	}
	used := APIKey{ID: "used", LastUsed: Some(time.Unix(0, 0))}
	if !used.UsageReported() {
		t.Error("a key with a last use has no usage reported")
	}
}

// Blank is true only for usage with nothing a table shows or filters by.
func TestKeyUsageBlank(t *testing.T) {
	for _, tt := range []struct {
		u     KeyUsage
		blank bool
	}{
		{KeyUsage{}, true},
		{KeyUsage{Estimated: true, Since: time.Unix(1, 0)}, true},
		{KeyUsage{PerDayKnown: true}, false},
		{KeyUsage{Calls24hKnown: true}, false},
		{KeyUsage{Change: UsageSpike}, false},
		{KeyUsage{Change: UsageSilent}, false},
	} {
		if got := tt.u.Blank(); got != tt.blank {
			t.Errorf("%+v: Blank() = %v, want %v", tt.u, got, tt.blank)
		}
	}
}
