package verify

import (
	"context"
	"crypto/subtle"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// hbPIN is a test knowledge verifier (the real password verifier lives in
// password.go): a fixed PIN per user, counting every evaluation.
type hbPIN struct {
	pins  map[string]string
	calls atomic.Int32
}

func (p *hbPIN) Method() Method { return MethodPassword }
func (p *hbPIN) Factor() Factor { return FactorKnowledge }
func (p *hbPIN) Verify(_ context.Context, s Subject, pr Proof) error {
	p.calls.Add(1)
	want, ok := p.pins[s.UserID]
	if !ok {
		return pay.Errorf(ErrNotSetUp, "secret", "no PIN")
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(pr.Secret)) != 1 {
		return pay.Errorf(ErrFailed, "secret", "wrong PIN")
	}
	return nil
}

// hbRig is an engine over a PIN, SMS codes, biometric and presence keys
// and location, for alice on phone-1.
type hbRig struct {
	pin  *hbPIN
	otps *OTPs
	box  *Outbox
	keys *DeviceKeys
}

func hbNewRig(t *testing.T, p Policy, opts ...EngineOption) (*hbRig, *Engine) {
	t.Helper()
	c := hbClock()
	cs := NewChallenges(c, time.Minute)
	keys := NewDeviceKeys()
	bio, _ := NewBiometricVerifier(hbRPID, keys, cs)
	pres, _ := NewPresenceVerifier(keys, cs)
	box := NewOutbox()
	otps, _ := NewOTPs(box, WithOTPClock(c))
	loc, _ := NewLocationVerifier(WithPlaces(hbSquare), WithLocationClock(c))
	pin := &hbPIN{pins: map[string]string{"alice": "135790"}}
	e, err := NewEngine(p, []Verifier{pin, otps.Verifier("payment"), bio, pres, loc}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &hbRig{pin: pin, otps: otps, box: box, keys: keys}, e
}

var hbTwoFactor = Policy{
	Rules:   []Rule{{Name: "two-factor", Currency: "CNY", MinAmount: 1000_00, Factors: 2}},
	Default: Rule{Name: "one-factor", Factors: 1},
}

func TestEngineTwoFactorPolicy(t *testing.T) {
	ctx := context.Background()
	rig, e := hbNewRig(t, hbTwoFactor)
	bioKey, simKey := hbP256(t), hbEd25519(t)
	if err := rig.keys.Register(ctx, hbAlice, KeyBiometric, bioKey.Public()); err != nil {
		t.Fatal(err)
	}
	if err := rig.keys.Register(ctx, hbAlice, KeySIM, simKey.Public()); err != nil {
		t.Fatal(err)
	}
	counter := uint32(0)
	sms := func() Proof {
		ch, err := rig.otps.Send(ctx, hbAlice, "payment", hbPhone)
		if err != nil {
			t.Fatal(err)
		}
		return Proof{Method: MethodSMS, ChallengeID: ch.ID, Secret: hbCode(t, rig.box, hbPhone)}
	}
	bio := func() Proof {
		ch, err := e.Challenge(ctx, hbAlice, MethodBiometric)
		if err != nil {
			t.Fatal(err)
		}
		counter++
		p, _ := SignBiometric(bioKey, hbRPID, ch, hbAlice, counter, true)
		return p
	}
	presence := func() Proof {
		ch, err := e.Challenge(ctx, hbAlice, MethodDevicePresence)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := SignPresence(simKey, ch, hbAlice)
		return p
	}
	pin := Proof{Method: MethodPassword, Secret: "135790"}
	big := Payment{Amount: hbCNY(2000_00), Channel: "alipay", Flow: "pos"}

	// A policy that needs two factors refuses one — before checking
	// anything: the code stays usable.
	code := sms()
	res, err := e.Verify(ctx, hbAlice, big, []Proof{code})
	hbIsMsg(t, err, ErrInsufficient, "rule two-factor needs 2 factors from knowledge, possession, inherence; has 1 (possession)")
	if res.Rule != "two-factor" || res.Methods != nil {
		t.Fatalf("result %+v", res)
	}
	// ... and two of the same category (SMS code and SIM presence are both
	// possession), still without consuming anything.
	pres := presence()
	_, err = e.Verify(ctx, hbAlice, big, []Proof{code, pres})
	hbIsMsg(t, err, ErrInsufficient, "has 1 (possession)")
	// Two of different categories pass, and the result records them.
	res, err = e.Verify(ctx, hbAlice, big, []Proof{code, bio()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Result{Rule: "two-factor", Methods: []Method{MethodSMS, MethodBiometric}}, res); diff != "" {
		t.Fatalf("result (-want +got):\n%s", diff)
	}
	// The presence challenge was not consumed by the refused call either.
	if res, err := e.Verify(ctx, hbAlice, big, []Proof{pin, pres}); err != nil || res.Rule != "two-factor" {
		t.Fatalf("PIN + presence: %+v %v", res, err)
	}
	// Small payments need one factor.
	if res, err := e.Verify(ctx, hbAlice, Payment{Amount: hbCNY(10_00)}, []Proof{pin}); err != nil || res.Rule != "one-factor" {
		t.Fatalf("small payment: %+v %v", res, err)
	}
	hbIsMsg(t, func() error { _, err := e.Verify(ctx, hbAlice, Payment{Amount: hbCNY(10_00)}, nil); return err }(), ErrInsufficient, "has 0")

	// The first failing proof stops the check: later proofs stay unused.
	rig.pin.calls.Store(0)
	b := bio()
	_, err = e.Verify(ctx, hbAlice, big, []Proof{{Method: MethodPassword, Secret: "000000"}, b})
	hbIsMsg(t, err, ErrFailed, "wrong PIN")
	hbNoLeak(t, err, "000000", "135790")
	if _, err := e.Verify(ctx, hbAlice, big, []Proof{pin, b}); err != nil {
		t.Fatalf("the biometric proof after a refused call: %v", err)
	}
	if n := rig.pin.calls.Load(); n != 2 {
		t.Fatalf("PIN evaluated %d times, want 2", n)
	}
}

func TestEngineVerifyBadInput(t *testing.T) {
	ctx := context.Background()
	rig, e := hbNewRig(t, hbTwoFactor)
	pin := Proof{Method: MethodPassword, Secret: "135790"}
	small := Payment{Amount: hbCNY(1)}
	for name, tc := range map[string]struct {
		pm     Payment
		proofs []Proof
		want   *pay.Error
	}{
		"two of one method": {small, []Proof{pin, pin}, pay.ErrInvalidRequest},
		"17 proofs":         {small, make([]Proof, 17), pay.ErrInvalidRequest},
		"unknown method":    {small, []Proof{pin, {Method: "retina"}}, ErrUnsupported},
		"no method":         {small, []Proof{{}}, ErrUnsupported},
		"risk 101":          {Payment{Amount: hbCNY(1), Risk: 101}, []Proof{pin}, pay.ErrInvalidRequest},
		"risk -1":           {Payment{Amount: hbCNY(1), Risk: -1}, []Proof{pin}, pay.ErrInvalidRequest},
		"negative amount":   {Payment{Amount: hbCNY(-1)}, []Proof{pin}, pay.ErrInvalidRequest},
		"no currency":       {Payment{Amount: pay.Money{Amount: 1}}, []Proof{pin}, pay.ErrInvalidRequest},
	} {
		_, err := e.Verify(ctx, hbAlice, tc.pm, tc.proofs)
		if !isCode(err, tc.want.Code) {
			t.Errorf("%s: %v, want %s", name, err, tc.want.Code)
		}
	}
	if n := rig.pin.calls.Load(); n != 0 {
		t.Fatalf("bad input evaluated the PIN %d times", n)
	}
}

func TestEngineRoutes(t *testing.T) {
	ctx := context.Background()
	p := Policy{Rules: []Rule{{Name: "terminal", Flow: "vr_cross_terminal", Factors: 1, Required: []Method{MethodTrustedTerminal}}}, Default: Rule{Factors: 1}}
	_, e := hbNewRig(t, p, ExternalMethods(MethodTrustedTerminal))
	if v, ok := e.Verifier(MethodSMS); !ok || v.Method() != MethodSMS {
		t.Fatal("Verifier(sms)")
	}
	if _, ok := e.Verifier(MethodTrustedTerminal); ok {
		t.Fatal("an external method has a verifier")
	}
	if err := e.Check(ctx, hbAlice, Proof{Method: MethodPassword, Secret: "135790"}); err != nil {
		t.Fatal(err)
	}
	hbIsMsg(t, e.Check(ctx, hbAlice, Proof{Method: MethodTrustedTerminal}), ErrUnsupported, "verified by its flow")
	hbIsMsg(t, e.Check(ctx, hbAlice, Proof{Method: MethodCertificate}), ErrUnsupported, "no verifier")
	_, err := e.Challenge(ctx, hbAlice, MethodSMS)
	hbIsMsg(t, err, ErrUnsupported, "no server challenge")
	_, err = e.Challenge(ctx, hbAlice, MethodCertificate)
	hbIs(t, err, ErrUnsupported)
	_, err = e.Challenge(ctx, hbAlice, MethodBiometric)
	hbIs(t, err, ErrNotSetUp)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := e.Check(cctx, hbAlice, Proof{Method: MethodPassword, Secret: "135790"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled check: %v", err)
	}

	// The cross-terminal flow: the caller verifies the trusted terminal
	// itself and asks the engine whether that, with the PIN, is enough.
	cross := Payment{Amount: hbCNY(50_00), Flow: "vr_cross_terminal"}
	hbIsMsg(t, e.Satisfied(cross, []Method{MethodPassword}), ErrInsufficient, "needs trusted_terminal")
	if err := e.Satisfied(cross, []Method{MethodTrustedTerminal}); err != nil {
		t.Fatalf("trusted terminal (possession) alone: %v", err)
	}
	hbIs(t, e.Satisfied(Payment{Amount: hbCNY(1), Risk: 101}, []Method{MethodPassword}), pay.ErrInvalidRequest)
	_, err = e.Verify(ctx, hbAlice, cross, []Proof{{Method: MethodTrustedTerminal}})
	hbIs(t, err, ErrUnsupported)
}

func TestNewEngineRefuses(t *testing.T) {
	pin := &hbPIN{}
	otps, _ := NewOTPs(NewOutbox())
	loc, _ := NewLocationVerifier()
	one := Policy{Default: Rule{Factors: 1}}
	for name, tc := range map[string]struct {
		p    Policy
		vs   []Verifier
		opts []EngineOption
	}{
		"invalid policy":          {Policy{}, []Verifier{pin}, nil},
		"nil verifier":            {one, []Verifier{pin, nil}, nil},
		"two for one method":      {one, []Verifier{pin, &hbPIN{}}, nil},
		"method without verifier": {Policy{Default: Rule{Factors: 1, Methods: []Method{MethodBiometric}}}, []Verifier{pin}, nil},
		"required w/o verifier":   {Policy{Default: Rule{Factors: 1, Required: []Method{MethodLocation}}}, []Verifier{pin}, nil},
		"unreachable factors":     {Policy{Default: Rule{Factors: 2}}, []Verifier{pin, loc}, nil},
		"restricted factors":      {Policy{Default: Rule{Factors: 2, Methods: []Method{MethodPassword, MethodLocation}}}, []Verifier{pin, otps.Verifier("p"), loc}, nil},
		"external not built in":   {one, []Verifier{pin}, []EngineOption{ExternalMethods("retina")}},
		"external and verifier":   {one, []Verifier{pin}, []EngineOption{ExternalMethods(MethodPassword)}},
	} {
		if _, err := NewEngine(tc.p, tc.vs, tc.opts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Possession from an external method makes two factors reachable.
	if _, err := NewEngine(Policy{Default: Rule{Factors: 2}}, []Verifier{pin}, ExternalMethods(MethodTrustedTerminal)); err != nil {
		t.Fatal(err)
	}
}

// 64 concurrent Verify calls presenting the same SMS code and PIN: exactly
// one payment is confirmed.
func TestEngineConcurrentVerify(t *testing.T) {
	ctx := context.Background()
	rig, e := hbNewRig(t, hbTwoFactor)
	ch, _ := rig.otps.Send(ctx, hbAlice, "payment", hbPhone)
	proofs := []Proof{{Method: MethodSMS, ChallengeID: ch.ID, Secret: hbCode(t, rig.box, hbPhone)}, {Method: MethodPassword, Secret: "135790"}}
	big := Payment{Amount: hbCNY(2000_00)}
	var ok, replayed atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			_, err := e.Verify(ctx, hbAlice, big, proofs)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrReplayed):
				replayed.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != 63 {
		t.Fatalf("ok %d replayed %d; want 1, 63", ok.Load(), replayed.Load())
	}
	// The PIN was evaluated only for the call that got past the code.
	if n := rig.pin.calls.Load(); n != 1 {
		t.Fatalf("PIN evaluated %d times, want 1", n)
	}
}
