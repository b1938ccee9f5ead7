// Package randid makes prefixed random identifiers from crypto/rand.
package randid

import (
	"crypto/rand"
	"strings"
)

const alphabet = "abcdefghijklmnopqrstuvwxyz234567"

// New returns prefix + "_" + 26 lower-case base32 characters (130 bits of
// crypto/rand output), e.g. "pay_3kq…".
func New(prefix string) string {
	var src [26]byte
	_, _ = rand.Read(src[:])
	for i := range src {
		src[i] = alphabet[src[i]%32]
	}
	var sb strings.Builder
	sb.Grow(len(prefix) + 1 + len(src))
	sb.WriteString(prefix)
	sb.WriteByte('_')
	sb.Write(src[:])
	return sb.String()
}

// Valid reports whether id has the given prefix followed by "_" and a
// non-empty body of lower-case letters and digits.
func Valid(id, prefix string) bool {
	body, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || body == "" || len(body) > 64 {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
