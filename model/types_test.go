package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// optDoc holds Opt fields the way APIKey does (omitzero) and one without the
// tag, to show what omitzero changes.
type optDoc struct {
	I     Opt[int]       `json:"i,omitzero"`
	T     Opt[time.Time] `json:"t,omitzero"`
	Plain Opt[string]    `json:"plain"`
}

func TestOptUnmarshal(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 0, 0, 500_000_000, time.UTC)
	tests := []struct {
		name  string
		in    string
		want  optDoc
		isErr bool
	}{
		{name: "absent", in: `{}`, want: optDoc{}},
		{name: "null", in: `{"i":null,"t":null,"plain":null}`,
			want: optDoc{I: Null[int](), T: Null[time.Time](), Plain: Null[string]()}},
		{name: "zero value is set, not absent", in: `{"i":0,"plain":""}`,
			want: optDoc{I: Some(0), Plain: Some("")}},
		{name: "values", in: `{"i":60,"t":"2026-11-20T10:00:00.5+00:00","plain":"x"}`,
			want: optDoc{I: Some(60), T: Some(at), Plain: Some("x")}},
		{name: "wrong type", in: `{"i":"sixty"}`, isErr: true},
		{name: "fraction into int", in: `{"i":1.5}`, isErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got optDoc
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.isErr {
				if err == nil {
					t.Fatalf("Unmarshal(%s) = %+v, want error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			if got.I != tt.want.I || got.Plain != tt.want.Plain {
				t.Errorf("Unmarshal(%s) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.T.Reported != tt.want.T.Reported || got.T.Set != tt.want.T.Set || !got.T.V.Equal(tt.want.T.V) {
				t.Errorf("Unmarshal(%s).T = %+v, want %+v", tt.in, got.T, tt.want.T)
			}
			if v, ok := got.I.Get(); ok != tt.want.I.Set || v != tt.want.I.V {
				t.Errorf("I.Get() = %v, %v; want %v, %v", v, ok, tt.want.I.V, tt.want.I.Set)
			}
		})
	}
}

// A decoder reusing a value must not keep an old value when the server now
// sends null.
func TestOptUnmarshalNullResetsValue(t *testing.T) {
	got := optDoc{I: Some(5)}
	if err := json.Unmarshal([]byte(`{"i":null}`), &got); err != nil {
		t.Fatal(err)
	}
	if got.I != Null[int]() {
		t.Errorf("after null, I = %+v, want %+v", got.I, Null[int]())
	}
}

func TestOptMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   optDoc
		want string
	}{
		{name: "absent: omitted with omitzero, null without", in: optDoc{}, want: `{"plain":null}`},
		{name: "null", in: optDoc{I: Null[int](), T: Null[time.Time](), Plain: Null[string]()},
			want: `{"i":null,"t":null,"plain":null}`},
		{name: "zero values kept", in: optDoc{I: Some(0), Plain: Some("")}, want: `{"i":0,"plain":""}`},
		{name: "values", in: optDoc{I: Some(60), T: Some(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), Plain: Some("x")},
			want: `{"i":60,"t":"2026-01-02T03:04:05Z","plain":"x"}`},
		// Set without Reported (built by hand) is still a value, not absent.
		{name: "set without reported", in: optDoc{I: Opt[int]{Set: true, V: 7}}, want: `{"i":7,"plain":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("Marshal = %s, want %s", b, tt.want)
			}
		})
	}
}

func TestOptConstructors(t *testing.T) {
	if o := Some("a"); !o.Reported || !o.Set || o.V != "a" || o.IsZero() {
		t.Errorf("Some(a) = %+v, IsZero %v", o, o.IsZero())
	}
	if o := Null[int](); !o.Reported || o.Set || o.IsZero() {
		t.Errorf("Null() = %+v, IsZero %v", o, o.IsZero())
	}
	if o := (Opt[int]{}); !o.IsZero() {
		t.Errorf("zero Opt IsZero = false")
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAPIKeyJSON(t *testing.T) {
	full := `{
		"id": "8b7c1e2a-0000-4000-8000-000000000001",
		"username": "alice",
		"name": "ci runner",
		"hint": "x9Qz",
		"created_at": "2026-01-02T03:04:05Z",
		"expires_at": "2026-12-31T23:59:59.123456+00:00",
		"last_used_at": "2026-11-20T10:00:00.5+00:00",
		"inactivity_interval": 60,
		"total_calls": 123456,
		"is_active": true,
		"collection_name": "Docs",
		"collection_id": "c-1",
		"is_global_key": false
	}`
	oldServer := `{"id":"k2","username":"bob","name":"","hint":"abcd",
		"created_at":"2026-01-02T03:04:05.000001+00:00","expires_at":null,"is_active":false,"is_global_key":true}`
	nulls := `{"id":"k3","username":"bob","name":"n","hint":"abcd","created_at":"2026-01-02T03:04:05Z",
		"last_used_at":null,"inactivity_interval":null,"total_calls":null,"is_active":true,"is_global_key":true}`

	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, k APIKey)
		// keys the re-marshalled JSON must hold, and must not hold
		has, hasNot []string
	}{
		{
			name: "full key, Z and +00:00 with fractions",
			in:   full,
			check: func(t *testing.T, k APIKey) {
				want := APIKey{
					ID: "8b7c1e2a-0000-4000-8000-000000000001", Username: "alice", Name: "ci runner", Hint: "x9Qz",
					IsActive: true, CollectionName: "Docs", CollectionID: "c-1", IsGlobal: false,
				}
				got := k
				got.Created, got.Expires, got.LastUsed, got.InactivityDays, got.TotalCalls = time.Time{}, nil, Opt[time.Time]{}, Opt[int]{}, Opt[int64]{}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("plain fields = %+v, want %+v", got, want)
				}
				if !k.Created.Equal(mustTime(t, "2026-01-02T03:04:05Z")) {
					t.Errorf("Created = %v", k.Created)
				}
				if k.Expires == nil || !k.Expires.Equal(time.Date(2026, 12, 31, 23, 59, 59, 123456000, time.UTC)) {
					t.Errorf("Expires = %v", k.Expires)
				}
				if lu, ok := k.LastUsed.Get(); !ok || !lu.Equal(time.Date(2026, 11, 20, 10, 0, 0, 5e8, time.UTC)) {
					t.Errorf("LastUsed = %+v", k.LastUsed)
				}
				if d, ok := k.InactivityDays.Get(); !ok || d != 60 {
					t.Errorf("InactivityDays = %+v", k.InactivityDays)
				}
				if c, ok := k.TotalCalls.Get(); !ok || c != 123456 {
					t.Errorf("TotalCalls = %+v", k.TotalCalls)
				}
			},
			has: []string{"id", "username", "name", "hint", "created_at", "expires_at", "last_used_at",
				"inactivity_interval", "total_calls", "is_active", "collection_name", "collection_id", "is_global_key"},
		},
		{
			name: "older server leaves fields out",
			in:   oldServer,
			check: func(t *testing.T, k APIKey) {
				if k.LastUsed.Reported || k.InactivityDays.Reported || k.TotalCalls.Reported {
					t.Errorf("absent fields reported: %+v %+v %+v", k.LastUsed, k.InactivityDays, k.TotalCalls)
				}
				if k.Expires != nil {
					t.Errorf("Expires = %v, want nil for null", k.Expires)
				}
				if !k.Created.Equal(time.Date(2026, 1, 2, 3, 4, 5, 1000, time.UTC)) {
					t.Errorf("Created = %v", k.Created)
				}
				if k.IsActive || !k.IsGlobal {
					t.Errorf("IsActive %v IsGlobal %v", k.IsActive, k.IsGlobal)
				}
			},
			has:    []string{"expires_at", "is_active", "is_global_key"},
			hasNot: []string{"last_used_at", "inactivity_interval", "total_calls", "collection_id", "collection_name"},
		},
		{
			name: "nulls are reported but unset",
			in:   nulls,
			check: func(t *testing.T, k APIKey) {
				for name, o := range map[string][2]bool{
					"LastUsed":       {k.LastUsed.Reported, k.LastUsed.Set},
					"InactivityDays": {k.InactivityDays.Reported, k.InactivityDays.Set},
					"TotalCalls":     {k.TotalCalls.Reported, k.TotalCalls.Set},
				} {
					if o != [2]bool{true, false} {
						t.Errorf("%s reported,set = %v, want true,false", name, o)
					}
				}
			},
			has: []string{"last_used_at", "inactivity_interval", "total_calls"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k APIKey
			if err := json.Unmarshal([]byte(tt.in), &k); err != nil {
				t.Fatal(err)
			}
			tt.check(t, k)

			b, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(b, &fields); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.has {
				if _, ok := fields[f]; !ok {
					t.Errorf("marshalled key lacks %q: %s", f, b)
				}
			}
			for _, f := range tt.hasNot {
				if _, ok := fields[f]; ok {
					t.Errorf("marshalled key has %q: %s", f, b)
				}
			}
			// Round trip: decoding what we wrote gives the same key.
			var back APIKey
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !sameKey(k, back) {
				t.Errorf("round trip changed the key:\n got %+v\nwant %+v\njson %s", back, k, b)
			}
		})
	}
}

// sameKey compares keys with time.Equal, since a round trip may turn a
// +00:00 offset into Z.
func sameKey(a, b APIKey) bool {
	eqT := func(x, y time.Time) bool { return x.Equal(y) }
	if !eqT(a.Created, b.Created) || (a.Expires == nil) != (b.Expires == nil) ||
		(a.Expires != nil && !eqT(*a.Expires, *b.Expires)) {
		return false
	}
	if a.LastUsed.Reported != b.LastUsed.Reported || a.LastUsed.Set != b.LastUsed.Set || !eqT(a.LastUsed.V, b.LastUsed.V) {
		return false
	}
	a.Created, b.Created = time.Time{}, time.Time{}
	a.Expires, b.Expires = nil, nil
	a.LastUsed, b.LastUsed = Opt[time.Time]{}, Opt[time.Time]{}
	return reflect.DeepEqual(a, b)
}

func TestAPIKeyJSONRejectsBadTime(t *testing.T) {
	for _, in := range []string{
		`{"created_at":"yesterday"}`,
		`{"last_used_at":"2026-13-01T00:00:00Z"}`,
	} {
		var k APIKey
		if err := json.Unmarshal([]byte(in), &k); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want error", in)
		} else if strings.Contains(err.Error(), "panic") {
			t.Errorf("Unmarshal(%s): %v", in, err)
		}
	}
}
