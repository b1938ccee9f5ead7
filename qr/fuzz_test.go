package qr

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/base45"
)

// h7FuzzSigner is a fixed key, so fuzz seeds are reproducible.
func h7FuzzSigner(t testing.TB) (*SoftwareSigner, *KeySet) {
	t.Helper()
	s, err := NewSoftwareSigner(1, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	keys := NewKeySet()
	if err := keys.Add(1, s.Public()); err != nil {
		t.Fatal(err)
	}
	return s, keys
}

// h7Seeds returns signed texts of a few cards: the size-goal card, one
// with an opaque token and a previous holder, and random ones.
func h7Seeds(t testing.TB, s Signer) []string {
	c2 := h7Card()
	c2.Token = h7OpaqueToken(mrand.New(mrand.NewPCG(9, 9)))
	c2.PrevHolder = "Wang Fang"
	c2.Uses = UnlimitedUses
	cards := []Card{h7Card(), c2}
	rng := mrand.New(mrand.NewPCG(1, 3))
	for range 4 {
		cards = append(cards, h7RandomCard(rng))
	}
	var out []string
	for _, c := range cards {
		text, err := Encode(context.Background(), c, s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, text)
	}
	return out
}

// FuzzDecodeCard feeds Decode arbitrary text. It must never panic; a
// failure is one of the four card errors with no card; a success is a
// valid card inside its window whose re-encoding is the very same text
// (Ed25519 is deterministic and the layout has one encoding per card).
func FuzzDecodeCard(f *testing.F) {
	s, keys := h7FuzzSigner(f)
	for _, text := range h7Seeds(f, s) {
		f.Add(text)
		f.Add(text[:len(text)-3])
		b, _ := base45.Decode(text)
		f.Add(base45.Encode(b[:len(b)-ed25519.SignatureSize]))
	}
	f.Add("")
	f.Add("A")
	f.Add("::::")
	f.Add("0000000000")
	f.Fuzz(func(t *testing.T, text string) {
		b, _ := base45.Decode(text)
		now := time.Unix(0, 0)
		if c, err := UnmarshalCard(trimSig(b)); err == nil {
			now = c.NotBefore
		}
		c, err := Decode(text, keys, now)
		if err != nil {
			if c != (Card{}) {
				t.Fatalf("Decode returned a card with error %v", err)
			}
			if !errors.Is(err, ErrCardMalformed) && !errors.Is(err, ErrCardSignature) &&
				!errors.Is(err, ErrCardUnknownKey) && !errors.Is(err, ErrCardExpired) {
				t.Fatalf("Decode = %v, not a card error", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Decode returned an invalid card: %v", err)
		}
		again, err := Encode(context.Background(), c, s)
		if err != nil || again != text {
			t.Fatalf("re-encoding gave %q, %v; want the input %q", again, err, text)
		}
	})
}

// trimSig drops a trailing signature, if b is long enough to have one.
func trimSig(b []byte) []byte {
	if len(b) > ed25519.SignatureSize {
		return b[:len(b)-ed25519.SignatureSize]
	}
	return b
}

// FuzzUnmarshalCard feeds UnmarshalCard arbitrary bytes. If they parse,
// the card is valid and MarshalCard gives back exactly those bytes: the
// layout has one encoding per card.
func FuzzUnmarshalCard(f *testing.F) {
	s, _ := h7FuzzSigner(f)
	for _, text := range h7Seeds(f, s) {
		b, _ := base45.Decode(text)
		layout := trimSig(b)
		f.Add(layout)
		f.Add(layout[:len(layout)/2])
		f.Add(append(append([]byte(nil), layout...), 0))
	}
	f.Add([]byte{})
	f.Add([]byte{LayoutVersion})
	f.Add([]byte{2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := UnmarshalCard(b)
		if err != nil {
			if !errors.Is(err, ErrCardMalformed) || c != (Card{}) {
				t.Fatalf("UnmarshalCard = %+v, %v; want no card and ErrCardMalformed", c, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("UnmarshalCard returned an invalid card: %v", err)
		}
		again, err := MarshalCard(c)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("MarshalCard = %x, %v; want the input %x", again, err, b)
		}
	})
}
