package sshserve

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"h2ogpte-keys/model"
)

// Role is what a person may do. The zero value is ReadOnly, so a Person
// built by mistake can look but not change.
type Role int

const (
	// ReadOnly people may look at users and keys but change nothing.
	ReadOnly Role = iota
	// Admin people may change keys.
	Admin
)

// String is the role as the authorized keys option spells it.
func (r Role) String() string {
	if r == Admin {
		return "admin"
	}
	return "read-only"
}

// Person is who is on the other end of a session, as the authorized keys
// file names them. Name comes from that file (the key's comment), never from
// anything the client sends, so it is what the audit log records.
type Person struct {
	// Name is the key's comment, or "key SHA256:xxxxxxxxxxxx" when the line
	// has none.
	Name string
	// Fingerprint is the key's SHA256 fingerprint ("SHA256:...").
	Fingerprint string
	// Role is what the person may do.
	Role Role
	// RemoteAddr is the client's address (host:port).
	RemoteAddr string
}

// CanChange reports whether the person may change keys.
func (p Person) CanChange() bool { return p.Role == Admin }

// authorized is one line of the authorized keys file.
type authorized struct {
	name        string
	fingerprint string
	role        Role
}

// KeySet is a parsed authorized keys file: who may enter, and as what.
type KeySet struct {
	byKey map[string]authorized // by the key's wire encoding
}

// Len is the number of authorized keys.
func (k *KeySet) Len() int { return len(k.byKey) }

// lookup returns the entry for key; ok is false for an unknown key.
func (k *KeySet) lookup(key gossh.PublicKey) (authorized, bool) {
	if k == nil || key == nil {
		return authorized{}, false
	}
	a, ok := k.byKey[string(key.Marshal())]
	return a, ok
}

// maxNameRunes bounds a person's name; longer comments are cut so a name
// cannot flood a status bar or a log line.
const maxNameRunes = 64

// ParseAuthorizedKeys reads an OpenSSH authorized_keys file. Each line is
// "[options] type base64 [comment]"; the comment names the person. The one
// option that means something here is role=read-only (or role=admin, the
// default). Options that only forbid what this service never offers
// (forwarding, X11, user rc, "restrict") are accepted; any other option
// (from=, command=, no-pty, cert-authority, expiry-time, ...) makes the
// whole file an error, because silently ignoring a restriction the operator
// wrote would let in more than they meant. A key listed twice is an error
// too, as its two roles could disagree.
func ParseAuthorizedKeys(data []byte) (*KeySet, error) {
	set := &KeySet{byKey: map[string]authorized{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, comment, options, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		role, err := parseOptions(options)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		fp := gossh.FingerprintSHA256(key)
		wire := string(key.Marshal())
		if prev, dup := set.byKey[wire]; dup {
			return nil, fmt.Errorf("line %d: key %s is already listed (as %q)", n, fp, prev.name)
		}
		set.byKey[wire] = authorized{name: personName(comment, fp), fingerprint: fp, role: role}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read authorized keys: %w", err)
	}
	return set, nil
}

// harmlessOption reports whether an option only forbids what this service
// never offers anyway.
func harmlessOption(name string) bool {
	switch name {
	case "restrict", "no-port-forwarding", "no-agent-forwarding", "no-x11-forwarding", "no-user-rc":
		return true
	}
	return false
}

func parseOptions(options []string) (Role, error) {
	role := Admin
	seenRole := false
	for _, o := range options {
		name, value, hasValue := strings.Cut(o, "=")
		name = strings.ToLower(name)
		switch {
		case name == "role" && hasValue:
			if seenRole {
				return 0, fmt.Errorf("option role given twice")
			}
			seenRole = true
			switch strings.Trim(value, `"`) {
			case "read-only":
				role = ReadOnly
			case "admin":
				role = Admin
			default:
				return 0, fmt.Errorf("unknown role %q (want read-only or admin)", model.CleanText(value))
			}
		case !hasValue && harmlessOption(name):
		default:
			return 0, fmt.Errorf("option %q is not supported by this service; remove it rather than have it ignored", model.CleanText(name))
		}
	}
	return role, nil
}

// personName is the comment made safe to show, or a name from the
// fingerprint when there is no comment.
func personName(comment, fingerprint string) string {
	name := strings.Join(strings.Fields(model.CleanText(comment)), " ")
	if r := []rune(name); len(r) > maxNameRunes {
		name = string(r[:maxNameRunes])
	}
	if name == "" {
		short := strings.TrimPrefix(fingerprint, "SHA256:")
		if len(short) > 12 {
			short = short[:12]
		}
		name = "key SHA256:" + short
	}
	return name
}
