package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"h2ogpte-keys/demoserver"
)

// Completing --collection lists the server's collections with their ids
// as descriptions; an id's terminal controls never reach the shell.
func TestCompleteCollectionsCleansIDs(t *testing.T) {
	const hostileID = "c1\u001b[8m\u202ehidden\u009b2J"
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/collections/all"):
			if r.URL.Query().Get("offset") != "" && r.URL.Query().Get("offset") != "0" {
				fmt.Fprint(w, `[]`)
				return
			}
			id, _ := json.Marshal(hostileID)
			fmt.Fprintf(w, `[{"id":%s,"name":"docs","username":"alice"}]`, id)
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
		}
	}))
	t.Cleanup(hs.Close)
	r := runCLI(t, harness{env: map[string]string{envAddress: hs.URL, envToken: demoserver.DemoToken}},
		"__complete", "create", "--user", "alice", "--collection", "")
	if !strings.Contains(r.Stdout, "docs\tc1[8mhidden2J\n") {
		t.Errorf("completions %q lack docs with its cleaned id", r.Stdout)
	}
	if strings.ContainsAny(r.Stdout, "\u001b\u202e\u009b") {
		t.Errorf("completions carry the id's controls: %q", r.Stdout)
	}
}
