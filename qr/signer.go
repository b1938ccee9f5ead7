package qr

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"

	"github.com/paykit-go/paykit/pay"
)

// Signer signs cards and offline records with an Ed25519 key. In
// production the key lives in a secure element (a SIM, SD or USB token, an
// eSIM) that never lets it out; SoftwareSigner keeps it in memory and is
// the default for tests, examples and single-machine backends.
type Signer interface {
	// KeyID names the key; verifiers find its public key in a KeySet by
	// this ID.
	KeyID() uint32
	// Public is the key's public half.
	Public() ed25519.PublicKey
	// Sign returns the 64-byte Ed25519 signature of msg (pure Ed25519, no
	// pre-hash). A device signer honours ctx while it waits on hardware.
	Sign(ctx context.Context, msg []byte) ([]byte, error)
}

// SoftwareSigner is a Signer over an Ed25519 private key held in memory.
// It is safe for concurrent use.
type SoftwareSigner struct {
	keyID uint32
	priv  ed25519.PrivateKey
}

// NewSoftwareSigner returns a signer for priv under keyID. priv must be a
// well-formed Ed25519 private key (its public half derived from its seed);
// the signer keeps its own copy.
func NewSoftwareSigner(keyID uint32, priv ed25519.PrivateKey) (*SoftwareSigner, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "private_key", "an Ed25519 private key has %d bytes", ed25519.PrivateKeySize)
	}
	derived := ed25519.NewKeyFromSeed(priv.Seed())
	if !bytes.Equal(derived, priv) {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "private_key", "the private key's public half does not match its seed")
	}
	return &SoftwareSigner{keyID: keyID, priv: derived}, nil
}

// GenerateSigner returns a SoftwareSigner for a new key from crypto/rand.
func GenerateSigner(keyID uint32) (*SoftwareSigner, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, pay.ErrInternal.Wrap(err)
	}
	return &SoftwareSigner{keyID: keyID, priv: priv}, nil
}

// KeyID returns the signer's key ID.
func (s *SoftwareSigner) KeyID() uint32 { return s.keyID }

// Public returns a copy of the signer's public key.
func (s *SoftwareSigner) Public() ed25519.PublicKey {
	return bytes.Clone(s.priv.Public().(ed25519.PublicKey))
}

// Sign returns the Ed25519 signature of msg, or ctx's error if ctx is done.
func (s *SoftwareSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ed25519.Sign(s.priv, msg), nil
}
