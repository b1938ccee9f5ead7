package verify

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"

	"github.com/paykit-go/paykit/pay"
)

// Authenticator data flags (the WebAuthn bits).
const (
	// FlagUserPresent (UP): the user touched or looked at the device.
	FlagUserPresent byte = 0x01
	// FlagUserVerified (UV): the device's local biometric (or device PIN)
	// matched the enrolled user.
	FlagUserVerified byte = 0x04
)

// AuthenticatorDataSize is the length of biometric authenticator data:
// SHA-256(rpID) (32) || flags (1) || signature counter (4, big-endian).
const AuthenticatorDataSize = 32 + 1 + 4

// biometricLabel opens the client data a biometric key signs.
const biometricLabel = "paykit.biometric.v1"

// BiometricVerifier checks a phone's local biometric match, WebAuthn-style:
// the device's biometric-gated key (registered in DeviceKeys as
// KeyBiometric for the user and device) signs
//
//	authenticatorData || SHA-256(clientData)
//
// where authenticatorData = SHA-256(rpID) || flags || signCount (4 bytes,
// big-endian) and clientData = "paykit.biometric.v1" || 0x00 || challenge
// nonce || 0x00 || userID || 0x00 || deviceID. The server rebuilds
// clientData itself from the challenge and subject, so a proof carries only
// the challenge ID, the authenticator data and the signature. No raw
// biometric ever reaches the server: a Proof has no field for one.
//
// A proof passes when the challenge (single use) was issued to this subject
// for this method and is unexpired, the authenticator data is exactly 37
// bytes with the right rpID hash and both UP and UV set, the signature
// verifies under the registered key, and the counter rule holds: the
// counter must exceed the last one accepted for the key, except that an
// authenticator that has only ever sent 0 is taken not to count and may
// keep sending 0; once it has sent a non-zero counter, 0 or any value not
// above the last is refused (a cloned authenticator).
type BiometricVerifier struct {
	rpIDHash   [32]byte
	keys       *DeviceKeys
	challenges *Challenges
}

// NewBiometricVerifier returns a verifier for the relying party rpID (the
// service's name the device scopes its key to, e.g. "pay.example.com"),
// checking keys registered in keys and challenges issued by challenges.
func NewBiometricVerifier(rpID string, keys *DeviceKeys, challenges *Challenges) (*BiometricVerifier, error) {
	if rpID == "" || keys == nil || challenges == nil {
		return nil, errors.New("verify: NewBiometricVerifier needs an rpID, device keys and a challenge store")
	}
	return &BiometricVerifier{rpIDHash: sha256.Sum256([]byte(rpID)), keys: keys, challenges: challenges}, nil
}

// Method returns MethodBiometric.
func (v *BiometricVerifier) Method() Method { return MethodBiometric }

// Factor returns FactorInherence.
func (v *BiometricVerifier) Factor() Factor { return FactorInherence }

// Challenge issues a challenge for s's device to sign after a local
// biometric match. ErrNotSetUp if the device has no biometric key.
func (v *BiometricVerifier) Challenge(ctx context.Context, s Subject) (Challenge, error) {
	if err := checkSubject(s, true); err != nil {
		return Challenge{}, err
	}
	if k, ok := v.keys.lookup(s, false); !ok || k.kind != KeyBiometric {
		return Challenge{}, pay.Errorf(ErrNotSetUp, "device_id", "the device has no biometric key")
	}
	return v.challenges.Issue(s, MethodBiometric), nil
}

// Verify checks a biometric assertion (see BiometricVerifier). The
// challenge is consumed whatever the outcome.
func (v *BiometricVerifier) Verify(ctx context.Context, s Subject, p Proof) error {
	if err := checkProofMethod(MethodBiometric, p); err != nil {
		return err
	}
	if err := checkSubject(s, true); err != nil {
		return err
	}
	ch, err := v.challenges.Take(s, MethodBiometric, p.ChallengeID)
	if err != nil {
		return err
	}
	ad := p.AuthenticatorData
	if len(ad) != AuthenticatorDataSize {
		return pay.Errorf(ErrFailed, "authenticator_data", "biometric authenticator data must be %d bytes", AuthenticatorDataSize)
	}
	if subtle.ConstantTimeCompare(ad[:32], v.rpIDHash[:]) != 1 {
		return pay.Errorf(ErrFailed, "authenticator_data", "biometric assertion is for another relying party")
	}
	flags := ad[32]
	if flags&FlagUserPresent == 0 {
		return pay.Errorf(ErrFailed, "authenticator_data", "biometric assertion without user presence")
	}
	if flags&FlagUserVerified == 0 {
		return pay.Errorf(ErrFailed, "authenticator_data", "biometric assertion without user verification")
	}
	k, ok := v.keys.lookup(s, false)
	if !ok || k.kind != KeyBiometric {
		return pay.Errorf(ErrNotSetUp, "device_id", "the device has no biometric key")
	}
	if !verifySignature(k.pub, biometricSigned(ad, ch, s), p.Signature) {
		return pay.Errorf(ErrFailed, "signature", "biometric signature does not verify under the device's key")
	}
	if !v.keys.advanceCounter(s, k, binary.BigEndian.Uint32(ad[33:])) {
		return pay.Errorf(ErrFailed, "authenticator_data", "biometric signature counter did not increase (possible cloned authenticator)")
	}
	return nil
}

// biometricSigned is what the device signs: authenticatorData ||
// SHA-256(clientData).
func biometricSigned(ad []byte, ch Challenge, s Subject) []byte {
	cd := sha256.Sum256(signedMessage(biometricLabel, ch.Nonce, []byte(s.UserID), []byte(s.DeviceID)))
	return append(append(make([]byte, 0, len(ad)+len(cd)), ad...), cd[:]...)
}

// SignBiometric builds the proof a device makes after a local biometric
// match (or, with userVerified false, after mere presence): authenticator
// data for rpID with UP set, UV set if userVerified, and counter, signed
// with priv (ECDSA P-256 or Ed25519) over the challenge for s. Clients and
// tests use it; in production the phone's secure enclave does this.
func SignBiometric(priv crypto.Signer, rpID string, ch Challenge, s Subject, counter uint32, userVerified bool) (Proof, error) {
	if priv == nil {
		return Proof{}, errors.New("verify: nil signer")
	}
	h := sha256.Sum256([]byte(rpID))
	ad := make([]byte, AuthenticatorDataSize)
	copy(ad, h[:])
	ad[32] = FlagUserPresent
	if userVerified {
		ad[32] |= FlagUserVerified
	}
	binary.BigEndian.PutUint32(ad[33:], counter)
	sig, err := signMessage(priv, biometricSigned(ad, ch, s))
	if err != nil {
		return Proof{}, err
	}
	return Proof{Method: MethodBiometric, ChallengeID: ch.ID, AuthenticatorData: ad, Signature: sig}, nil
}
