package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
	"h2ogpte-keys/sshserve"
)

// A host that runs serve read-only (read_only: true, --read-only) keeps
// every session read-only, an admin's too: the host's setting is a
// ceiling over the roles in authorized_keys.
func TestReadOnlyHostRefusesAdminOverSSH(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	c := ts.adminClient(t, 5*time.Second)
	admin := sshserve.Person{Name: "ann", Role: sshserve.Admin}
	host := settings{Address: ts.URL, ReadOnly: true, ReadOnlyFrom: "read_only in /etc/secret/config.yaml"}
	id := firstKeyIDs(t, ts, 1)[0]
	for _, cmdline := range []string{"delete " + id + " --yes", "create --user alice --name x", "rotate " + id + " --yes"} {
		before := len(ts.srv.Calls())
		var out, errOut bytes.Buffer
		rc := remoteCall{person: admin, client: c, token: model.NewSecret(demoserver.DemoToken), cfg: host}
		code := runRemote(context.Background(), rc, strings.Fields(cmdline), Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Now: func() time.Time { return testNow }})
		if code != exitUsage || !strings.Contains(errOut.String(), "this server runs read-only") {
			t.Errorf("%s on a read-only host: exit %d, stderr %q; want 2, refused", cmdline, code, errOut.String())
		}
		if strings.Contains(errOut.String(), "/etc/secret") {
			t.Errorf("%s: the host's config path reached the person: %q", cmdline, errOut.String())
		}
		if n := len(ts.srv.Calls()) - before; n != 0 {
			t.Errorf("%s: %d requests sent", cmdline, n)
		}
	}
	// The dashboard decides by the same rule.
	if ro, _ := sessionReadOnly(admin, host); !ro {
		t.Error("an admin's dashboard on a read-only host may change keys")
	}
	if ro, _ := sessionReadOnly(admin, settings{}); ro {
		t.Error("an admin's session on a writable host is read-only")
	}
	if ro, why := sessionReadOnly(sshserve.Person{Role: sshserve.ReadOnly}, settings{}); !ro || !strings.Contains(why, "role") {
		t.Errorf("a read-only person: %v %q", ro, why)
	}
}
