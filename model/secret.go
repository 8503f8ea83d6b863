package model

import (
	"fmt"
	"log/slog"
)

const redacted = "[REDACTED]"

// Secret holds a new key's secret. Every way of printing or encoding it
// (String, GoString, any fmt verb, JSON, text, slog) yields a redaction; the
// plain value comes out only through Reveal, where it is shown or copied.
//
// The bytes are reached through a func, not a field: fmt cannot call Format
// on a Secret held in an unexported struct field (nor after a bad verb such
// as %p) and prints its fields by reflection instead. A func prints as an
// address whatever the verb; a []byte, or a pointer to one, would print the
// secret. Sharing one buffer also lets Wipe reach every copy.
type Secret struct {
	buf func() *[]byte
}

// NewSecret wraps a secret value.
func NewSecret(s string) Secret {
	b := []byte(s)
	return Secret{buf: func() *[]byte { return &b }}
}

func (s Secret) bytes() []byte {
	if s.buf == nil {
		return nil
	}
	return *s.buf()
}

// Reveal returns the plain secret. Call it only where the secret is shown or
// copied, never where it could be logged.
func (s Secret) Reveal() string { return string(s.bytes()) }

// Empty reports whether there is no secret (never set, or wiped).
func (s Secret) Empty() bool { return len(s.bytes()) == 0 }

// Wipe overwrites the secret's bytes and drops them, for this Secret and
// every copy of it. Strings returned by Reveal are out of its reach; keep
// those short-lived.
func (s *Secret) Wipe() {
	if s.buf == nil {
		return
	}
	p := s.buf()
	clear(*p)
	*p = nil
}

// String redacts.
func (s Secret) String() string { return redacted }

// GoString redacts, for %#v.
func (s Secret) GoString() string { return redacted }

// Format redacts for every fmt verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON redacts.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText redacts.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue redacts for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
