package im

import (
	"crypto/ecdh"
	"crypto/hpke"
	"strconv"

	"github.com/paykit-go/paykit/pay"
)

// Suite names an HPKE cipher suite (RFC 9180) an envelope is sealed with.
// Both use HKDF-SHA256 and ChaCha20-Poly1305; they differ in the key
// encapsulation. The suite travels in every envelope and in every key's
// text form, so a recipient can hold keys of both.
type Suite uint8

// The suites. SuiteX25519 is small and fast; SuiteHybrid adds ML-KEM-768,
// so a message recorded today stays confidential against a future quantum
// computer as long as either half holds, at the cost of about 1.1 KB more
// per envelope (see Overhead).
const (
	// SuiteX25519 is DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
	// ChaCha20-Poly1305.
	SuiteX25519 Suite = 1
	// SuiteHybrid is MLKEM768-X25519 (X-Wing, crypto/hpke.MLKEM768X25519),
	// HKDF-SHA256, ChaCha20-Poly1305.
	SuiteHybrid Suite = 2
)

// Suite sizes, fixed by the KEMs (a test checks them against crypto/hpke).
const (
	x25519EncLen = 32        // an X25519 public key
	hybridEncLen = 1088 + 32 // an ML-KEM-768 ciphertext and an X25519 public key
	x25519PubLen = 32        // an X25519 public key
	hybridPubLen = 1184 + 32 // an ML-KEM-768 encapsulation key and an X25519 public key
	aeadTagLen   = 16        // ChaCha20-Poly1305's tag
	suiteNameMax = len("mlkem768x25519")
)

// Valid reports whether s is one of the suites above.
func (s Suite) Valid() bool { return s == SuiteX25519 || s == SuiteHybrid }

// String returns the suite's name in key texts: "x25519" or
// "mlkem768x25519" ("suite(n)" for an unknown one).
func (s Suite) String() string {
	switch s {
	case SuiteX25519:
		return "x25519"
	case SuiteHybrid:
		return "mlkem768x25519"
	}
	return "suite(" + strconv.Itoa(int(s)) + ")"
}

// ParseSuite is String's inverse; it knows only the two suites' names.
func ParseSuite(name string) (Suite, error) {
	switch name {
	case "x25519":
		return SuiteX25519, nil
	case "mlkem768x25519":
		return SuiteHybrid, nil
	}
	return 0, pay.Errorf(ErrKey, "suite", "unknown suite")
}

// kem returns the suite's key encapsulation mechanism, nil for an unknown
// suite.
func (s Suite) kem() hpke.KEM {
	switch s {
	case SuiteX25519:
		return hpke.DHKEM(ecdh.X25519())
	case SuiteHybrid:
		return hpke.MLKEM768X25519()
	}
	return nil
}

// encLen is the length of the suite's encapsulated key, 0 for an unknown
// suite.
func (s Suite) encLen() int {
	switch s {
	case SuiteX25519:
		return x25519EncLen
	case SuiteHybrid:
		return hybridEncLen
	}
	return 0
}

// pubLen is the length of the suite's public key, 0 for an unknown suite.
func (s Suite) pubLen() int {
	switch s {
	case SuiteX25519:
		return x25519PubLen
	case SuiteHybrid:
		return hybridPubLen
	}
	return 0
}

// The KDF and AEAD every suite uses.
var (
	suiteKDF  = hpke.HKDFSHA256()
	suiteAEAD = hpke.ChaCha20Poly1305()
)
