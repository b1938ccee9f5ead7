package passwd

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParsePHC: ParsePHC never panics; what it accepts has one spelling
// (encoding the result gives the input back), parameters that pass
// Validate and the salt and hash lengths they claim; what it refuses is
// ErrMalformed and the error never quotes the input.
func FuzzParsePHC(f *testing.F) {
	f.Add(cliPHC1)
	f.Add(cliPHC2)
	f.Add("$argon2id$v=19$m=1048576,t=10,p=16$" + strings.Repeat("A", 86) + "$" + strings.Repeat("A", 86))
	for _, v := range refVectors {
		f.Add(v.phc)
	}
	for _, s := range tampered {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, hash, err := ParsePHC(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParsePHC(%q) err = %v, not ErrMalformed", s, err)
			}
			if p != (Params{}) || salt != nil || hash != nil {
				t.Fatalf("ParsePHC(%q) returned values with an error", s)
			}
			if len(s) >= 12 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q quotes the input", err)
			}
			return
		}
		if verr := p.Validate(); verr != nil {
			t.Fatalf("ParsePHC(%q) accepted params %+v: %v", s, p, verr)
		}
		if int(p.SaltLen) != len(salt) || int(p.KeyLen) != len(hash) {
			t.Fatalf("ParsePHC(%q): lengths %d/%d, params %+v", s, len(salt), len(hash), p)
		}
		if got := encodePHC(p, salt, hash); got != s {
			t.Fatalf("ParsePHC(%q) re-encodes as %q", s, got)
		}
	})
}
