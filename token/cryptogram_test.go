package token

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// h1Key is a cryptogram key for unit tests.
var h1Key = bytes.Repeat([]byte{0x5a}, KeySize)

// h1Input is a cryptogram input for unit tests.
func h1Input() CryptogramInput {
	return CryptogramInput{
		Token: "9999000212345675", Amount: h1Eur(1250), MerchantID: "m-1",
		Counter: 7, Nonce: []byte{1, 2, 3, 4, 5, 6, 7, 8},
	}
}

func h1Verify(key []byte, c Cryptogram, in CryptogramInput) bool {
	return c.verify(newMACState(key), in)
}

func TestCryptogramRoundTrip(t *testing.T) {
	in := h1Input()
	s, err := NewCryptogram(h1Key, in)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := NewCryptogram(h1Key, in)
	if again != s {
		t.Fatal("the same input gave two cryptograms")
	}
	c, err := ParseCryptogram(s)
	if err != nil {
		t.Fatal(err)
	}
	if c.Counter != in.Counter || !bytes.Equal(c.Nonce, in.Nonce) || c.String() != s {
		t.Fatalf("parsed %+v, re-encoded %q; want counter %d, nonce %v, %q", c, c.String(), in.Counter, in.Nonce, s)
	}
	if !h1Verify(h1Key, c, in) {
		t.Fatal("a cryptogram does not verify against its own input")
	}
	// verify takes the counter and nonce from the cryptogram, not the input.
	other := in
	other.Counter, other.Nonce = 99, []byte{9, 9, 9, 9}
	if !h1Verify(h1Key, c, other) {
		t.Fatal("verify used the input's counter or nonce")
	}
}

func TestCryptogramBinding(t *testing.T) {
	in := h1Input()
	s, _ := NewCryptogram(h1Key, in)
	c, _ := ParseCryptogram(s)
	change := map[string]func(*CryptogramInput, *Cryptogram){
		"amount":   func(in *CryptogramInput, _ *Cryptogram) { in.Amount.Amount++ },
		"currency": func(in *CryptogramInput, _ *Cryptogram) { in.Amount.Currency = "USD" },
		"merchant": func(in *CryptogramInput, _ *Cryptogram) { in.MerchantID = "m-2" },
		"token":    func(in *CryptogramInput, _ *Cryptogram) { in.Token = "9999000212345683" },
		"counter":  func(_ *CryptogramInput, c *Cryptogram) { c.Counter++ },
		"nonce":    func(_ *CryptogramInput, c *Cryptogram) { c.Nonce = []byte{1, 2, 3, 4, 5, 6, 7, 9} },
		"nonce length": func(_ *CryptogramInput, c *Cryptogram) {
			c.Nonce = []byte{1, 2, 3, 4, 5, 6, 7}
		},
		// Length prefixes keep fields apart: moving a byte from the
		// currency to the merchant is a different input.
		"field boundary": func(in *CryptogramInput, _ *Cryptogram) {
			in.Amount.Currency, in.MerchantID = "EU", "Rm-1"
		},
	}
	for name, f := range change {
		in2, c2 := in, c
		c2.Nonce = bytes.Clone(c.Nonce)
		f(&in2, &c2)
		if h1Verify(h1Key, c2, in2) {
			t.Errorf("changing the %s still verifies", name)
		}
	}
	if !h1Verify(h1Key, c, in) {
		t.Fatal("the original stopped verifying")
	}
	wrong := bytes.Repeat([]byte{0x5b}, KeySize)
	if h1Verify(wrong, c, in) {
		t.Error("a cryptogram verifies under another key")
	}
}

// TestCryptogramBitFlips flips every bit of the encoded bytes, and every
// bit of every character of the text: each result fails to parse or fails
// to verify.
func TestCryptogramBitFlips(t *testing.T) {
	in := h1Input()
	s, _ := NewCryptogram(h1Key, in)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	flips, parsed := 0, 0
	check := func(what string, text string) {
		flips++
		c, err := ParseCryptogram(text)
		if err != nil {
			return
		}
		parsed++
		if h1Verify(h1Key, c, in) {
			t.Errorf("%s: altered cryptogram still verifies", what)
		}
	}
	for i := range raw {
		for bit := range 8 {
			b := bytes.Clone(raw)
			b[i] ^= 1 << bit
			check("byte flip", base64.RawURLEncoding.EncodeToString(b))
		}
	}
	for i := range len(s) {
		for bit := range 8 {
			b := []byte(s)
			b[i] ^= 1 << bit
			check("text flip", string(b))
		}
	}
	// Flips of the counter, nonce and MAC bytes parse (and must fail to
	// verify); flips of the version and nonce-length bytes don't parse.
	if want := 8 * (len(raw) - 2); parsed < want || flips != 8*(len(raw)+len(s)) {
		t.Fatalf("%d of %d flips parsed, want at least %d", parsed, flips, want)
	}
}

func TestCryptogramShape(t *testing.T) {
	in := h1Input()
	for _, n := range []int{minNonce, maxNonce} {
		in.Nonce = bytes.Repeat([]byte{7}, n)
		s, err := NewCryptogram(h1Key, in)
		if err != nil {
			t.Fatalf("nonce of %d bytes: %v", n, err)
		}
		if c, err := ParseCryptogram(s); err != nil || len(c.Nonce) != n || len(s) > maxCryptogramText {
			t.Fatalf("nonce of %d bytes: parse %v, %d characters", n, err, len(s))
		}
	}
	for _, n := range []int{0, minNonce - 1, maxNonce + 1} {
		in.Nonce = bytes.Repeat([]byte{7}, n)
		if _, err := NewCryptogram(h1Key, in); err == nil {
			t.Errorf("NewCryptogram took a nonce of %d bytes", n)
		}
	}
	in = h1Input()
	for name, bad := range map[string]func(*CryptogramInput, *[]byte){
		"short key":      func(_ *CryptogramInput, k *[]byte) { *k = (*k)[:KeySize-1] },
		"long key":       func(_ *CryptogramInput, k *[]byte) { *k = append(*k, 0) },
		"long token":     func(in *CryptogramInput, _ *[]byte) { in.Token = strings.Repeat("1", 256) },
		"long merchant":  func(in *CryptogramInput, _ *[]byte) { in.MerchantID = strings.Repeat("m", 256) },
		"long currency":  func(in *CryptogramInput, _ *[]byte) { in.Amount.Currency = strings.Repeat("E", 256) },
		"nil nonce":      func(in *CryptogramInput, _ *[]byte) { in.Nonce = nil },
		"17-byte nonce ": func(in *CryptogramInput, _ *[]byte) { in.Nonce = make([]byte, 17) },
	} {
		in2, key := in, bytes.Clone(h1Key)
		bad(&in2, &key)
		if _, err := NewCryptogram(key, in2); err == nil {
			t.Errorf("%s: NewCryptogram succeeded", name)
		}
	}

	// Hand-built wire forms around the nonce-length byte.
	wire := func(version byte, n byte, body int) string {
		b := append([]byte{version, 0, 0, 0, 1, n}, make([]byte, body)...)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in = h1Input()
	in.Nonce = []byte{1, 2, 3, 4} // 26 bytes: the last character has 2 unused bits
	good, _ := NewCryptogram(h1Key, in)
	last := strings.IndexByte(h1B64, good[len(good)-1])
	tests := []struct {
		name string
		s    string
		ok   bool
	}{
		{"4-byte nonce", wire(1, 4, 4+macLen), true},
		{"16-byte nonce", wire(1, 16, 16+macLen), true},
		{"3-byte nonce", wire(1, 3, 3+macLen), false},
		{"17-byte nonce", wire(1, 17, 17+macLen), false},
		{"one byte short", wire(1, 8, 8+macLen-1), false},
		{"one byte long", wire(1, 8, 8+macLen+1), false},
		{"version 0", wire(0, 8, 8+macLen), false},
		{"version 2", wire(2, 8, 8+macLen), false},
		{"header only", wire(1, 8, 0), false},
		{"five bytes", base64.RawURLEncoding.EncodeToString([]byte{1, 0, 0, 0, 1}), false},
		{"empty", "", false},
		{"too long", strings.Repeat("A", maxCryptogramText+1), false},
		{"padded", good + "==", false},
		{"standard alphabet +", good[:3] + "+" + good[4:], false},
		{"standard alphabet /", good[:3] + "/" + good[4:], false},
		{"newline inside", good[:10] + "\n" + good[10:], false},
		{"CRLF at the end", good + "\r\n", false},
		{"space", good[:10] + " " + good[10:], false},
		{"trailing bits", good[:len(good)-1] + string(h1B64[last|1]), false},
		{"good", good, true},
	}
	if len(good)%4 == 0 {
		t.Fatal("the test input must leave unused bits in the last character")
	}
	for _, tc := range tests {
		c, err := ParseCryptogram(tc.s)
		if (err == nil) != tc.ok {
			t.Errorf("%s: ParseCryptogram = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err == nil && c.String() != tc.s {
			t.Errorf("%s: re-encodes differently", tc.name)
		}
		if err != nil {
			h1NoEcho(t, tc.name, err.Error(), tc.s)
		}
	}
}

// h1B64 is the base64url alphabet.
const h1B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func TestCryptogramDeriveKey(t *testing.T) {
	other := bytes.Repeat([]byte{1}, 32)
	a := deriveKey(h1Master, "tok_a")
	switch {
	case len(a) != KeySize:
		t.Fatalf("key of %d bytes", len(a))
	case !bytes.Equal(a, deriveKey(h1Master, "tok_a")):
		t.Fatal("deriveKey is not deterministic")
	case bytes.Equal(a, deriveKey(h1Master, "tok_b")):
		t.Fatal("two tokens share a key")
	case bytes.Equal(a, deriveKey(other, "tok_a")):
		t.Fatal("two master keys give one token key")
	case bytes.Equal(a, h1Master[:KeySize]):
		t.Fatal("the token key is the master key")
	}
	v := h1Vault(t)
	iss := h1IssueCard(t, v, Controls{})
	if !bytes.Equal(iss.Key, deriveKey(h1Master, iss.Token.ID)) {
		t.Fatal("Issue hands out a key other than the token's derived key")
	}
}

// h1Tap builds a contactless use with a cryptogram for key.
func h1Tap(t *testing.T, iss Issued, key []byte, amount int64, merchant string, counter uint32) UseRequest {
	t.Helper()
	cg, err := NewCryptogram(key, CryptogramInput{Token: iss.Token.Value, Amount: h1Eur(amount), MerchantID: merchant, Counter: counter, Nonce: []byte{byte(counter), 1, 2, 3, 4, 5}})
	if err != nil {
		t.Fatal(err)
	}
	return UseRequest{Token: iss.Token.Value, Amount: h1Eur(amount), MerchantID: merchant, Mode: ModeContactless, Cryptogram: cg}
}

// TestCryptogramVault: through the vault, a cryptogram is used once, only
// above the last accepted counter, only for its amount, currency and
// merchant, only with the token's key; a token requiring one refuses a use
// without one; and no refusal changes the token or its uses.
func TestCryptogramVault(t *testing.T) {
	ctx := context.Background()
	v := h1Vault(t)
	iss := h1IssueCard(t, v, Controls{RequireCryptogram: true, Merchants: []string{"m-1", "m-2"}})
	otherKey := h1IssueCard(t, v, Controls{}).Key

	refused := func(name string, c Caller, r UseRequest, want error) {
		t.Helper()
		before, _ := v.Get(ctx, h1Owner, iss.Token.ID)
		uses := h1AllUses(t, v, iss.Token.ID)
		_, err := v.Use(ctx, c, r)
		if !errors.Is(err, want) {
			t.Fatalf("%s: Use = %v, want %v", name, err, want)
		}
		if want != ErrDeclined && errors.Is(err, ErrDeclined) {
			t.Fatalf("%s: the owner got ErrDeclined", name)
		}
		after, _ := v.Get(ctx, h1Owner, iss.Token.ID)
		if d := cmp.Diff(before, after); d != "" {
			t.Fatalf("%s: the refusal changed the token (-before +after):\n%s", name, d)
		}
		if n := len(h1AllUses(t, v, iss.Token.ID)); n != len(uses) {
			t.Fatalf("%s: the refusal recorded a use", name)
		}
	}
	approved := func(name string, r UseRequest, counter uint32) Use {
		t.Helper()
		res, err := v.Use(ctx, h1Owner, r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, _ := v.Get(ctx, h1Owner, iss.Token.ID); got.LastCounter != counter || res.Use.Counter != counter {
			t.Fatalf("%s: counter %d, use counter %d, want %d", name, got.LastCounter, res.Use.Counter, counter)
		}
		return res.Use
	}

	first := h1Tap(t, iss, iss.Key, 1000, "m-1", 1)
	u1 := approved("first", first, 1)
	refused("replay", h1Owner, first, ErrCryptogram)
	refused("replay by a stranger", h1Stranger, first, ErrDeclined)
	approved("counter 5", h1Tap(t, iss, iss.Key, 1000, "m-1", 5), 5)
	refused("lower counter", h1Owner, h1Tap(t, iss, iss.Key, 1000, "m-1", 3), ErrCryptogram)
	refused("same counter, other amount", h1Owner, h1Tap(t, iss, iss.Key, 1001, "m-1", 5), ErrCryptogram)

	next := h1Tap(t, iss, iss.Key, 1000, "m-1", 6)
	for name, alter := range map[string]func(*UseRequest){
		"amount":   func(r *UseRequest) { r.Amount.Amount++ },
		"currency": func(r *UseRequest) { r.Amount.Currency = "USD" },
		"merchant": func(r *UseRequest) { r.MerchantID = "m-2" },
	} {
		r := next
		alter(&r)
		refused("altered "+name, h1Owner, r, ErrCryptogram)
	}
	refused("no cryptogram", h1Owner, UseRequest{Token: iss.Token.Value, Amount: h1Eur(1000), MerchantID: "m-1", Mode: ModeContactless}, ErrCryptogram)
	garbled := next
	garbled.Cryptogram = "not-a-cryptogram"
	refused("malformed", h1Owner, garbled, ErrCryptogram)
	refused("another token's key", h1Owner, h1Tap(t, iss, otherKey, 1000, "m-1", 6), ErrCryptogram)
	// A valid cryptogram refused by another control does not spend its
	// counter.
	refused("merchant not allowed", h1Owner, h1Tap(t, iss, iss.Key, 1000, "m-3", 100), ErrDomain)
	approved("the unaltered use", next, 6)

	// A reversed use gives its limits back but not its cryptogram.
	if _, err := v.ReverseUse(ctx, h1Owner, u1.ID); err != nil {
		t.Fatal(err)
	}
	refused("replay after reversal", h1Owner, first, ErrCryptogram)

	// A token that doesn't require a cryptogram still checks one given.
	plain := h1IssueCard(t, v, Controls{})
	bad := h1Tap(t, plain, otherKey, 500, "m-1", 1)
	if _, err := v.Use(ctx, h1Owner, bad); !errors.Is(err, ErrCryptogram) {
		t.Fatalf("a wrong cryptogram on a plain token: %v, want ErrCryptogram", err)
	}
	bad.Cryptogram = ""
	if _, err := v.Use(ctx, h1Owner, bad); err != nil {
		t.Fatalf("a plain token without a cryptogram: %v", err)
	}
	if got, _ := v.Get(ctx, h1Owner, plain.Token.ID); got.Uses != 1 || got.LastCounter != 0 {
		t.Fatalf("plain token shows %d uses, counter %d; want 1, 0", got.Uses, got.LastCounter)
	}
}
