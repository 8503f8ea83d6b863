package cli

import (
	"bytes"
	"context"
	"testing"
	"time"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// serverOrder reads keys straight from the server in its own order, as the
// streaming listing meets them.
func serverOrder(t *testing.T, ts *testServer, user string) []model.APIKey {
	t.Helper()
	c, err := client.New(client.Config{Address: ts.URL, Token: model.NewSecret(demoserver.DemoToken), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var keys []model.APIKey
	if err := c.StreamKeys(context.Background(), user, func(page []model.APIKey) { keys = append(keys, page...) }); err != nil {
		t.Fatal(err)
	}
	return keys
}

// list --unsorted -o json|csv writes, page by page, exactly the bytes that
// collecting the whole listing and printing it at once writes for the same
// keys in the same order (model.WriteKeysJSON and writeCSV, the printers
// of the collecting path), with and without filters, for everyone and for
// one user.
func TestStreamingListIsByteIdentical(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1, ExtraKeys: 3000})
	all := serverOrder(t, ts, "")
	if len(all) < 3000 {
		t.Fatalf("%d keys", len(all))
	}
	collect := func(format outputFormat, keys []model.APIKey) string {
		var b bytes.Buffer
		if err := (printer{w: &b, format: format, now: testNow}).keys(keys); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	activeOnly := model.Filter{Statuses: []model.Status{model.StatusActive}}
	for _, tc := range []struct {
		name string
		args []string
		keys []model.APIKey
	}{
		{"all", []string{"list", "--all"}, all},
		{"filtered", []string{"list", "--all", "--status", "active"}, activeOnly.Apply(all, testNow)},
		{"one user", []string{"list", "--user", "user0001"}, serverOrder(t, ts, "user0001")},
		{"nobody's keys", []string{"list", "--all", "--filter", "no key has this in its name"}, nil},
	} {
		for _, format := range []outputFormat{formatJSON, formatCSV} {
			t.Run(tc.name+"/"+string(format), func(t *testing.T) {
				args := append(append([]string(nil), tc.args...), "--unsorted", "-o", string(format))
				r := runCLI(t, harness{env: ts.adminEnv()}, args...)
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.Stderr)
				}
				if want := collect(format, tc.keys); r.Stdout != want {
					t.Errorf("%d bytes streamed, %d collected: they differ", len(r.Stdout), len(want))
				}
			})
		}
	}
}

// --unsorted with --sort is a usage error; a table is still aligned (it is
// collected), only in the server's order.
func TestUnsortedFlag(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "list", "--all", "--unsorted", "--sort", "name")
	assertOneLine(t, r, exitUsage, "--unsorted and --sort")
	r = runCLI(t, harness{env: ts.adminEnv()}, "list", "--all", "--unsorted", "-o", "table")
	var b bytes.Buffer
	if err := (printer{w: &b, format: formatTable, now: testNow}).keys(serverOrder(t, ts, "")); err != nil {
		t.Fatal(err)
	}
	if r.code != 0 || r.Stdout != b.String() {
		t.Errorf("exit %d; table differs from the server-order table:\n%s", r.code, r.Stdout)
	}
	r = runCLI(t, harness{env: ts.adminEnv()}, "list", "--user", "nosuchuser", "--unsorted", "-o", "json")
	if r.code != exitUsage || r.Stdout != "" {
		t.Errorf("unknown user: exit %d, stdout %q", r.code, r.Stdout)
	}
}
