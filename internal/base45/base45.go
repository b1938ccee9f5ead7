// Package base45 is the Base45 encoding of RFC 9285: bytes as text drawn
// from the 45 characters of a QR code's alphanumeric mode, so a QR symbol
// carries binary data in alphanumeric mode (5.5 bits per character) instead
// of byte mode (8 bits per character).
package base45

import (
	"errors"
	"strings"
)

// Alphabet is the RFC 9285 alphabet, value 0 to 44 in order.
const Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var values = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(Alphabet); i++ {
		v[Alphabet[i]] = int8(i)
	}
	return v
}()

// EncodedLen is the length of the encoding of n bytes.
func EncodedLen(n int) int { return n/2*3 + n%2*2 }

// Encode returns the Base45 text of b: each pair of bytes as three
// characters, a last odd byte as two.
func Encode(b []byte) string {
	var s strings.Builder
	s.Grow(EncodedLen(len(b)))
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		s.WriteByte(Alphabet[n%45])
		s.WriteByte(Alphabet[n/45%45])
		s.WriteByte(Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		s.WriteByte(Alphabet[n%45])
		s.WriteByte(Alphabet[n/45])
	}
	return s.String()
}

// Errors of Decode. They never quote the input.
var (
	ErrLength   = errors.New("base45: length leaves a single trailing character")
	ErrAlphabet = errors.New("base45: character outside the Base45 alphabet")
	ErrOverflow = errors.New("base45: a group encodes a value too large for its bytes")
)

// Decode returns the bytes s encodes. It is strict: every character must be
// in the alphabet, the length must be 0 or 2 mod 3, and no group may encode
// more than its bytes hold (a triple above 65535, a pair above 255), so
// each byte string has exactly one encoding.
func Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, ErrLength
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		end := min(i+3, len(s))
		n, mul := 0, 1
		for j := i; j < end; j++ {
			v := values[s[j]]
			if v < 0 {
				return nil, ErrAlphabet
			}
			n += int(v) * mul
			mul *= 45
		}
		if end-i == 3 {
			if n > 0xFFFF {
				return nil, ErrOverflow
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, ErrOverflow
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
