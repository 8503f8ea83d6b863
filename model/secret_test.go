package model

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const plainSecret = "sk-Zq8v3Lw0Tn5Rk2Jp7Hx4Cm9Bd1Fy6Gs0Qa3We8Rt5Yu2Io7P"

// leakForms are the shapes in which the secret could escape: as text, as hex
// (%x), as the decimal bytes fmt prints for a []byte, and its tail.
func leakForms() []string {
	var dec []string
	for _, c := range []byte(plainSecret[:6]) {
		dec = append(dec, fmt.Sprint(c))
	}
	return []string{
		plainSecret,
		plainSecret[len(plainSecret)-12:],
		hex.EncodeToString([]byte(plainSecret[:8])),
		strings.ToUpper(hex.EncodeToString([]byte(plainSecret[:8]))),
		strings.Join(dec, " "),
		strings.Join(dec, ", "),
		"0x73, 0x6b, 0x2d", // %#v of []byte("sk-")
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	s := NewSecret(plainSecret)
	type holder struct {
		Name   string
		Secret Secret
		hidden Secret // fmt cannot call methods on unexported fields
	}
	h := holder{Name: "k", Secret: s, hidden: s}
	ck := CreatedKey{Secret: s, Key: APIKey{ID: "k1", Name: "ci"}}

	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p", "%t", "%10.3s"} {
		out["secret "+verb] = fmt.Sprintf(verb, s)
		out["*secret "+verb] = fmt.Sprintf(verb, &s)
		out["struct "+verb] = fmt.Sprintf(verb, h)
		out["*struct "+verb] = fmt.Sprintf(verb, &h)
		out["CreatedKey "+verb] = fmt.Sprintf(verb, ck)
		out["slice "+verb] = fmt.Sprintf(verb, []Secret{s})
		out["map "+verb] = fmt.Sprintf(verb, map[string]any{"s": s, "h": h})
	}
	out["Sprint"] = fmt.Sprint(s, h, ck)
	out["Sprintln"] = fmt.Sprintln(s, h, ck)
	out["String"] = s.String()
	out["GoString"] = s.GoString()
	out["errors.New"] = errors.New(fmt.Sprintf("create key: %v %+v", s, h)).Error()
	out["Errorf"] = fmt.Errorf("create key %s: %w", s, errors.New("boom")).Error()

	for name, v := range map[string]any{"secret": s, "struct": h, "CreatedKey": ck, "*struct": &h} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%s): %v", name, err)
		}
		out["json "+name] = string(b)
	}
	if txt, err := s.MarshalText(); err != nil {
		t.Fatal(err)
	} else {
		out["MarshalText"] = string(txt)
	}

	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(newHandler(&buf))
		log.Info("created", "secret", s, "holder", h, "key", ck, "ptr", &s)
		log.Info("group", slog.Group("g", slog.Any("secret", s)))
		log.Info(fmt.Sprint("in message ", s))
		out["slog "+name] = buf.String()
	}

	for name, got := range out {
		for _, form := range leakForms() {
			if strings.Contains(got, form) {
				t.Errorf("%s leaks the secret (%q): %s", name, form, got)
			}
		}
	}
	for _, name := range []string{"secret %v", "secret %s", "secret %q", "secret %x", "*secret %v", "Sprint",
		"json secret", "MarshalText", "slog text", "slog json", "errors.New", "Errorf"} {
		if !strings.Contains(out[name], redacted) {
			t.Errorf("%s = %q, want it to say %s", name, out[name], redacted)
		}
	}
}

func TestSecretReveal(t *testing.T) {
	tests := []struct {
		name      string
		s         Secret
		want      string
		wantEmpty bool
	}{
		{name: "value", s: NewSecret(plainSecret), want: plainSecret},
		{name: "empty string", s: NewSecret(""), wantEmpty: true},
		{name: "zero value", s: Secret{}, wantEmpty: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Reveal(); got != tt.want {
				t.Errorf("Reveal() = %q, want %q", got, tt.want)
			}
			if got := tt.s.Empty(); got != tt.wantEmpty {
				t.Errorf("Empty() = %v, want %v", got, tt.wantEmpty)
			}
			if got := fmt.Sprint(tt.s); got != redacted {
				t.Errorf("Sprint = %q, want %q", got, redacted)
			}
		})
	}
}

func TestSecretWipe(t *testing.T) {
	s := NewSecret(plainSecret)
	held := s // a copy, as CreatedKey values get passed around
	underlying := s.bytes()
	revealed := s.Reveal() // made before the wipe

	s.Wipe()

	if !bytes.Equal(underlying, make([]byte, len(plainSecret))) {
		t.Errorf("underlying bytes after Wipe = %q, want all zero", underlying)
	}
	if revealed != plainSecret {
		t.Errorf("a Reveal'd copy changed after Wipe: %q", revealed)
	}
	for name, v := range map[string]Secret{"wiped": s, "copy": held} {
		if !v.Empty() || v.Reveal() != "" {
			t.Errorf("%s: Empty() = %v, Reveal() = %q after Wipe; want empty", name, v.Empty(), v.Reveal())
		}
	}
	s.Wipe() // twice is fine
	var zero Secret
	zero.Wipe() // so is the zero value
	if !zero.Empty() {
		t.Error("zero Secret not Empty after Wipe")
	}
}
