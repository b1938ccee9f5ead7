package qr

import (
	"context"
	"crypto/ed25519"
	"errors"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/internal/base45"
	"github.com/paykit-go/paykit/pay"
)

// h7Keys returns a signer under key ID 1 and a KeySet trusting it.
func h7Keys(t testing.TB) (*SoftwareSigner, *KeySet) {
	t.Helper()
	s, err := GenerateSigner(1)
	if err != nil {
		t.Fatal(err)
	}
	k := NewKeySet()
	if err := k.Add(1, s.Public()); err != nil {
		t.Fatal(err)
	}
	return s, k
}

// h7Now is a moment inside h7Card's validity window.
var h7Now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func h7Encode(t testing.TB, c Card, s Signer) string {
	t.Helper()
	text, err := Encode(context.Background(), c, s)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestEncodeDecode(t *testing.T) {
	s, keys := h7Keys(t)
	c := h7Card()
	c.KeyID = 77 // Encode overwrites it with the signer's
	text := h7Encode(t, c, s)
	for _, r := range text {
		if !strings.ContainsRune(base45.Alphabet, r) {
			t.Fatalf("text has %q, outside the QR alphanumeric set", r)
		}
	}
	got, err := Decode(text, keys, h7Now)
	if err != nil {
		t.Fatal(err)
	}
	c.KeyID = 1
	if d := cmp.Diff(c, got); d != "" {
		t.Fatalf("Decode (-want +got):\n%s", d)
	}
	if len(text) != 176 {
		t.Errorf("text is %d characters, want 176 (117 bytes)", len(text))
	}
}

func TestEncodeDecodeRandom(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(5, 11))
	signers := make([]*SoftwareSigner, 4)
	keys := NewKeySet()
	for i := range signers {
		var err error
		signers[i], err = GenerateSigner(uint32(i) * 1_000_003)
		if err != nil {
			t.Fatal(err)
		}
		if err := keys.Add(signers[i].KeyID(), signers[i].Public()); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1000 {
		c := h7RandomCard(rng)
		s := signers[rng.IntN(len(signers))]
		text := h7Encode(t, c, s)
		got, err := Decode(text, keys, c.NotBefore)
		if err != nil {
			t.Fatalf("card %d: Decode = %v", i, err)
		}
		c.KeyID = s.KeyID()
		if d := cmp.Diff(c, got); d != "" {
			t.Fatalf("card %d (-want +got):\n%s", i, d)
		}
	}
}

// h7MustFail asserts Decode fails with kind and returns no card.
func h7MustFail(t *testing.T, what, text string, keys *KeySet, now time.Time, kind *pay.Error) *pay.Error {
	t.Helper()
	c, err := Decode(text, keys, now)
	var pe *pay.Error
	if !errors.Is(err, kind) || !errors.As(err, &pe) {
		t.Fatalf("%s: Decode = %v, want %s", what, err, kind.Code)
	}
	if c != (Card{}) {
		t.Fatalf("%s: Decode returned a card with its error: %+v", what, c)
	}
	return pe
}

func TestEveryBitFlipDetected(t *testing.T) {
	s, keys := h7Keys(t)
	for _, c := range []Card{h7Card(), func() Card {
		c := h7Card()
		c.Token = h7OpaqueToken(mrand.New(mrand.NewPCG(3, 4)))
		c.PrevHolder = "Wang Fang"
		c.Uses = UnlimitedUses
		return c
	}()} {
		b, err := base45.Decode(h7Encode(t, c, s))
		if err != nil {
			t.Fatal(err)
		}
		flips := 0
		for i := range len(b) * 8 {
			m := append([]byte(nil), b...)
			m[i/8] ^= 1 << (i % 8)
			if got, err := Decode(base45.Encode(m), keys, h7Now); err == nil {
				t.Fatalf("flipping bit %d went undetected: %+v", i, got)
			} else if !errors.Is(err, ErrCardMalformed) && !errors.Is(err, ErrCardSignature) && !errors.Is(err, ErrCardUnknownKey) {
				t.Fatalf("flipping bit %d: unexpected error %v", i, err)
			}
			flips++
		}
		if flips != len(b)*8 {
			t.Fatalf("tried %d flips, want %d", flips, len(b)*8)
		}
	}
}

func TestTruncationsFail(t *testing.T) {
	s, keys := h7Keys(t)
	c := h7Card()
	text := h7Encode(t, c, s)
	b, _ := base45.Decode(text)
	c.KeyID = 1
	layout, _ := MarshalCard(c)
	// Every prefix fails; the one prefix that is exactly the layout is an
	// unsigned card, every other is malformed.
	for n := range len(b) {
		want := ErrCardMalformed
		if n == len(layout) {
			want = ErrCardSignature
		}
		h7MustFail(t, "truncated bytes", base45.Encode(b[:n]), keys, h7Now, want)
	}
	// Truncating the text itself: lengths 1 mod 3 are not Base45; the rest
	// are shorter byte strings (whose last byte, cut out of a character
	// triple, is a different byte, so none is the bare layout).
	for n := range len(text) {
		h7MustFail(t, "truncated text", text[:n], keys, h7Now, ErrCardMalformed)
	}
	// Appending is as bad as truncating.
	h7MustFail(t, "extra byte", base45.Encode(append(b, 0)), keys, h7Now, ErrCardMalformed)
}

func TestDecodeGarbage(t *testing.T) {
	_, keys := h7Keys(t)
	for _, text := range []string{"", "A", "hello", "ÄÖÜ", strings.Repeat("0", 176), "GGW", strings.Repeat("ZZZ", 60)} {
		h7MustFail(t, "garbage "+text, text, keys, h7Now, ErrCardMalformed)
	}
}

func TestUnsignedRefused(t *testing.T) {
	_, keys := h7Keys(t)
	long := h7Card()
	long.Holder = strings.Repeat("h", 32)
	long.PrevHolder = strings.Repeat("p", 32)
	long.Token = h7OpaqueToken(mrand.New(mrand.NewPCG(1, 1)))
	for _, c := range []Card{h7Card(), long} {
		c.KeyID = 1
		layout, err := MarshalCard(c)
		if err != nil {
			t.Fatal(err)
		}
		h7MustFail(t, "unsigned card", base45.Encode(layout), keys, h7Now, ErrCardSignature)
		// A signature of zeros is no better.
		zero := append(layout, make([]byte, ed25519.SignatureSize)...)
		h7MustFail(t, "zero signature", base45.Encode(zero), keys, h7Now, ErrCardSignature)
	}
	if len(long.Holder)+len(long.PrevHolder) < 64 {
		t.Fatal("the long card should have a layout longer than a signature")
	}
}

func TestSignatureCoversLabel(t *testing.T) {
	// A signature over the bare layout (no domain label) doesn't verify:
	// bytes signed for another purpose can't pass as a card.
	s, keys := h7Keys(t)
	c := h7Card()
	c.KeyID = 1
	layout, _ := MarshalCard(c)
	sig, _ := s.Sign(context.Background(), layout)
	h7MustFail(t, "unlabelled signature", base45.Encode(append(layout, sig...)), keys, h7Now, ErrCardSignature)
	sig, _ = s.Sign(context.Background(), cardSignMessage(layout))
	if _, err := Decode(base45.Encode(append(layout, sig...)), keys, h7Now); err != nil {
		t.Fatalf("labelled signature refused: %v", err)
	}
}

func TestUnknownAndRemovedKey(t *testing.T) {
	s, keys := h7Keys(t)
	text := h7Encode(t, h7Card(), s)
	other, _ := GenerateSigner(2)
	pe := h7MustFail(t, "unknown key", h7Encode(t, h7Card(), other), keys, h7Now, ErrCardUnknownKey)
	if pe.Param != "key_id" || pe.HTTPStatus != 401 {
		t.Errorf("unknown key: param %q status %d", pe.Param, pe.HTTPStatus)
	}
	h7MustFail(t, "nil key set", text, nil, h7Now, ErrCardUnknownKey)
	// Rotation: key 2 added, key 1 kept, both verify; key 1 removed, its cards fail.
	if err := keys.Add(2, other.Public()); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(h7Encode(t, h7Card(), other), keys, h7Now); err != nil {
		t.Fatalf("new key: %v", err)
	}
	if _, err := Decode(text, keys, h7Now); err != nil {
		t.Fatalf("old key during rotation: %v", err)
	}
	keys.Remove(1)
	h7MustFail(t, "removed key", text, keys, h7Now, ErrCardUnknownKey)
	// A forger signing under a trusted key ID with its own key fails the signature.
	forger, _ := GenerateSigner(2)
	h7MustFail(t, "wrong key under a trusted ID", h7Encode(t, h7Card(), forger), keys, h7Now, ErrCardSignature)
}

func TestValidityBoundaries(t *testing.T) {
	s, keys := h7Keys(t)
	c := h7Card()
	text := h7Encode(t, c, s)
	for _, now := range []time.Time{c.NotBefore, c.NotBefore.Add(time.Nanosecond), c.Expires.Add(-time.Nanosecond), c.Expires.Add(-time.Second)} {
		if _, err := Decode(text, keys, now); err != nil {
			t.Errorf("Decode at %v = %v, want valid", now, err)
		}
	}
	for _, tt := range []struct {
		now   time.Time
		param string
		word  string
	}{
		{c.NotBefore.Add(-time.Nanosecond), "not_before", "not valid before"},
		{c.NotBefore.Add(-24 * time.Hour), "not_before", "not valid before"},
		{c.Expires, "expires", "expired"},
		{c.Expires.Add(time.Hour), "expires", "expired"},
	} {
		pe := h7MustFail(t, "window", text, keys, tt.now, ErrCardExpired)
		if pe.Param != tt.param || !strings.Contains(pe.Message, tt.word) || pe.HTTPStatus != 402 {
			t.Errorf("at %v: %+v, want param %q and %q", tt.now, pe, tt.param, tt.word)
		}
	}
	// The window is checked after the signature: an expired forgery is a forgery.
	b, _ := base45.Decode(text)
	b[len(b)-1] ^= 1
	h7MustFail(t, "expired and altered", base45.Encode(b), keys, c.Expires.Add(time.Hour), ErrCardSignature)
}

// h7BadSigner returns a signature of the wrong length or an error.
type h7BadSigner struct {
	*SoftwareSigner
	sig []byte
	err error
}

func (b h7BadSigner) Sign(context.Context, []byte) ([]byte, error) { return b.sig, b.err }

func TestEncodeErrors(t *testing.T) {
	s, _ := h7Keys(t)
	bad := h7Card()
	bad.Token = "378282246310005" // a 15-digit card number, not a token
	_, err := Encode(context.Background(), bad, s)
	if !errors.Is(err, pay.ErrInvalidRequest) || strings.Contains(err.Error(), bad.Token) {
		t.Fatalf("Encode(raw PAN) = %v, want invalid_request without the number", err)
	}
	if _, err := Encode(context.Background(), h7Card(), h7BadSigner{s, make([]byte, 63), nil}); !errors.Is(err, pay.ErrInternal) {
		t.Errorf("63-byte signature: %v, want internal_error", err)
	}
	boom := errors.New("secure element unplugged")
	if _, err := Encode(context.Background(), h7Card(), h7BadSigner{s, nil, boom}); !errors.Is(err, boom) {
		t.Errorf("signer error: %v, want it passed on", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Encode(ctx, h7Card(), s); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

func TestErrorsNeverEchoToken(t *testing.T) {
	s, keys := h7Keys(t)
	c := h7Card()
	text := h7Encode(t, c, s)
	b, _ := base45.Decode(text)
	var errs []error
	for i := range len(b) * 8 {
		m := append([]byte(nil), b...)
		m[i/8] ^= 1 << (i % 8)
		_, err := Decode(base45.Encode(m), keys, h7Now)
		errs = append(errs, err)
	}
	other, _ := GenerateSigner(9)
	_, err := Decode(h7Encode(t, c, other), keys, h7Now)
	errs = append(errs, err)
	_, err = Decode(text, keys, c.Expires)
	errs = append(errs, err)
	c.Token = c.Token[:18] + "7" // check digit wrong
	_, err = Encode(context.Background(), c, s)
	errs = append(errs, err)
	if len(errs) != len(b)*8+3 {
		t.Fatalf("%d errors, want %d", len(errs), len(b)*8+3)
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		msg := err.Error()
		if strings.Contains(msg, "6250941006") || strings.Contains(msg, text[:20]) {
			t.Fatalf("error %q echoes the token or the card", msg)
		}
	}
}
