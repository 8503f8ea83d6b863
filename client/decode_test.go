package client

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

func TestDecodeKeys(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, k model.APIKey)
	}{
		{
			name: "old server leaves out last_used_at, inactivity_interval, total_calls",
			body: `[{"id":"k1","username":"alice","name":"ci","hint":"abcd","created_at":"2026-01-02T03:04:05Z","is_active":true,"is_global_key":true}]`,
			check: func(t *testing.T, k model.APIKey) {
				if k.LastUsed.Reported || k.InactivityDays.Reported || k.TotalCalls.Reported {
					t.Errorf("absent fields reported: %+v %+v %+v", k.LastUsed, k.InactivityDays, k.TotalCalls)
				}
				if k.Expires != nil {
					t.Errorf("Expires = %v, want nil", k.Expires)
				}
			},
		},
		{
			name: "explicit nulls",
			body: `[{"id":"k1","username":"alice","name":"ci","hint":"abcd","created_at":"2026-01-02T03:04:05Z","expires_at":null,"last_used_at":null,"inactivity_interval":null,"total_calls":null,"is_active":false,"is_global_key":true,"collection_id":null,"collection_name":null}]`,
			check: func(t *testing.T, k model.APIKey) {
				for name, o := range map[string][2]bool{
					"last_used_at":        {k.LastUsed.Reported, k.LastUsed.Set},
					"inactivity_interval": {k.InactivityDays.Reported, k.InactivityDays.Set},
					"total_calls":         {k.TotalCalls.Reported, k.TotalCalls.Set},
				} {
					if o != [2]bool{true, false} {
						t.Errorf("%s: reported/set = %v, want reported and unset", name, o)
					}
				}
				if k.Expires != nil || k.IsActive || k.CollectionID != "" {
					t.Errorf("Expires %v IsActive %v CollectionID %q", k.Expires, k.IsActive, k.CollectionID)
				}
			},
		},
		{
			name: "both RFC 3339 spellings and every field set",
			body: `[{"id":"k1","username":"alice","name":"ci","hint":"abcd","created_at":"2026-01-02T03:04:05Z",` +
				`"expires_at":"2026-03-04T05:06:07.123456+00:00","last_used_at":"2026-02-03T04:05:06.5+02:00",` +
				`"inactivity_interval":60,"total_calls":123456,"is_active":true,"is_global_key":false,` +
				`"collection_id":"c1","collection_name":"Docs","some_new_field":{"x":1}}]`,
			check: func(t *testing.T, k model.APIKey) {
				if !k.Created.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
					t.Errorf("Created = %v", k.Created)
				}
				if k.Expires == nil || !k.Expires.Equal(time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)) {
					t.Errorf("Expires = %v", k.Expires)
				}
				if lu, ok := k.LastUsed.Get(); !ok || !lu.Equal(at("2026-02-03T02:05:06.5Z")) {
					t.Errorf("LastUsed = %v %v", lu, ok)
				}
				if d, ok := k.InactivityDays.Get(); !ok || d != 60 {
					t.Errorf("InactivityDays = %v %v", d, ok)
				}
				if n, ok := k.TotalCalls.Get(); !ok || n != 123456 {
					t.Errorf("TotalCalls = %v %v", n, ok)
				}
				if k.IsGlobal || k.CollectionID != "c1" || k.CollectionName != "Docs" || k.Hint != "abcd" || k.Name != "ci" {
					t.Errorf("key = %+v", k)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeRaw(w, 200, tt.body) })
			keys, err := newTestClient(t, srv.URL).ListAllKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 {
				t.Fatalf("%d keys, want 1", len(keys))
			}
			tt.check(t, keys[0])
		})
	}
}

// A 200 that is not the API (an SSO login page, the web UI) must say so
// rather than surface a JSON syntax error.
func TestDecodeNotAPI(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"web page", "<!doctype html><html><title>Sign in</title></html>", "list users: the server answered with a web page, not JSON: is "},
		{"wrong shape", `{"users":[]}`, "list users: unexpected answer from the server: the answer has object, want a list"},
		{"truncated", `[{"id":"u1"`, "list users: the server's answer is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeRaw(w, 200, tt.body) })
			_, err := newTestClient(t, srv.URL).ListUsers(context.Background())
			if err == nil || len(err.Error()) < len(tt.want) || err.Error()[:len(tt.want)] != tt.want {
				t.Fatalf("err = %v, want prefix %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "model.") {
				t.Errorf("the message names a Go type: %v", err)
			}
		})
	}
}
