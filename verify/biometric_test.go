package verify

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

const hbRPID = "pay.example.com"

type hbBio struct {
	v    *BiometricVerifier
	keys *DeviceKeys
	cs   *Challenges
	c    *clock.Fake
	priv crypto.Signer // alice's phone-1 biometric key
}

func hbBiometric(t *testing.T) *hbBio {
	t.Helper()
	c := hbClock()
	keys, cs := NewDeviceKeys(), NewChallenges(c, time.Minute)
	v, err := NewBiometricVerifier(hbRPID, keys, cs)
	if err != nil {
		t.Fatal(err)
	}
	priv := hbP256(t)
	if err := keys.Register(context.Background(), hbAlice, KeyBiometric, priv.Public()); err != nil {
		t.Fatal(err)
	}
	return &hbBio{v: v, keys: keys, cs: cs, c: c, priv: priv}
}

// proof signs a fresh challenge for s with priv.
func (b *hbBio) proof(t *testing.T, priv crypto.Signer, s Subject, counter uint32, uv bool) Proof {
	t.Helper()
	ch, err := b.v.Challenge(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := SignBiometric(priv, hbRPID, ch, s, counter, uv)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBiometricRightAndReplayed(t *testing.T) {
	ctx := context.Background()
	b := hbBiometric(t)
	if b.v.Method() != MethodBiometric || b.v.Factor() != FactorInherence {
		t.Fatal("method or factor")
	}
	p := b.proof(t, b.priv, hbAlice, 1, true)
	if len(p.AuthenticatorData) != AuthenticatorDataSize || p.AuthenticatorData[32] != FlagUserPresent|FlagUserVerified || p.Secret != "" {
		t.Fatalf("proof = %+v", p)
	}
	if err := b.v.Verify(ctx, hbAlice, p); err != nil {
		t.Fatal(err)
	}
	hbIs(t, b.v.Verify(ctx, hbAlice, p), ErrReplayed)
}

func TestBiometricRefusals(t *testing.T) {
	ctx := context.Background()
	b := hbBiometric(t)
	other := hbP256(t) // phone-2's key
	if err := b.keys.Register(ctx, hbAlicePhone2, KeyBiometric, other.Public()); err != nil {
		t.Fatal(err)
	}

	// No UV flag: presence alone is not a biometric match.
	hbIsMsg(t, b.v.Verify(ctx, hbAlice, b.proof(t, b.priv, hbAlice, 1, false)), ErrFailed, "without user verification")

	// Signed by another device's key.
	ch, _ := b.v.Challenge(ctx, hbAlice)
	p, _ := SignBiometric(other, hbRPID, ch, hbAlice, 1, true)
	hbIsMsg(t, b.v.Verify(ctx, hbAlice, p), ErrFailed, "does not verify")

	// Another relying party.
	ch, _ = b.v.Challenge(ctx, hbAlice)
	p, _ = SignBiometric(b.priv, "evil.example.com", ch, hbAlice, 1, true)
	hbIsMsg(t, b.v.Verify(ctx, hbAlice, p), ErrFailed, "another relying party")

	// UV without UP, properly signed.
	ch, _ = b.v.Challenge(ctx, hbAlice)
	h := sha256.Sum256([]byte(hbRPID))
	ad := append(h[:], FlagUserVerified, 0, 0, 0, 1)
	sig, _ := signMessage(b.priv, biometricSigned(ad, ch, hbAlice))
	hbIsMsg(t, b.v.Verify(ctx, hbAlice, Proof{Method: MethodBiometric, ChallengeID: ch.ID, AuthenticatorData: ad, Signature: sig}), ErrFailed, "without user presence")

	// Tampered counter after signing.
	p = b.proof(t, b.priv, hbAlice, 1, true)
	p.AuthenticatorData[36] = 9
	hbIsMsg(t, b.v.Verify(ctx, hbAlice, p), ErrFailed, "does not verify")

	// Truncated or extended authenticator data.
	for _, n := range []int{0, 36, 38} {
		p = b.proof(t, b.priv, hbAlice, 1, true)
		p.AuthenticatorData = append(p.AuthenticatorData, 0)[:n]
		hbIsMsg(t, b.v.Verify(ctx, hbAlice, p), ErrFailed, "37 bytes")
	}

	// A challenge issued to phone-2, answered as phone-1, by phone-1's key.
	ch, _ = b.v.Challenge(ctx, hbAlicePhone2)
	p, _ = SignBiometric(b.priv, hbRPID, ch, hbAlice, 1, true)
	hbIsMsg(t, b.v.Verify(ctx, hbAlice, p), ErrFailed, "another user or device")

	// Signed for another subject than the one verifying (clientData binds
	// the user and device).
	ch, _ = b.v.Challenge(ctx, hbAlice)
	p, _ = SignBiometric(b.priv, hbRPID, ch, hbAlicePhone2, 1, true)
	hbIsMsg(t, b.v.Verify(ctx, hbAlice, p), ErrFailed, "does not verify")

	// Expired challenge.
	p = b.proof(t, b.priv, hbAlice, 1, true)
	b.c.Advance(time.Minute)
	hbIs(t, b.v.Verify(ctx, hbAlice, p), ErrExpired)

	// Wrong method, no device.
	hbIs(t, b.v.Verify(ctx, hbAlice, Proof{Method: MethodDevicePresence}), pay.ErrInvalidRequest)
	hbIs(t, b.v.Verify(ctx, Subject{UserID: "alice"}, Proof{Method: MethodBiometric}), pay.ErrInvalidRequest)

	// Every refusal left the counter untouched: counter 1 still passes.
	if err := b.v.Verify(ctx, hbAlice, b.proof(t, b.priv, hbAlice, 1, true)); err != nil {
		t.Fatal(err)
	}
}

func TestBiometricCounter(t *testing.T) {
	ctx := context.Background()
	b := hbBiometric(t)
	step := func(counter uint32) error {
		return b.v.Verify(ctx, hbAlice, b.proof(t, b.priv, hbAlice, counter, true))
	}
	if err := step(5); err != nil {
		t.Fatal(err)
	}
	for _, c := range []uint32{5, 4, 0} {
		hbIsMsg(t, step(c), ErrFailed, "counter did not increase")
	}
	if err := step(6); err != nil {
		t.Fatal(err)
	}
	if err := step(1 << 31); err != nil {
		t.Fatal(err)
	}

	// An Ed25519 authenticator that never counts may keep sending 0 — until
	// it sends a non-zero count once.
	ed := hbEd25519(t)
	if err := b.keys.Register(ctx, hbAlicePhone2, KeyBiometric, ed.Public()); err != nil {
		t.Fatal(err)
	}
	step2 := func(counter uint32) error {
		return b.v.Verify(ctx, hbAlicePhone2, b.proof(t, ed, hbAlicePhone2, counter, true))
	}
	for range 3 {
		if err := step2(0); err != nil {
			t.Fatal(err)
		}
	}
	if err := step2(1); err != nil {
		t.Fatal(err)
	}
	hbIs(t, step2(0), ErrFailed)
}

// 64 concurrent assertions carrying the same counter, each on its own
// challenge: exactly one is accepted (the counter check and update are one
// step).
func TestBiometricConcurrentSameCounter(t *testing.T) {
	ctx := context.Background()
	b := hbBiometric(t)
	proofs := make([]Proof, 64)
	for i := range proofs {
		proofs[i] = b.proof(t, b.priv, hbAlice, 7, true)
	}
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for _, p := range proofs {
		wg.Go(func() {
			err := b.v.Verify(ctx, hbAlice, p)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrFailed):
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || refused.Load() != 63 {
		t.Fatalf("ok %d refused %d; want 1, 63", ok.Load(), refused.Load())
	}
}

func TestBiometricNotSetUp(t *testing.T) {
	ctx := context.Background()
	b := hbBiometric(t)
	_, err := b.v.Challenge(ctx, hbBob)
	hbIs(t, err, ErrNotSetUp)
	// A SIM key does not answer biometric challenges.
	if err := b.keys.Register(ctx, hbBob, KeySIM, hbP256(t).Public()); err != nil {
		t.Fatal(err)
	}
	_, err = b.v.Challenge(ctx, hbBob)
	hbIs(t, err, ErrNotSetUp)
	// A key removed between challenge and answer.
	p := b.proof(t, b.priv, hbAlice, 1, true)
	if err := b.keys.Remove(ctx, hbAlice, KeyBiometric); err != nil {
		t.Fatal(err)
	}
	hbIs(t, b.v.Verify(ctx, hbAlice, p), ErrNotSetUp)
	if _, err := NewBiometricVerifier("", b.keys, b.cs); err == nil {
		t.Fatal("empty rpID accepted")
	}
}

func TestBiometricAuthenticatorDataLayout(t *testing.T) {
	b := hbBiometric(t)
	ch := b.cs.Issue(hbAlice, MethodBiometric)
	p, err := SignBiometric(b.priv, hbRPID, ch, hbAlice, 0x01020304, true)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(hbRPID))
	ad := p.AuthenticatorData
	if string(ad[:32]) != string(h[:]) || ad[32] != 0x05 || binary.BigEndian.Uint32(ad[33:]) != 0x01020304 {
		t.Fatalf("authenticator data %x", ad)
	}
	// The signed bytes: authenticatorData || SHA-256(clientData), with
	// clientData = label 0 nonce 0 user 0 device.
	cd := append([]byte("paykit.biometric.v1\x00"), ch.Nonce...)
	cd = append(cd, "\x00alice\x00phone-1"...)
	sum := sha256.Sum256(cd)
	if want := append(append([]byte{}, ad...), sum[:]...); !verifySignature(b.priv.Public(), want, p.Signature) {
		t.Fatal("signature is not over authenticatorData || SHA-256(clientData)")
	}
}
