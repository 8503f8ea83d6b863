package demoserver

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
)

const (
	secretPrefix = "sk-"
	secretChars  = 48
	secretLen    = len(secretPrefix) + secretChars
	alphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// uuidFrom formats 128 bits as a version-4 UUID string.
func uuidFrom(hi, lo uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// newSecret returns "sk-" and 48 characters from crypto/rand, unbiased:
// bytes of 248 and above are dropped so each of the 62 characters is equally
// likely.
func newSecret() (string, error) {
	out := make([]byte, 0, secretLen)
	out = append(out, secretPrefix...)
	var buf [64]byte
	for len(out) < secretLen {
		if _, err := crand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("read random bytes: %w", err)
		}
		for _, b := range buf {
			if b >= 248 {
				continue
			}
			out = append(out, alphabet[b%62])
			if len(out) == secretLen {
				break
			}
		}
	}
	return string(out), nil
}

// seededSecret fills buf (secretLen bytes) with a secret drawn from r, for
// sample keys: reproducible, and nobody is told it. Each draw yields ten
// characters, since 62^10 < 2^64; the slight bias is harmless here.
func seededSecret(r *rand.Rand, buf []byte) {
	copy(buf, secretPrefix)
	i := len(secretPrefix)
	for i < secretLen {
		x := r.Uint64()
		for j := 0; j < 10 && i < secretLen; j++ {
			buf[i] = alphabet[x%62]
			x /= 62
			i++
		}
	}
}
