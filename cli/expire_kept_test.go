package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// expire --never on a server with a global limit reads the key back: a
// server that answers 204 but keeps an expiry is reported as it is (the
// stored expiry, exit 1), not as "no longer expires". Without a limit, and
// where the server removed it, the removal is reported.
func TestExpireNeverReadsBackUnderALimit(t *testing.T) {
	exp := testNow.Add(90 * 24 * time.Hour)
	for _, tc := range []struct {
		name        string
		limit, kept bool
		wantCode    int
		wantOut     string
		wantListing bool
		limitFails  bool // the limit cannot be read: said, not hidden
	}{
		{"kept under a limit", true, true, exitFail, "key k1 now expires " + exp.Format(model.TimeLayout), true, false},
		{"removed under a limit", true, false, 0, "key k1 no longer expires", true, false},
		{"no limit: the 204 is taken", false, true, 0, "key k1 no longer expires", false, false},
		{"the limit cannot be read", true, true, 0, "key k1 no longer expires", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			listed := false
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/configurations"):
					if tc.limitFails {
						http.Error(w, `{"code":403,"message":"forbidden"}`, http.StatusForbidden)
						return
					}
					if tc.limit {
						fmt.Fprint(w, `[{"key_name":"global_api_key_expiry_days","string_value":"90"}]`)
					} else {
						fmt.Fprint(w, `[]`)
					}
				case r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/admin/api_keys/expire/k1"):
					w.WriteHeader(http.StatusNoContent)
				case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/admin/api_keys"):
					listed = true
					if off := r.URL.Query().Get("offset"); off != "" && off != "0" {
						fmt.Fprint(w, `[]`)
						return
					}
					expires := "null"
					if tc.kept {
						expires = fmt.Sprintf("%q", exp.Format(time.RFC3339))
					}
					fmt.Fprintf(w, `[{"id":"k1","username":"carol","name":"plain","hint":"abcd","created_at":%q,"expires_at":%s,"is_active":true,"is_global_key":true,"total_calls":0}]`,
						testNow.Format(time.RFC3339), expires)
				default:
					http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
				}
			}))
			t.Cleanup(hs.Close)
			r := runCLI(t, harness{env: map[string]string{envAddress: hs.URL, envToken: demoserver.DemoToken}},
				"expire", "k1", "--never", "--output", "table")
			if r.code != tc.wantCode || !strings.Contains(r.Stdout, tc.wantOut) {
				t.Errorf("exit %d (want %d), stdout %q (want %q), stderr %q", r.code, tc.wantCode, r.Stdout, tc.wantOut, r.Stderr)
			}
			if tc.wantCode != 0 && !strings.Contains(r.Stderr, "still expires") {
				t.Errorf("stderr %q does not say the expiry was kept", r.Stderr)
			}
			if tc.limitFails != strings.Contains(r.Stderr, "could not read the server's expiry limit") {
				t.Errorf("stderr %q: the limit's failure said = %v, want %v", r.Stderr, !tc.limitFails, tc.limitFails)
			}
			if listed != tc.wantListing {
				t.Errorf("read back: %v, want %v", listed, tc.wantListing)
			}
		})
	}
}
