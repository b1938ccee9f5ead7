package passwd

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// MaxBytes is the longest password (in bytes) Hash accepts and Verify
// evaluates. It bounds the work one attempt can cause.
const MaxBytes = 1024

// maxPHC bounds the length of a PHC string ParsePHC reads: the longest
// valid one (64-byte salt and hash, ten-digit memory) is well under it.
const maxPHC = 256

var b64 = base64.RawStdEncoding.Strict()

// Hash derives an Argon2id hash of password with p and a fresh random salt
// and returns it as a PHC string:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// It refuses parameters that fail Validate (ErrParams) and passwords longer
// than MaxBytes (ErrWeak). It applies no password rule; Store does.
func Hash(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if len(password) > MaxBytes {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrWeak, MaxBytes)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("passwd: reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodePHC(p, salt, key), nil
}

// encodePHC writes the PHC string of an Argon2id (v=19) hash.
func encodePHC(p Params, salt, hash []byte) string {
	var b strings.Builder
	b.Grow(64 + 2*(len(salt)+len(hash)))
	b.WriteString("$argon2id$v=19$m=")
	b.WriteString(strconv.FormatUint(uint64(p.Memory), 10))
	b.WriteString(",t=")
	b.WriteString(strconv.FormatUint(uint64(p.Time), 10))
	b.WriteString(",p=")
	b.WriteString(strconv.FormatUint(uint64(p.Threads), 10))
	b.WriteByte('$')
	b.WriteString(b64.EncodeToString(salt))
	b.WriteByte('$')
	b.WriteString(b64.EncodeToString(hash))
	return b.String()
}

// ParsePHC decodes a PHC string written by Hash. It is strict, so that every
// string it accepts has exactly one spelling (encoding its result gives the
// input back): algorithm argon2id and version 19 only; parameters m, t and p
// in that order as decimal numbers without leading zeros; salt and hash in
// unpadded standard base64 with no stray characters or bits. The returned
// Params carry the salt and hash lengths and pass Validate. Errors match
// ErrMalformed and never quote the input.
func ParsePHC(s string) (p Params, salt, hash []byte, err error) {
	fail := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformed, why)
	}
	if len(s) > maxPHC {
		return fail("too long")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return fail("not a PHC string with five fields")
	}
	if parts[1] != "argon2id" {
		return fail("algorithm is not argon2id")
	}
	if parts[2] != "v=19" {
		return fail("version is not 19")
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return fail("parameters are not m, t, p")
	}
	var vals [3]uint32
	for i, name := range [3]string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(kv[i], name)
		if !ok {
			return fail("parameters are not m, t, p in that order")
		}
		v, ok := parseDecimal(digits)
		if !ok {
			return fail("parameter " + name[:1] + " is not a canonical decimal number")
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return fail("parallelism out of range")
	}
	if salt, ok := decodeB64(parts[4]); !ok {
		return fail("salt is not unpadded base64")
	} else if hash, ok = decodeB64(parts[5]); !ok {
		return fail("hash is not unpadded base64")
	} else {
		p = Params{Memory: vals[0], Time: vals[1], Threads: uint8(vals[2]), SaltLen: uint32(len(salt)), KeyLen: uint32(len(hash))}
		if err := p.Validate(); err != nil {
			return Params{}, nil, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return p, salt, hash, nil
	}
}

// parseDecimal reads a uint32 written in decimal without sign, leading
// zeros or other characters.
func parseDecimal(s string) (uint32, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err == nil
}

// decodeB64 decodes unpadded standard base64, refusing the line breaks the
// standard decoder would skip and non-zero trailing bits (Strict).
func decodeB64(s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return nil, false
		}
	}
	b, err := b64.DecodeString(s)
	return b, err == nil
}

// Verify reports whether password matches the PHC string phc: it recomputes
// Argon2id with the stored parameters and salt and compares the result in
// constant time. A malformed phc (including one whose parameters fail
// Validate) gives an error matching ErrMalformed. A password longer than
// MaxBytes is reported as not matching without being evaluated (Hash never
// accepts one).
func Verify(phc, password string) (bool, error) {
	p, salt, want, err := ParsePHC(phc)
	if err != nil {
		return false, err
	}
	if len(password) > MaxBytes {
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether phc should be replaced by a hash made with p:
// it is malformed, or any of its parameters (memory, time, threads, salt or
// hash length) differs from p.
func NeedsRehash(phc string, p Params) bool {
	got, _, _, err := ParsePHC(phc)
	return err != nil || got != p
}
