package verify

import (
	"context"
	"crypto"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

func TestPresence(t *testing.T) {
	ctx := context.Background()
	c := hbClock()
	keys, cs := NewDeviceKeys(), NewChallenges(c, time.Minute)
	v, err := NewPresenceVerifier(keys, cs)
	if err != nil {
		t.Fatal(err)
	}
	if v.Method() != MethodDevicePresence || v.Factor() != FactorPossession {
		t.Fatal("method or factor")
	}
	sim, esim, bio := hbP256(t), hbEd25519(t), hbP256(t)
	for _, r := range []struct {
		s    Subject
		kind KeyKind
		pub  crypto.PublicKey
	}{{hbAlice, KeySIM, sim.Public()}, {hbAlicePhone2, KeyESIM, esim.Public()}, {hbBob, KeyBiometric, bio.Public()}} {
		if err := keys.Register(ctx, r.s, r.kind, r.pub); err != nil {
			t.Fatal(err)
		}
	}
	// answer signs a challenge issued to s, as signAs, with priv.
	answer := func(s Subject, priv crypto.Signer, signAs Subject) Proof {
		t.Helper()
		ch, err := v.Challenge(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		p, err := SignPresence(priv, ch, signAs)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Right: the SIM (P-256) and the eSIM (Ed25519).
	p := answer(hbAlice, sim, hbAlice)
	if err := v.Verify(ctx, hbAlice, p); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(ctx, hbAlicePhone2, answer(hbAlicePhone2, esim, hbAlicePhone2)); err != nil {
		t.Fatal(err)
	}
	// Replayed.
	hbIs(t, v.Verify(ctx, hbAlice, p), ErrReplayed)
	// Signed by another device's key.
	hbIsMsg(t, v.Verify(ctx, hbAlice, answer(hbAlice, esim, hbAlice)), ErrFailed, "bound sim key")
	// Signed for another subject.
	hbIs(t, v.Verify(ctx, hbAlice, answer(hbAlice, sim, hbAlicePhone2)), ErrFailed)
	// A biometric challenge's signature does not answer presence.
	bc := cs.Issue(hbAlice, MethodBiometric)
	bp, _ := SignPresence(sim, bc, hbAlice)
	hbIsMsg(t, v.Verify(ctx, hbAlice, bp), ErrFailed, "not issued for device_presence")
	// Expired.
	p = answer(hbAlice, sim, hbAlice)
	c.Advance(time.Minute)
	hbIs(t, v.Verify(ctx, hbAlice, p), ErrExpired)
	// A device with only a biometric key has no presence key.
	_, err = v.Challenge(ctx, hbBob)
	hbIs(t, err, ErrNotSetUp)
	// Bad input.
	hbIs(t, v.Verify(ctx, hbAlice, Proof{Method: MethodBiometric}), pay.ErrInvalidRequest)
	_, err = v.Challenge(ctx, Subject{UserID: "alice"})
	hbIs(t, err, pay.ErrInvalidRequest)
	if _, err := SignPresence(nil, Challenge{}, hbAlice); err == nil {
		t.Fatal("nil signer")
	}
}

func TestPresenceSignedMessage(t *testing.T) {
	sim := hbP256(t)
	ch := Challenge{ID: "vch_x", Nonce: []byte{1, 2, 3}}
	p, err := SignPresence(sim, ch, hbAlice)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("paykit.presence.v1\x00\x01\x02\x03\x00alice\x00phone-1")
	if !verifySignature(sim.Public(), want, p.Signature) || p.ChallengeID != "vch_x" || p.Method != MethodDevicePresence {
		t.Fatalf("proof %+v is not a signature over %q", p, want)
	}
}
