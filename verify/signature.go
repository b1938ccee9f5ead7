package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
)

// maxSignature bounds a signature before it is parsed: DER ECDSA P-256 is at
// most 72 bytes, Ed25519 64, RSA-4096 512.
const maxSignature = 1024

// signedMessage frames a domain label and the parts a device signs, each
// separated by a 0x00 byte: label || 0x00 || part1 || 0x00 || part2 …. The
// label keeps a signature made for one method from answering another; the
// parts are a fixed-size nonce and IDs that cannot contain 0x00
// (checkSubject), so the framing is unambiguous.
func signedMessage(label string, parts ...[]byte) []byte {
	n := len(label)
	for _, p := range parts {
		n += 1 + len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, label...)
	for _, p := range parts {
		b = append(b, 0)
		b = append(b, p...)
	}
	return b
}

// signMessage signs msg the way the verifiers check it: ECDSA as ASN.1 DER
// over SHA-256(msg) (what secure enclaves, SIM applets and WebAuthn
// authenticators produce), Ed25519 over msg itself, RSA as PSS with SHA-256.
func signMessage(priv crypto.Signer, msg []byte) ([]byte, error) {
	if priv == nil {
		return nil, errors.New("verify: nil signer")
	}
	digest := sha256.Sum256(msg)
	switch priv.Public().(type) {
	case *ecdsa.PublicKey:
		return priv.Sign(rand.Reader, digest[:], crypto.SHA256)
	case ed25519.PublicKey:
		return priv.Sign(rand.Reader, msg, crypto.Hash(0))
	case *rsa.PublicKey:
		return priv.Sign(rand.Reader, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
	default:
		return nil, errors.New("verify: unsupported key type (want ECDSA, Ed25519 or RSA)")
	}
}

// verifySignature reports whether sig is pub's signature over msg, as
// signMessage makes it.
func verifySignature(pub crypto.PublicKey, msg, sig []byte) bool {
	if len(sig) == 0 || len(sig) > maxSignature {
		return false
	}
	digest := sha256.Sum256(msg)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest[:], sig)
	case ed25519.PublicKey:
		return len(k) == ed25519.PublicKeySize && ed25519.Verify(k, msg, sig)
	case *rsa.PublicKey:
		return rsa.VerifyPSS(k, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	default:
		return false
	}
}
