package sshserve

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/log"
)

func TestParseAuthorizedKeys(t *testing.T) {
	a, b := newPerson(t), newPerson(t)
	for _, tc := range []struct {
		name, file string
		wantErr    string
		wantRole   Role
		wantName   string
	}{
		{name: "admin by default", file: a.line + " alice@laptop\n", wantRole: Admin, wantName: "alice@laptop"},
		{name: "read-only", file: "role=read-only " + a.line + " rob\n", wantRole: ReadOnly, wantName: "rob"},
		{name: "quoted role", file: `role="read-only" ` + a.line + " rob\n", wantRole: ReadOnly, wantName: "rob"},
		{name: "explicit admin with harmless options", file: "restrict,no-port-forwarding,role=admin " + a.line + " ann\n", wantRole: Admin, wantName: "ann"},
		{name: "comments and blank lines", file: "# people\n\n  \n" + a.line + " alice\n", wantRole: Admin, wantName: "alice"},
		{name: "control characters stripped", file: a.line + " ev\x1b[31mil\n", wantRole: Admin, wantName: "ev[31mil"},
		{name: "unknown role", file: "role=root " + a.line + " x\n", wantErr: `line 1: unknown role "root"`},
		{name: "from= is not ignored", file: `from="10.0.0.0/8" ` + a.line + " x\n", wantErr: `option "from" is not supported`},
		{name: "command= is not ignored", file: `command="ls" ` + a.line + " x\n", wantErr: `option "command" is not supported`},
		{name: "role twice", file: "role=admin,role=read-only " + a.line + " x\n", wantErr: "role given twice"},
		{name: "duplicate key", file: a.line + " one\n" + b.line + " b\nrole=read-only " + a.line + " two\n", wantErr: "line 3: key " + a.fp + ` is already listed (as "one")`},
		{name: "garbage", file: a.line + " ok\nssh-ed25519 notbase64\n", wantErr: "line 2:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := ParseAuthorizedKeys([]byte(tc.file))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, ok := set.lookup(a.signer.PublicKey())
			if !ok || got.role != tc.wantRole || got.name != tc.wantName || got.fingerprint != a.fp {
				t.Fatalf("entry %+v (found %v)", got, ok)
			}
			if _, ok := set.lookup(b.signer.PublicKey()); ok {
				t.Fatal("an unlisted key is found")
			}
		})
	}
}

func TestLongCommentCut(t *testing.T) {
	a := newPerson(t)
	set, err := ParseAuthorizedKeys([]byte(a.line + " " + strings.Repeat("é", 100) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := set.lookup(a.signer.PublicKey())
	if n := len([]rune(got.name)); n != maxNameRunes {
		t.Fatalf("name has %d runes, want %d", n, maxNameRunes)
	}
}

func TestNewRefusesWithoutAuthorizedKeys(t *testing.T) {
	if _, err := New(Options{Listen: "127.0.0.1:0"}); !errors.Is(err, ErrNoAuthorizedKeys) {
		t.Fatalf("no file given: %v", err)
	}
	dir := t.TempDir()
	_, err := New(Options{
		Listen: "127.0.0.1:0", AuthorizedKeysPath: filepath.Join(dir, "missing"),
		HostKeyPath: filepath.Join(dir, "key"), Logger: log.New(&syncBuffer{}),
	})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing file: %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "key")); statErr == nil {
		t.Fatal("a host key was created although the server refused to start")
	}
}

func TestHostKeyCreatedOnceAndReused(t *testing.T) {
	a := newPerson(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "authorized_keys")
	writeKeys(t, keys, a.line+" alice\n")
	data := filepath.Join(dir, "data")
	logs := &syncBuffer{}
	opts := Options{
		Listen: "127.0.0.1:0", AuthorizedKeysPath: keys, Logger: log.New(logs),
		Getenv: func(k string) string {
			if k == "XDG_DATA_HOME" {
				return data
			}
			return ""
		},
	}
	first, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	_ = first.Close()
	path := filepath.Join(data, "h2ogpte-keys", "ssh_host_ed25519_key")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("host key mode %04o, want 0600", st.Mode().Perm())
	}
	if !strings.HasPrefix(first.Fingerprint(), "SHA256:") || !strings.Contains(logs.String(), first.Fingerprint()) {
		t.Fatalf("fingerprint %q not logged:\n%s", first.Fingerprint(), logs)
	}
	before, _ := os.ReadFile(path)

	second, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	_ = second.Close()
	after, _ := os.ReadFile(path)
	if second.Fingerprint() != first.Fingerprint() || string(before) != string(after) {
		t.Fatal("the host key was not reused")
	}
	// The one host key is the only key written: none beside it in the
	// working directory, where wish writes one for a server without any.
	if _, err := os.Stat("id_ed25519"); !os.IsNotExist(err) {
		t.Fatalf("a stray host key was written to the working directory (stat: %v)", err)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(opts); err == nil || !strings.Contains(err.Error(), "others may read it") {
		t.Fatalf("a world-readable host key was used: %v", err)
	}
}

func TestDefaultHostKeyPath(t *testing.T) {
	env := map[string]string{"HOME": "/home/a"}
	got, err := DefaultHostKeyPath(func(k string) string { return env[k] })
	if err != nil || got != "/home/a/.local/share/h2ogpte-keys/ssh_host_ed25519_key" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := DefaultHostKeyPath(func(string) string { return "" }); err == nil {
		t.Fatal("no HOME and no XDG_DATA_HOME gave a path")
	}
}
