package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

func TestDeviceKeysRegister(t *testing.T) {
	ctx := context.Background()
	d := NewDeviceKeys()
	bio, sim := hbP256(t), hbEd25519(t)
	if err := d.Register(ctx, hbAlice, KeyBiometric, bio.Public()); err != nil {
		t.Fatal(err)
	}
	// One biometric and one service-providing key per device.
	if err := d.Register(ctx, hbAlice, KeySIM, sim.Public()); err != nil {
		t.Fatal(err)
	}
	hbIsMsg(t, d.Register(ctx, hbAlice, KeyBiometric, hbP256(t).Public()), pay.ErrConflict, "already has a biometric key")
	hbIsMsg(t, d.Register(ctx, hbAlice, KeyUSB, hbP256(t).Public()), pay.ErrConflict, "already has a sim key")
	// The same key on another device of the user is another slot.
	if err := d.Register(ctx, hbAlicePhone2, KeyESIM, sim.Public()); err != nil {
		t.Fatal(err)
	}

	hbIs(t, d.Remove(ctx, hbAlice, KeyUSB), ErrNotSetUp) // the presence slot holds a SIM key
	if err := d.Remove(ctx, hbAlice, KeySIM); err != nil {
		t.Fatal(err)
	}
	hbIs(t, d.Remove(ctx, hbAlice, KeySIM), ErrNotSetUp)
	if err := d.Register(ctx, hbAlice, KeySD, hbP256(t).Public()); err != nil {
		t.Fatalf("register after remove: %v", err)
	}
	if k, ok := d.lookup(hbAlice, true); !ok || k.kind != KeySD {
		t.Fatalf("presence slot = %+v, %v", k, ok)
	}
	if k, ok := d.lookup(hbAlice, false); !ok || !k.pub.(*ecdsa.PublicKey).Equal(bio.Public()) {
		t.Fatalf("biometric slot = %+v, %v", k, ok)
	}
}

func TestDeviceKeysRefuseBadInput(t *testing.T) {
	ctx := context.Background()
	d := NewDeviceKeys()
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}
	for name, tc := range map[string]struct {
		s    Subject
		kind KeyKind
		pub  any
	}{
		"no device":   {Subject{UserID: "alice"}, KeyBiometric, hbP256(t).Public()},
		"no user":     {Subject{DeviceID: "d"}, KeyBiometric, hbP256(t).Public()},
		"NUL in id":   {Subject{UserID: "al\x00ice", DeviceID: "d"}, KeyBiometric, hbP256(t).Public()},
		"long id":     {Subject{UserID: string(make([]byte, 129)), DeviceID: "d"}, KeyBiometric, hbP256(t).Public()},
		"bad kind":    {hbAlice, KeyKind("nfc"), hbP256(t).Public()},
		"P-384":       {hbAlice, KeyBiometric, p384.Public()},
		"RSA":         {hbAlice, KeySIM, rsaKey.Public()},
		"nil":         {hbAlice, KeySIM, nil},
		"nil ECDSA":   {hbAlice, KeySIM, (*ecdsa.PublicKey)(nil)},
		"off curve":   {hbAlice, KeySIM, offCurve},
		"short 25519": {hbAlice, KeySIM, ed25519.PublicKey(make([]byte, 31))},
		"private key": {hbAlice, KeySIM, hbP256(t)},
	} {
		if err := d.Register(ctx, tc.s, tc.kind, tc.pub); !isCode(err, pay.ErrInvalidRequest.Code) {
			t.Errorf("%s: err = %v, want invalid_request", name, err)
		}
	}
	if len(d.keys) != 0 {
		t.Fatalf("%d keys registered from bad input", len(d.keys))
	}
}

func TestDeviceKeysCopyEd25519(t *testing.T) {
	ctx := context.Background()
	d := NewDeviceKeys()
	k := hbEd25519(t)
	pub := k.Public().(ed25519.PublicKey)
	if err := d.Register(ctx, hbAlice, KeyESIM, pub); err != nil {
		t.Fatal(err)
	}
	pub[0] ^= 0xff // the caller's slice; the registry kept its own copy
	got, _ := d.lookup(hbAlice, true)
	pub[0] ^= 0xff
	if !got.pub.(ed25519.PublicKey).Equal(pub) {
		t.Fatal("registry shares the caller's key slice")
	}
}

func TestParsePublicKey(t *testing.T) {
	ec, ed := hbP256(t), hbEd25519(t)
	for name, pub := range map[string]any{"P-256": ec.Public(), "Ed25519": ed.Public()} {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParsePublicKey(der)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
			t.Fatalf("%s: parsed key differs", name)
		}
		hbIs(t, func() error { _, err := ParsePublicKey(der[:len(der)-1]); return err }(), pay.ErrInvalidRequest)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der384, _ := x509.MarshalPKIXPublicKey(p384.Public())
	for name, der := range map[string][]byte{"empty": nil, "junk": []byte("not a key"), "P-384": der384, "huge": make([]byte, maxPublicKeyDER+1)} {
		_, err := ParsePublicKey(der)
		if pe := hbIs(t, err, pay.ErrInvalidRequest); pe.Param != "public_key" {
			t.Errorf("%s: param %q", name, pe.Param)
		}
	}
}
