package verify

import (
	"context"
	"crypto"
	"errors"

	"github.com/paykit-go/paykit/pay"
)

// presenceLabel opens the message a service-providing device signs.
const presenceLabel = "paykit.presence.v1"

// PresenceVerifier checks that the service-providing device bound to the
// user's device (a SIM, SD or USB secure element, or an eSIM, registered in
// DeviceKeys for the user and device) is present: its key signs
//
//	"paykit.presence.v1" || 0x00 || challenge nonce || 0x00 || userID || 0x00 || deviceID
//
// for a single-use challenge issued to that subject.
type PresenceVerifier struct {
	keys       *DeviceKeys
	challenges *Challenges
}

// NewPresenceVerifier returns a verifier checking keys registered in keys
// and challenges issued by challenges.
func NewPresenceVerifier(keys *DeviceKeys, challenges *Challenges) (*PresenceVerifier, error) {
	if keys == nil || challenges == nil {
		return nil, errors.New("verify: NewPresenceVerifier needs device keys and a challenge store")
	}
	return &PresenceVerifier{keys: keys, challenges: challenges}, nil
}

// Method returns MethodDevicePresence.
func (v *PresenceVerifier) Method() Method { return MethodDevicePresence }

// Factor returns FactorPossession.
func (v *PresenceVerifier) Factor() Factor { return FactorPossession }

// Challenge issues a challenge for s's service-providing device to sign.
// ErrNotSetUp if none is bound to the device.
func (v *PresenceVerifier) Challenge(ctx context.Context, s Subject) (Challenge, error) {
	if err := checkSubject(s, true); err != nil {
		return Challenge{}, err
	}
	if _, ok := v.keys.lookup(s, true); !ok {
		return Challenge{}, pay.Errorf(ErrNotSetUp, "device_id", "no SIM, SD, USB or eSIM key is bound to the device")
	}
	return v.challenges.Issue(s, MethodDevicePresence), nil
}

// Verify checks p's signature over its challenge. The challenge is consumed
// whatever the outcome.
func (v *PresenceVerifier) Verify(ctx context.Context, s Subject, p Proof) error {
	if err := checkProofMethod(MethodDevicePresence, p); err != nil {
		return err
	}
	if err := checkSubject(s, true); err != nil {
		return err
	}
	ch, err := v.challenges.Take(s, MethodDevicePresence, p.ChallengeID)
	if err != nil {
		return err
	}
	k, ok := v.keys.lookup(s, true)
	if !ok {
		return pay.Errorf(ErrNotSetUp, "device_id", "no SIM, SD, USB or eSIM key is bound to the device")
	}
	if !verifySignature(k.pub, presenceSigned(ch, s), p.Signature) {
		return pay.Errorf(ErrFailed, "signature", "device presence signature does not verify under the bound %s key", k.kind)
	}
	return nil
}

func presenceSigned(ch Challenge, s Subject) []byte {
	return signedMessage(presenceLabel, ch.Nonce, []byte(s.UserID), []byte(s.DeviceID))
}

// SignPresence builds the proof a service-providing device makes for ch
// and s with its key priv (ECDSA P-256 or Ed25519). Clients and tests use
// it; in production the SIM, SD, USB or eSIM applet signs.
func SignPresence(priv crypto.Signer, ch Challenge, s Subject) (Proof, error) {
	sig, err := signMessage(priv, presenceSigned(ch, s))
	if err != nil {
		return Proof{}, err
	}
	return Proof{Method: MethodDevicePresence, ChallengeID: ch.ID, Signature: sig}, nil
}
