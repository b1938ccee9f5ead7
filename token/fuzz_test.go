package token

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseToken: ParseToken never panics, accepts only the two token
// shapes (a numeric token is 16 to 19 digits, Luhn-valid; an opaque one is
// the prefix and the lower-case base32 of 16 bytes), and its errors never
// echo the input or carry a run of digits.
func FuzzParseToken(f *testing.F) {
	for _, s := range []string{
		"4111111111111111", "4111111111111112", "378282246310005", h1Luhn("411111111111111111"),
		h1Luhn("4111111111111111111"), newOpaque(), OpaquePrefix, OpaquePrefix + strings.Repeat("a", 26),
		OpaquePrefix + strings.Repeat("a", 24) + "\r\n", OpaquePrefix + strings.Repeat("A", 26),
		OpaquePrefix + strings.Repeat("a", 25) + "b", "", "ptk", "9999000212345675\n", "\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		format, err := ParseToken(s)
		if err != nil {
			if format != "" {
				t.Fatalf("format %q with an error", format)
			}
			h1NoEcho(t, "fuzz", err.Error(), s)
			return
		}
		switch format {
		case FormatNumeric:
			if len(s) < 16 || len(s) > 19 || !LuhnValid(s) {
				t.Fatalf("ParseToken(%q) = numeric", s)
			}
		case FormatOpaque:
			if len(s) != opaqueLen || !strings.HasPrefix(s, OpaquePrefix) {
				t.Fatalf("ParseToken(%q) = opaque", s)
			}
			body := s[len(OpaquePrefix):]
			b, err := b32.DecodeString(strings.ToUpper(body))
			if err != nil || len(b) != 16 || OpaquePrefix+strings.ToLower(b32.EncodeToString(b)) != s {
				t.Fatalf("ParseToken(%q) = opaque, not the encoding of 16 bytes", s)
			}
		default:
			t.Fatalf("ParseToken(%q) = %q", s, format)
		}
	})
}

// FuzzParseCryptogram: ParseCryptogram never panics; what it accepts has
// one spelling (String gives the input back), a nonce of 4 to 16 bytes,
// and never verifies under a key that didn't make it.
func FuzzParseCryptogram(f *testing.F) {
	in := h1Input()
	for _, n := range []int{minNonce, 8, maxNonce} {
		in.Nonce = bytes.Repeat([]byte{byte(n)}, n)
		s, err := NewCryptogram(h1Key, in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
		f.Add(s + "\n")
		f.Add(s[:len(s)-1])
		f.Add(s + "A")
	}
	for _, s := range []string{"", "AQ", "AQAAAAEE", "=", "AQAAAAEEAQIDBA==", strings.Repeat("_", 64), strings.Repeat("A", 65)} {
		f.Add(s)
	}
	other := bytes.Repeat([]byte{0xa5}, KeySize)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCryptogram(s)
		if err != nil {
			h1NoEcho(t, "fuzz", err.Error(), s)
			return
		}
		if got := c.String(); got != s {
			t.Fatalf("ParseCryptogram(%q).String() = %q", s, got)
		}
		if len(c.Nonce) < minNonce || len(c.Nonce) > maxNonce || len(s) > maxCryptogramText {
			t.Fatalf("accepted a nonce of %d bytes in %d characters", len(c.Nonce), len(s))
		}
		again, err := ParseCryptogram(c.String())
		if err != nil || again.Counter != c.Counter || !bytes.Equal(again.Nonce, c.Nonce) || again.MAC != c.MAC {
			t.Fatalf("re-parsing gave %+v, %v", again, err)
		}
		if c.verify(newMACState(other), h1Input()) {
			t.Fatal("a fuzzed cryptogram verifies under a key that never made one")
		}
	})
}
