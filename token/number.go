package token

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// BINRange is the range of token BINs numeric tokens are drawn from: every
// token starts with a prefix between Start and End (equal-length digit
// strings, 6 to 11 digits) and has Length digits (16 to 19), the last one
// a Luhn check digit. A scheme assigns token BINs disjoint from card BINs;
// the vault refuses to hold an account number inside its range, so a token
// can never equal a card number.
type BINRange struct {
	Start  string `json:"start"`
	End    string `json:"end"`
	Length int    `json:"length"`
}

// DefaultBINRange is the range used when none is configured: 16-digit
// tokens under the 8-digit BINs 99990000 to 99999999 (the 9 major industry
// identifier is for national assignment, not for cards).
var DefaultBINRange = BINRange{Start: "99990000", End: "99999999", Length: 16}

// Validate reports whether the range is usable.
func (r BINRange) Validate() error {
	if len(r.Start) < 6 || len(r.Start) > 11 || len(r.End) != len(r.Start) || !digits(r.Start) || !digits(r.End) {
		return errors.New("token: BIN range start and end must be digit strings of equal length, 6 to 11 digits")
	}
	if r.Start > r.End {
		return errors.New("token: BIN range start is after its end")
	}
	if r.Length < 16 || r.Length > 19 {
		return errors.New("token: numeric tokens have 16 to 19 digits")
	}
	return nil
}

// Contains reports whether number starts with a BIN inside the range
// (whatever its length, so account numbers of any length are judged).
func (r BINRange) Contains(number string) bool {
	if len(number) < len(r.Start) || !digits(number) {
		return false
	}
	p := number[:len(r.Start)]
	return p >= r.Start && p <= r.End
}

// Holds reports whether s is a numeric token of this range: the right
// length, a BIN in range and a valid Luhn check digit.
func (r BINRange) Holds(s string) bool {
	return len(s) == r.Length && r.Contains(s) && LuhnValid(s)
}

// generator draws random numeric tokens in a range. It reads crypto/rand in
// blocks so a million tokens cost a few thousand reads, not a million.
type generator struct {
	r     BINRange
	start uint64
	span  uint64 // End - Start + 1
	buf   [512]byte
	n     int // unread bytes at the end of buf
}

func newGenerator(r BINRange) (*generator, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	start, _ := strconv.ParseUint(r.Start, 10, 64)
	end, _ := strconv.ParseUint(r.End, 10, 64)
	return &generator{r: r, start: start, span: end - start + 1}, nil
}

// uniform returns a uniformly random value below n (rejection sampling, so
// no modulo bias).
func (g *generator) uniform(n uint64) uint64 {
	limit := ^uint64(0) - ^uint64(0)%n
	for {
		if g.n < 8 {
			if _, err := rand.Read(g.buf[:]); err != nil {
				panic("token: crypto/rand failed: " + err.Error()) // crypto/rand.Read never fails on supported platforms
			}
			g.n = len(g.buf)
		}
		v := binary.LittleEndian.Uint64(g.buf[len(g.buf)-g.n:])
		g.n -= 8
		if v < limit {
			return v % n
		}
	}
}

// next returns a fresh random token: a BIN drawn from the range, random
// digits, and the Luhn check digit.
func (g *generator) next() string {
	b := make([]byte, g.r.Length)
	bin := strconv.FormatUint(g.start+g.uniform(g.span), 10)
	w := len(g.r.Start)
	copy(b[w-len(bin):], bin) // left-pad with zeros
	for i := 0; i < w-len(bin); i++ {
		b[i] = '0'
	}
	for i := w; i < len(b)-1; {
		v := g.uniform(1e18) // 18 digits per draw
		for k := 0; k < 18 && i < len(b)-1; k++ {
			b[i] = byte('0' + v%10)
			v /= 10
			i++
		}
	}
	b[len(b)-1] = luhnDigit(b[:len(b)-1])
	return string(b)
}

// LuhnValid reports whether s is all digits (at least two) with a valid
// Luhn check digit.
func LuhnValid(s string) bool {
	if len(s) < 2 || !digits(s) {
		return false
	}
	return luhnDigit([]byte(s[:len(s)-1])) == s[len(s)-1]
}

// luhnDigit is the check digit that makes payload+digit Luhn-valid.
func luhnDigit(payload []byte) byte {
	sum := 0
	double := true // the digit left of the check digit is doubled
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// OpaquePrefix starts every opaque token, so a token is never mistaken for
// an account or another paykit ID.
const OpaquePrefix = "ptk_"

// opaqueLen is the length of an opaque token: the prefix and 26 base32
// characters (130 bits, 128 of them random).
const opaqueLen = len(OpaquePrefix) + 26

// newOpaque returns a random opaque token.
func newOpaque() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return OpaquePrefix + strings.ToLower(b32.EncodeToString(b[:]))
}

// opaqueBody reports whether s is the body of an opaque token as newOpaque
// spells it: lower-case base32 (a-z, 2-7) of 16 bytes, the last character
// carrying 3 bits and two zero bits. The decoder alone would also take
// upper case, skip CR and LF and ignore non-zero trailing bits; comparing
// the re-encoding leaves one spelling per token.
func opaqueBody(s string) bool {
	b, err := b32.DecodeString(strings.ToUpper(s))
	return err == nil && len(b) == 16 && strings.ToLower(b32.EncodeToString(b)) == s
}

// ParseToken checks the shape of a presented token without consulting the
// vault: a numeric token of 16 to 19 digits with a valid Luhn check digit,
// or an opaque token. Its errors never echo the input.
func ParseToken(s string) (Format, error) {
	switch {
	case strings.HasPrefix(s, OpaquePrefix):
		if len(s) != opaqueLen {
			return "", fmt.Errorf("token: an opaque token has %d characters", opaqueLen)
		}
		if !opaqueBody(s[len(OpaquePrefix):]) {
			return "", errors.New("token: an opaque token is the prefix and 26 base32 characters")
		}
		return FormatOpaque, nil
	case len(s) < 16 || len(s) > 19 || !digits(s):
		return "", errors.New("token: a numeric token has 16 to 19 digits")
	case !LuhnValid(s):
		return "", errors.New("token: the token's check digit is wrong")
	}
	return FormatNumeric, nil
}
