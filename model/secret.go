package model

import (
	"fmt"
	"log/slog"
)

const redacted = "[REDACTED]"

// Secret holds a new key's secret. Every way of printing or encoding it
// (String, GoString, any fmt verb, JSON, text, slog) yields a redaction; the
// plain value comes out only through Reveal, where it is shown or copied.
type Secret struct {
	b []byte
}

// NewSecret wraps a secret value.
func NewSecret(s string) Secret { return Secret{b: []byte(s)} }

// Reveal returns the plain secret. Call it only where the secret is shown or
// copied, never where it could be logged.
func (s Secret) Reveal() string { return string(s.b) }

// Empty reports whether there is no secret (never set, or wiped).
func (s Secret) Empty() bool { return len(s.b) == 0 }

// Wipe overwrites the secret's bytes and drops them. Copies made by Reveal
// are out of its reach; keep those short-lived.
func (s *Secret) Wipe() {
	for i := range s.b {
		s.b[i] = 0
	}
	s.b = nil
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
