package qr

import (
	"context"
	"crypto/ed25519"
	"time"

	"github.com/paykit-go/paykit/internal/base45"
	"github.com/paykit-go/paykit/pay"
)

// cardSignLabel separates card signatures from every other message an
// issuer key signs (offline records, …): a signature over a card is never
// valid for another kind of message of the same bytes, nor the reverse.
const cardSignLabel = "paykit/qr/card/v1\x00"

// cardSignMessage is what a card's signature covers: the label and the
// layout.
func cardSignMessage(layout []byte) []byte {
	msg := make([]byte, 0, len(cardSignLabel)+len(layout))
	msg = append(msg, cardSignLabel...)
	return append(msg, layout...)
}

// Encode signs c with s and returns the Base45 text to put in a QR code
// (alphanumeric mode): Base45(layout || Ed25519 signature). It sets
// c.KeyID to s.KeyID() first. c must pass Validate.
func Encode(ctx context.Context, c Card, s Signer) (string, error) {
	c.KeyID = s.KeyID()
	layout, err := MarshalCard(c)
	if err != nil {
		return "", err
	}
	sig, err := s.Sign(ctx, cardSignMessage(layout))
	if err != nil {
		return "", err
	}
	if len(sig) != ed25519.SignatureSize {
		return "", pay.Errorf(pay.ErrInternal, "signer", "the signer returned a %d-byte signature, not %d", len(sig), ed25519.SignatureSize)
	}
	return base45.Encode(append(layout, sig...)), nil
}

// Decode verifies text and returns its card. It checks, in order: the
// Base45, the layout (version first), that keys holds the card's key ID,
// the Ed25519 signature, and that now lies in the validity window
// (NotBefore <= now < Expires). It returns the card only when all passed,
// and otherwise an empty Card and ErrCardMalformed, ErrCardUnknownKey,
// ErrCardSignature or ErrCardExpired.
func Decode(text string, keys *KeySet, now time.Time) (Card, error) {
	b, err := base45.Decode(text)
	if err != nil {
		return Card{}, cardMalformed("", "the card is not Base45 text")
	}
	if len(b) > 0 && b[0] != LayoutVersion {
		return Card{}, cardMalformed("version", "unknown card layout version %d", b[0])
	}
	if len(b) <= ed25519.SignatureSize {
		if _, err := UnmarshalCard(b); err == nil {
			return Card{}, pay.Errorf(ErrCardSignature, "", "the card is not signed")
		}
		return Card{}, cardMalformed("", "the card is truncated")
	}
	layout, sig := b[:len(b)-ed25519.SignatureSize], b[len(b)-ed25519.SignatureSize:]
	c, err := UnmarshalCard(layout)
	if err != nil {
		if _, err2 := UnmarshalCard(b); err2 == nil {
			return Card{}, pay.Errorf(ErrCardSignature, "", "the card is not signed")
		}
		return Card{}, err
	}
	if keys == nil {
		return Card{}, pay.Errorf(ErrCardUnknownKey, "key_id", "no keys to verify card key %d", c.KeyID)
	}
	pub, ok := keys.Key(c.KeyID)
	if !ok {
		return Card{}, pay.Errorf(ErrCardUnknownKey, "key_id", "card key %d is not trusted", c.KeyID)
	}
	if !ed25519.Verify(pub, cardSignMessage(layout), sig) {
		return Card{}, pay.Errorf(ErrCardSignature, "", "the card's signature does not verify")
	}
	if err := checkWindow(c, now); err != nil {
		return Card{}, err
	}
	return c, nil
}

// checkWindow is ErrCardExpired unless NotBefore <= now < Expires.
func checkWindow(c Card, now time.Time) error {
	if now.Before(c.NotBefore) {
		return pay.Errorf(ErrCardExpired, "not_before", "the card is not valid before %s", c.NotBefore.Format(time.RFC3339))
	}
	if !now.Before(c.Expires) {
		return pay.Errorf(ErrCardExpired, "expires", "the card expired at %s", c.Expires.Format(time.RFC3339))
	}
	return nil
}
