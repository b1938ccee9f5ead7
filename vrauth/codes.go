package vrauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// UserCodeAlphabet is RFC 8628 §6.1's example alphabet: 20 consonants, no
// vowels (no words), no easily confused letters.
const UserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// newUserCode draws 8 characters uniformly from UserCodeAlphabet (20^8 ≈
// 2^34.6; with 5 tries per authorization a guess succeeds with p < 2^-32).
func newUserCode() string {
	var b [8]byte
	out := make([]byte, 0, 8)
	for len(out) < 8 {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		for _, x := range b {
			if x < 240 && len(out) < 8 { // 240 = 12·20: reject to stay uniform
				out = append(out, UserCodeAlphabet[x%20])
			}
		}
	}
	return string(out)
}

// FormatUserCode shows a normalized code as XXXX-XXXX.
func FormatUserCode(c string) string {
	if len(c) != 8 {
		return c
	}
	return c[:4] + "-" + c[4:]
}

// NormalizeUserCode turns what a person typed ("bcdf-ghjk", "BCDF GHJK")
// into the 8-letter code, or "" if it can't be one.
func NormalizeUserCode(s string) string {
	if len(s) > 32 {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r < 128 && strings.IndexByte(UserCodeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != 8 {
		return ""
	}
	return b.String()
}

// newSecret returns 32 random bytes as unpadded base64url: device codes,
// link tokens, activation tokens and terminal secrets.
func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashSecret is how secrets are stored and looked up. A secret that isn't
// 43 base64url characters hashes to a value no stored secret has.
func hashSecret(s string) [32]byte { return sha256.Sum256([]byte("vrauth\x00" + s)) }

// validSecret reports whether s has the shape of a newSecret value.
func validSecret(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}
