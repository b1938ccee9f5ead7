package passwd

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// PHC strings made by the reference implementation's command-line tool
// (Debian's argon2 0~20171227, the P-H-C/phc-winner-argon2 code) at
// DefaultParams with 16-byte salts:
//
//	echo -n 902417 | argon2 paykit-vr-salt16 -id -t 2 -k 19456 -p 1 -l 32
//	printf '%s' '北京 beijing' | argon2 0123456789abcdef -id -t 2 -k 19456 -p 1 -l 32
const (
	cliPHC1 = "$argon2id$v=19$m=19456,t=2,p=1$cGF5a2l0LXZyLXNhbHQxNg$ohjvEL86vRTTAw8AdUKQn92QwZ/NwslHbX7GqQvr+OM"
	cliPW1  = "902417"
	cliHex1 = "a218ef10bf3abd14d3030f007542909fdd90c19fcdc2c9476d7ec6a90bebf8e3"
	cliPHC2 = "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$WhHzxk0vBKdu6/qgWxLjbQALXE+JyOXKSxA7IDGtJrE"
	cliPW2  = "北京 beijing"
)

// The Argon2id vectors of the reference implementation's test suite
// (phc-winner-argon2 src/test.c, version 0x13): the raw tag and the PHC
// string the reference encoder writes. RFC 9106 §5.3's vector cannot be run
// here: it needs a secret key and associated data, which x/crypto's IDKey
// does not take.
var refVectors = []struct {
	t, m    uint32
	p       uint8
	pw, slt string
	hex     string
	phc     string
}{
	{2, 65536, 1, "password", "somesalt",
		"09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"},
	{2, 256, 1, "password", "somesalt",
		"9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe",
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"},
	{2, 256, 2, "password", "somesalt",
		"6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037",
		"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"},
}

// x/crypto's Argon2id gives the reference tags, and encodePHC writes the
// reference PHC strings byte for byte. ParsePHC still refuses those strings:
// their 8-byte salts and (two of them) 256 KiB are below this package's
// floor.
func TestReferenceVectors(t *testing.T) {
	for _, v := range refVectors {
		key := argon2.IDKey([]byte(v.pw), []byte(v.slt), v.t, v.m, v.p, 32)
		if got := hex.EncodeToString(key); got != v.hex {
			t.Errorf("IDKey(t=%d m=%d p=%d) = %s, want %s", v.t, v.m, v.p, got, v.hex)
		}
		p := Params{Memory: v.m, Time: v.t, Threads: v.p}
		if got := encodePHC(p, []byte(v.slt), key); got != v.phc {
			t.Errorf("encodePHC = %q, want %q", got, v.phc)
		}
		if _, _, _, err := ParsePHC(v.phc); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePHC(%q) err = %v, want ErrMalformed (salt below 16 bytes)", v.phc, err)
		}
	}
}

// Verify accepts the reference tool's strings for their passwords and
// nothing else; ParsePHC reads their parameters.
func TestVerifyReferenceCLI(t *testing.T) {
	p, salt, hash, err := ParsePHC(cliPHC1)
	if err != nil {
		t.Fatal(err)
	}
	if p != DefaultParams || string(salt) != "paykit-vr-salt16" || hex.EncodeToString(hash) != cliHex1 {
		t.Fatalf("ParsePHC = %+v %q %x", p, salt, hash)
	}
	for _, c := range []struct {
		phc, pw string
		want    bool
	}{
		{cliPHC1, cliPW1, true},
		{cliPHC1, "902418", false},
		{cliPHC1, "", false},
		{cliPHC2, cliPW2, true},
		{cliPHC2, "北京 Beijing", false},
	} {
		got, err := Verify(c.phc, c.pw)
		if err != nil || got != c.want {
			t.Errorf("Verify(%q, %q) = %v, %v; want %v", c.phc, c.pw, got, err, c.want)
		}
	}
}

// Hash writes the documented format at DefaultParams, with a fresh salt each
// time; its output parses back to the same string and verifies.
func TestHashRoundTrip(t *testing.T) {
	a, err := Hash("öffne Sesam 7", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Hash("öffne Sesam 7", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(a, prefix) || len(a) != len(prefix)+22+1+43 {
		t.Fatalf("Hash = %q, want %s<22 chars>$<43 chars>", a, prefix)
	}
	p, salt, hash, err := ParsePHC(a)
	if err != nil {
		t.Fatal(err)
	}
	if p != DefaultParams || len(salt) != 16 || len(hash) != 32 || encodePHC(p, salt, hash) != a {
		t.Fatalf("round trip: %+v %d %d", p, len(salt), len(hash))
	}
	if ok, err := Verify(a, "öffne Sesam 7"); !ok || err != nil {
		t.Fatalf("Verify(own hash) = %v, %v", ok, err)
	}
	if ok, err := Verify(a, "offne Sesam 7"); ok || err != nil {
		t.Fatalf("Verify(other password) = %v, %v", ok, err)
	}
}

// Hash refuses parameters below the floor or above the ceilings, and
// passwords over MaxBytes.
func TestHashRefusesParams(t *testing.T) {
	bad := []Params{
		{Memory: 19455, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 1, SaltLen: 15, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 15},
		{Memory: 1<<20 + 1, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 11, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 17, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 1, SaltLen: 65, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 65},
		{},
	}
	for _, p := range bad {
		if err := p.Validate(); !errors.Is(err, ErrParams) {
			t.Errorf("%+v.Validate() = %v, want ErrParams", p, err)
		}
		if s, err := Hash("902417", p); !errors.Is(err, ErrParams) || s != "" {
			t.Errorf("Hash(%+v) = %q, %v; want ErrParams", p, s, err)
		}
	}
	for _, p := range []Params{
		DefaultParams,
		{Memory: 1 << 20, Time: 10, Threads: 16, SaltLen: 64, KeyLen: 64},
		{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 16},
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v.Validate() = %v", p, err)
		}
	}
	if _, err := Hash(strings.Repeat("x", MaxBytes+1), DefaultParams); !errors.Is(err, ErrWeak) {
		t.Errorf("Hash(%d bytes) err = %v, want ErrWeak", MaxBytes+1, err)
	}
	if ok, err := Verify(cliPHC1, strings.Repeat("x", MaxBytes+1)); ok || err != nil {
		t.Errorf("Verify(%d bytes) = %v, %v; want false, nil", MaxBytes+1, ok, err)
	}
}

// tampered are strings ParsePHC must refuse, each a small change to cliPHC1.
var tampered = map[string]string{
	"empty":                "",
	"argon2i":              strings.Replace(cliPHC1, "argon2id", "argon2i", 1),
	"argon2d":              strings.Replace(cliPHC1, "argon2id", "argon2d", 1),
	"upper-case algorithm": strings.Replace(cliPHC1, "argon2id", "ARGON2ID", 1),
	"version 16":           strings.Replace(cliPHC1, "v=19", "v=16", 1),
	"version 019":          strings.Replace(cliPHC1, "v=19", "v=019", 1),
	"no version":           strings.Replace(cliPHC1, "$v=19", "", 1),
	"leading zero m":       strings.Replace(cliPHC1, "m=19456", "m=019456", 1),
	"plus sign m":          strings.Replace(cliPHC1, "m=19456", "m=+19456", 1),
	"order t,m,p":          strings.Replace(cliPHC1, "m=19456,t=2", "t=2,m=19456", 1),
	"missing p":            strings.Replace(cliPHC1, ",p=1", "", 1),
	"extra keyid":          strings.Replace(cliPHC1, "p=1", "p=1,keyid=AAAA", 1),
	"space in params":      strings.Replace(cliPHC1, "t=2", "t= 2", 1),
	"memory below floor":   strings.Replace(cliPHC1, "m=19456", "m=19455", 1),
	"time below floor":     strings.Replace(cliPHC1, "t=2", "t=1", 1),
	"no parallelism":       strings.Replace(cliPHC1, "p=1", "p=0", 1),
	"memory over 1 GiB":    strings.Replace(cliPHC1, "m=19456", "m=1048577", 1),
	"memory over uint32":   strings.Replace(cliPHC1, "m=19456", "m=4294967296", 1),
	"time over 10":         strings.Replace(cliPHC1, "t=2", "t=11", 1),
	"parallelism over 16":  strings.Replace(cliPHC1, "p=1", "p=17", 1),
	"parallelism 256":      strings.Replace(cliPHC1, "p=1", "p=256", 1),
	"padded salt":          strings.Replace(cliPHC1, "xNg$", "xNg==$", 1),
	"padded hash":          cliPHC1 + "=",
	"newline in salt":      strings.Replace(cliPHC1, "LXZy", "LX\nZy", 1),
	"CR in hash":           strings.Replace(cliPHC1, "ohjv", "oh\rjv", 1),
	"URL-safe alphabet":    strings.Replace(cliPHC1, "Z/Nw", "Z_Nw", 1),
	"stray hash bits":      strings.TrimSuffix(cliPHC1, "M") + "N",
	"stray salt bits":      strings.Replace(cliPHC1, "xNg$", "xNh$", 1),
	"8-byte salt":          strings.Replace(cliPHC1, "cGF5a2l0LXZyLXNhbHQxNg", "c29tZXNhbHQ", 1),
	"8-byte hash":          strings.Replace(cliPHC1, "ohjvEL86vRTTAw8AdUKQn92QwZ/NwslHbX7GqQvr+OM", "ohjvEL86vRQ", 1),
	"empty salt":           strings.Replace(cliPHC1, "cGF5a2l0LXZyLXNhbHQxNg", "", 1),
	"no hash":              cliPHC1[:strings.LastIndex(cliPHC1, "$")],
	"trailing dollar":      cliPHC1 + "$",
	"trailing newline":     cliPHC1 + "\n",
	"leading space":        " " + cliPHC1,
	"no leading dollar":    cliPHC1[1:],
	"too long":             strings.Replace(cliPHC1, "$ohjv", "$"+strings.Repeat("A", 300)+"ohjv", 1),
}

// Every tampered string is refused as ErrMalformed by ParsePHC and Verify
// (the right password included), and NeedsRehash asks to replace it. The
// errors quote nothing of the string.
func TestParsePHCRefusesTampered(t *testing.T) {
	for name, s := range tampered {
		if _, _, _, err := ParsePHC(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ParsePHC err = %v, want ErrMalformed", name, err)
		} else if strings.Contains(err.Error(), "cGF5a2l0") || strings.Contains(err.Error(), "ohjv") {
			t.Errorf("%s: error quotes the hash: %v", name, err)
		}
		if ok, err := Verify(s, cliPW1); ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Verify = %v, %v; want false, ErrMalformed", name, ok, err)
		}
		if !NeedsRehash(s, DefaultParams) {
			t.Errorf("%s: NeedsRehash = false", name)
		}
	}
}

// A hash altered inside the alphabet still parses but no longer verifies.
func TestVerifyAlteredHash(t *testing.T) {
	altered := strings.Replace(cliPHC1, "ohjv", "ohjw", 1)
	if ok, err := Verify(altered, cliPW1); ok || err != nil {
		t.Fatalf("Verify(altered) = %v, %v; want false, nil", ok, err)
	}
	altered = strings.Replace(cliPHC1, "cGF5", "cGF6", 1) // another salt
	if ok, err := Verify(altered, cliPW1); ok || err != nil {
		t.Fatalf("Verify(other salt) = %v, %v; want false, nil", ok, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	if NeedsRehash(cliPHC1, DefaultParams) {
		t.Error("NeedsRehash(DefaultParams hash, DefaultParams) = true")
	}
	for _, p := range []Params{
		{Memory: 65536, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 1, SaltLen: 32, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 64},
	} {
		if !NeedsRehash(cliPHC1, p) {
			t.Errorf("NeedsRehash(DefaultParams hash, %+v) = false", p)
		}
	}
}
