package im

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"log/slog"
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// PrivateKey is an HPKE recipient key of a suite: the payment subsystem
// holds one and opens the envelopes clients seal to its public half, and a
// client device holds one to open the prompts sealed back to it. Its String,
// GoString and LogValue never show the key.
type PrivateKey struct {
	suite Suite
	k     hpke.PrivateKey
	pub   PublicKey
}

// PublicKey is the public half of a PrivateKey: what a sender seals to.
// The zero PublicKey is no key (IsZero); Seal refuses it.
type PublicKey struct {
	suite Suite
	k     hpke.PublicKey
	b     []byte
	id    string
}

// KeyIDLen is the length of PublicKey.ID: 13 lower-case base32 characters
// (8 bytes of SHA-256).
const KeyIDLen = 13

// b32 is the lower-case, unpadded base32 of paykit's IDs (internal/randid
// uses the same alphabet), for message and key IDs.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// GenerateKey returns a new random key of suite s (from crypto/rand,
// through crypto/hpke).
func GenerateKey(s Suite) (*PrivateKey, error) {
	kem := s.kem()
	if kem == nil {
		return nil, pay.Errorf(ErrKey, "suite", "unknown suite")
	}
	k, err := kem.GenerateKey()
	if err != nil {
		return nil, pay.Errorf(pay.ErrInternal, "", "generating a %s key failed", s).Wrap(err)
	}
	return newPrivateKey(s, k)
}

// ParsePrivateKey reads a key of suite s that Bytes wrote (32 bytes for
// either suite: the X25519 scalar, or the X-Wing seed).
func ParsePrivateKey(s Suite, b []byte) (*PrivateKey, error) {
	kem := s.kem()
	if kem == nil {
		return nil, pay.Errorf(ErrKey, "suite", "unknown suite")
	}
	if len(b) != 32 {
		return nil, pay.Errorf(ErrKey, "private_key", "a %s private key is 32 bytes", s)
	}
	k, err := kem.NewPrivateKey(b)
	if err != nil {
		return nil, pay.Errorf(ErrKey, "private_key", "not a %s private key", s)
	}
	return newPrivateKey(s, k)
}

func newPrivateKey(s Suite, k hpke.PrivateKey) (*PrivateKey, error) {
	pub, err := newPublicKey(s, k.PublicKey())
	if err != nil {
		return nil, err
	}
	return &PrivateKey{suite: s, k: k, pub: pub}, nil
}

// Bytes returns the secret key for storage (ParsePrivateKey reads it
// back). Keep it as secret as the key.
func (k *PrivateKey) Bytes() []byte {
	b, err := k.k.Bytes()
	if err != nil {
		// Both suites' keys always serialize; a key that doesn't is a bug.
		panic("im: a private key does not serialize: " + err.Error())
	}
	return b
}

// Public returns the key's public half.
func (k *PrivateKey) Public() PublicKey { return k.pub }

// Suite returns the key's suite.
func (k *PrivateKey) Suite() Suite { return k.suite }

// String names the key's suite and public ID, never the key.
func (k *PrivateKey) String() string {
	if k == nil {
		return "im.PrivateKey(nil)"
	}
	return "im.PrivateKey{" + k.suite.String() + " " + k.pub.id + " [redacted]}"
}

// GoString keeps the key out of %#v.
func (k *PrivateKey) GoString() string { return k.String() }

// LogValue keeps the key out of structured logs.
func (k *PrivateKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// ParsePublicKey reads a public key of suite s from its RFC 9180
// serialization (Bytes): 32 bytes for SuiteX25519, 1216 for SuiteHybrid.
// Bytes that are not a key of the suite are ErrKey.
func ParsePublicKey(s Suite, b []byte) (PublicKey, error) {
	kem := s.kem()
	if kem == nil {
		return PublicKey{}, pay.Errorf(ErrKey, "suite", "unknown suite")
	}
	if len(b) != s.pubLen() {
		return PublicKey{}, pay.Errorf(ErrKey, "public_key", "a %s public key is %d bytes", s, s.pubLen())
	}
	k, err := kem.NewPublicKey(b)
	if err != nil {
		return PublicKey{}, pay.Errorf(ErrKey, "public_key", "not a %s public key", s)
	}
	return newPublicKey(s, k)
}

func newPublicKey(s Suite, k hpke.PublicKey) (PublicKey, error) {
	b := k.Bytes()
	if len(b) != s.pubLen() {
		return PublicKey{}, pay.Errorf(pay.ErrInternal, "", "a %s public key of %d bytes", s, len(b))
	}
	return PublicKey{suite: s, k: k, b: bytes.Clone(b), id: keyID(s, b)}, nil
}

// keyID is 8 bytes of SHA-256 over a label, the suite and the key bytes,
// in lower-case base32: the same key under another suite has another ID.
func keyID(s Suite, b []byte) string {
	h := sha256.New()
	h.Write([]byte("paykit/im/v1 key id\x00"))
	h.Write([]byte{byte(s)})
	h.Write(b)
	return b32.EncodeToString(h.Sum(nil)[:8])
}

// Bytes returns the key's RFC 9180 serialization (a copy).
func (p PublicKey) Bytes() []byte { return bytes.Clone(p.b) }

// Suite returns the key's suite (0 for the zero PublicKey).
func (p PublicKey) Suite() Suite { return p.suite }

// ID returns a short stable ID of the key: 13 lower-case base32
// characters of a SHA-256 over its suite and bytes. An envelope's
// Header.To carries it, so a recipient with several keys (or a rotated one)
// picks the right key before it decrypts anything.
func (p PublicKey) ID() string { return p.id }

// IsZero reports whether p is the zero PublicKey (no key).
func (p PublicKey) IsZero() bool { return p.k == nil }

// Equal reports whether p and q are the same key of the same suite.
func (p PublicKey) Equal(q PublicKey) bool {
	return p.suite == q.suite && bytes.Equal(p.b, q.b)
}

// String returns "<suite>:<id>", e.g. "x25519:qk3h5v7rg2m4a".
func (p PublicKey) String() string {
	if p.IsZero() {
		return "im.PublicKey(zero)"
	}
	return p.suite.String() + ":" + p.id
}

// maxKeyText bounds a key's text form before it is decoded.
var maxKeyText = suiteNameMax + 1 + base64.RawURLEncoding.EncodedLen(hybridPubLen)

// MarshalText writes the key as "<suite>.<base64url of Bytes>", e.g.
// "x25519.q2v…", so that a subsystem can publish its key in JSON and a
// client can read the suite with it.
func (p PublicKey) MarshalText() ([]byte, error) {
	if p.IsZero() {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "public_key", "no key")
	}
	out := make([]byte, 0, len(p.suite.String())+1+base64.RawURLEncoding.EncodedLen(len(p.b)))
	out = append(out, p.suite.String()...)
	out = append(out, '.')
	return base64.RawURLEncoding.AppendEncode(out, p.b), nil
}

// UnmarshalText reads what MarshalText wrote, strictly (one spelling per
// key: no padding, no line breaks, no stray bits). Anything else is ErrKey.
func (p *PublicKey) UnmarshalText(text []byte) error {
	if len(text) > maxKeyText {
		return pay.Errorf(ErrKey, "public_key", "too long for a public key")
	}
	name, enc, ok := strings.Cut(string(text), ".")
	if !ok {
		return pay.Errorf(ErrKey, "public_key", `a public key is "<suite>.<base64url>"`)
	}
	s, err := ParseSuite(name)
	if err != nil {
		return err
	}
	b, ok := decodeB64(enc)
	if !ok {
		return pay.Errorf(ErrKey, "public_key", "the key is not unpadded base64url")
	}
	k, err := ParsePublicKey(s, b)
	if err != nil {
		return err
	}
	*p = k
	return nil
}
