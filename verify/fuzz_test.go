package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// hbFuzzEngine is an engine over every verifier of this file set, with
// keys and a certificate for alice, for fuzzing proofs.
func hbFuzzEngine(f *testing.F) (*Engine, *Challenges) {
	f.Helper()
	ctx := context.Background()
	c := hbClock()
	cs := NewChallenges(c, time.Minute)
	keys := NewDeviceKeys()
	if err := keys.Register(ctx, hbAlice, KeyBiometric, hbP256(f).Public()); err != nil {
		f.Fatal(err)
	}
	if err := keys.Register(ctx, hbAlice, KeySIM, hbEd25519(f).Public()); err != nil {
		f.Fatal(err)
	}
	bio, _ := NewBiometricVerifier(hbRPID, keys, cs)
	pres, _ := NewPresenceVerifier(keys, cs)
	pki := hbNewPKI(f)
	cert := pki.verifier(f, cs)
	loc, _ := NewLocationVerifier(WithPlaces(hbSquare), WithRegions(hbFiji), WithLocationClock(c))
	attrs, _ := NewAttributeVerifier(hbPeople, AttributeRule{Attribute: "age", Op: OpGte, Value: "18"})
	otps, _ := NewOTPs(NewOutbox(), WithOTPClock(c))
	e, err := NewEngine(Policy{Default: Rule{Factors: 1}}, []Verifier{bio, pres, cert, loc, attrs, otps.Verifier("payment")})
	if err != nil {
		f.Fatal(err)
	}
	return e, cs
}

// FuzzProofJSON: any JSON a client sends decodes into a Proof (or fails to)
// and Engine.Check never panics; its errors are *pay.Error values of this
// package's kinds.
func FuzzProofJSON(f *testing.F) {
	e, cs := hbFuzzEngine(f)
	ch := cs.Issue(hbAlice, MethodBiometric)
	bioProof, _ := SignBiometric(hbP256(f), hbRPID, ch, hbAlice, 1, true)
	seeds := []any{
		bioProof,
		Proof{Method: MethodDevicePresence, ChallengeID: cs.Issue(hbAlice, MethodDevicePresence).ID, Signature: make([]byte, 64)},
		Proof{Method: MethodCertificate, ChallengeID: cs.Issue(hbAlice, MethodCertificate).ID, Certificates: [][]byte{{0x30, 0x03, 0x02, 0x01, 0x01}}},
		Proof{Method: MethodLocation, Position: &Position{Lat: 31.2304, Lon: 121.4737, AccuracyMeters: 10, At: hbStart}},
		Proof{Method: MethodLocation, Position: &Position{Lat: -17.5, Lon: 180, AccuracyMeters: 10, At: hbStart}},
		Proof{Method: MethodAttributes},
		Proof{Method: MethodSMS, ChallengeID: "otp_x", Secret: "123456"},
		Proof{Method: MethodTrustedTerminal},
	}
	for _, s := range seeds {
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "alice", "phone-1")
	}
	for _, s := range []string{``, `{}`, `null`, `{"method":"biometric","authenticator_data":"AAAA"}`,
		`{"method":"location","position":{"lat":1e999}}`, `{"method":"location","position":{"lat":"NaN"}}`,
		`{"method":"certificate","certificates":[null,""]}`, `{"method":"sms_otp","secret":"\u0000"}`} {
		f.Add([]byte(s), "alice", "")
	}
	kinds := []*pay.Error{ErrFailed, ErrLocked, ErrExpired, ErrReplayed, ErrUnsupported, ErrNotSetUp, pay.ErrInvalidRequest}
	f.Fuzz(func(t *testing.T, data []byte, user, device string) {
		var p Proof
		if json.Unmarshal(data, &p) != nil {
			return
		}
		err := e.Check(context.Background(), Subject{UserID: user, DeviceID: device}, p)
		if err == nil {
			return
		}
		var pe *pay.Error
		if !errors.As(err, &pe) {
			t.Fatalf("error %T %v is not a *pay.Error", err, err)
		}
		for _, k := range kinds {
			if errors.Is(err, k) {
				return
			}
		}
		t.Fatalf("unexpected error kind %v", err)
	})
}

// FuzzParsePublicKey: ParsePublicKey never panics; what it accepts is a
// P-256 or Ed25519 key whose DER encoding is exactly the input.
func FuzzParsePublicKey(f *testing.F) {
	p256, _ := x509.MarshalPKIXPublicKey(hbP256(f).Public())
	ed, _ := x509.MarshalPKIXPublicKey(hbEd25519(f).Public())
	p384k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384, _ := x509.MarshalPKIXPublicKey(p384k.Public())
	rsaK, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKIXPublicKey(rsaK.Public())
	for _, s := range [][]byte{p256, ed, p384, rsaDER, p256[:len(p256)-1], append(bytes.Clone(ed), 0), nil, {0x30}, {0x30, 0x00}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		pub, err := ParsePublicKey(der)
		if err != nil {
			if pub != nil {
				t.Fatal("a key with an error")
			}
			if !errors.Is(err, pay.ErrInvalidRequest) {
				t.Fatalf("error kind %v", err)
			}
			return
		}
		switch k := pub.(type) {
		case *ecdsa.PublicKey:
			if k.Curve != elliptic.P256() {
				t.Fatal("accepted a non-P-256 ECDSA key")
			}
		case ed25519.PublicKey:
		default:
			t.Fatalf("accepted a %T", pub)
		}
		again, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil || !bytes.Equal(again, der) {
			t.Fatalf("accepted DER %x re-encodes as %x (%v)", der, again, err)
		}
	})
}

// FuzzCertificates: random DER presented as a certificate chain never
// panics the chain parsing and verification path and never passes.
func FuzzCertificates(f *testing.F) {
	pki := hbNewPKI(f)
	cs := NewChallenges(hbClock(), time.Minute)
	v := pki.verifier(f, cs)
	f.Add(pki.alice.der, pki.inter.der)
	f.Add(pki.expired.der, pki.inter.der)
	f.Add(pki.foreign.der, []byte{})
	f.Add(pki.alice.der[:len(pki.alice.der)/2], pki.inter.der)
	f.Add(pki.inter.der, pki.root.der)
	f.Add([]byte{0x30, 0x82, 0xff, 0xff}, []byte("junk"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		for _, chain := range [][][]byte{{a}, {a, b}} {
			if certs, err := parseCertificates(chain); err == nil && len(certs) != len(chain) {
				t.Fatalf("%d certificates from a chain of %d", len(certs), len(chain))
			}
			ch, _ := v.Challenge(context.Background(), hbAlice)
			err := v.Verify(context.Background(), hbAlice, Proof{Method: MethodCertificate, ChallengeID: ch.ID, Certificates: chain, Signature: a})
			if err == nil {
				t.Fatal("random bytes passed as a certificate proof")
			}
			if !errors.Is(err, ErrFailed) && !errors.Is(err, ErrExpired) {
				t.Fatalf("error kind %v", err)
			}
		}
	})
}

// FuzzPolicyJSON: a policy read from configuration never panics Validate,
// NewEngine or Requirement, and a valid one always names one of its rules.
func FuzzPolicyJSON(f *testing.F) {
	pin := &hbPIN{}
	otps, _ := NewOTPs(NewOutbox())
	for _, p := range []Policy{hbPolicy, hbTwoFactor, {}} {
		b, _ := json.Marshal(p)
		f.Add(b, int64(1000_00), 50, "vr_headset", "alipay")
	}
	f.Add([]byte(`{"rules":[{"name":"x","factors":1,"min_risk":101}],"default":{"factors":1}}`), int64(0), 0, "", "")
	f.Fuzz(func(t *testing.T, data []byte, amount int64, risk int, flow, channel string) {
		var p Policy
		if json.Unmarshal(data, &p) != nil {
			return
		}
		if p.Validate() != nil {
			return
		}
		names := map[string]bool{p.defaultRule().Name: true}
		for _, r := range p.Rules {
			names[r.Name] = true
		}
		req := p.Requirement(Payment{Amount: hbCNY(amount), Risk: risk, Flow: flow, Channel: channel})
		if !names[req.Rule] {
			t.Fatalf("requirement names rule %q, not in the policy", req.Rule)
		}
		_ = req.Satisfied([]Method{MethodPassword, MethodSMS}, nil)
		if e, err := NewEngine(p, []Verifier{pin, otps.Verifier("p")}); err == nil {
			_ = e.Satisfied(Payment{Amount: hbCNY(amount), Risk: risk}, []Method{MethodPassword})
		}
	})
}
