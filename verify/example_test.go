package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// A policy picks each payment's requirement; the engine checks the proofs
// against it and returns what the flow records with the payment. Here a
// 2,000 CNY payment needs two factors: a biometric match alone is refused
// (without spending its challenge), a biometric match and an SMS code pass.
func ExampleEngine() {
	ctx := context.Background()
	policy := verify.Policy{
		Rules: []verify.Rule{ // the first matching rule applies: stricter first
			{Name: "risky", MinRisk: 80, Factors: 2, Required: []verify.Method{verify.MethodLocation}},
			{Name: "large", Currency: "CNY", MinAmount: 1000_00, Factors: 2},
		},
		Default: verify.Rule{Name: "standard", Factors: 1},
	}
	keys := verify.NewDeviceKeys()
	challenges := verify.NewChallenges(nil, 0) // system clock, 2-minute challenges
	biometric, _ := verify.NewBiometricVerifier("pay.example.com", keys, challenges)
	outbox := verify.NewOutbox() // an SMS gateway in production
	otps, _ := verify.NewOTPs(outbox)
	location, _ := verify.NewLocationVerifier(verify.WithPlaces(verify.Place{Name: "store", Lat: 31.2304, Lon: 121.4737, RadiusMeters: 300}))
	engine, err := verify.NewEngine(policy, []verify.Verifier{biometric, otps.Verifier("payment"), location})
	if err != nil {
		panic(err)
	}

	for _, pm := range []verify.Payment{
		{Amount: pay.Money{Amount: 25_00, Currency: "CNY"}},
		{Amount: pay.Money{Amount: 2000_00, Currency: "CNY"}, Channel: "alipay"},
		{Amount: pay.Money{Amount: 25_00, Currency: "CNY"}, Risk: 85},
	} {
		req := engine.Requirement(pm)
		fmt.Println(req.Rule, req.Factors, req.Required)
	}

	// Alice's phone enrolled its biometric-gated key.
	alice := verify.Subject{UserID: "alice", DeviceID: "phone-1"}
	phoneKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err := keys.Register(ctx, alice, verify.KeyBiometric, phoneKey.Public()); err != nil {
		panic(err)
	}
	ch, _ := engine.Challenge(ctx, alice, verify.MethodBiometric)
	bio, _ := verify.SignBiometric(phoneKey, "pay.example.com", ch, alice, 1, true) // on the phone, after a fingerprint match

	large := verify.Payment{Amount: pay.Money{Amount: 2000_00, Currency: "CNY"}, Channel: "alipay"}
	_, err = engine.Verify(ctx, alice, large, []verify.Proof{bio})
	fmt.Println(err)

	sent, _ := otps.Send(ctx, alice, "payment", "+8613800138000")
	msg, _ := outbox.Last("+8613800138000")
	code := strings.Fields(msg.Body)[2] // the user reads it off the SMS
	res, err := engine.Verify(ctx, alice, large, []verify.Proof{bio, {Method: verify.MethodSMS, ChallengeID: sent.ID, Secret: code}})
	fmt.Println(res, err)
	// Output:
	// standard 1 []
	// large 2 []
	// risky 2 [location]
	// paykit: verification_insufficient: rule large needs 2 factors from knowledge, possession, inherence; has 1 (inherence) (param proofs)
	// {large [biometric sms_otp]} <nil>
}

// A phone proves a local biometric match by signing the server's challenge
// with its biometric-gated key. The challenge answers once, and an
// assertion without the user-verified flag (mere presence) is refused.
func ExampleBiometricVerifier() {
	ctx := context.Background()
	keys := verify.NewDeviceKeys()
	v, _ := verify.NewBiometricVerifier("pay.example.com", keys, verify.NewChallenges(nil, 0))
	alice := verify.Subject{UserID: "alice", DeviceID: "phone-1"}
	phoneKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_ = keys.Register(ctx, alice, verify.KeyBiometric, phoneKey.Public())

	ch, _ := v.Challenge(ctx, alice)
	proof, _ := verify.SignBiometric(phoneKey, "pay.example.com", ch, alice, 41, true)
	fmt.Println(v.Verify(ctx, alice, proof))
	fmt.Println(v.Verify(ctx, alice, proof))

	ch, _ = v.Challenge(ctx, alice)
	proof, _ = verify.SignBiometric(phoneKey, "pay.example.com", ch, alice, 42, false)
	fmt.Println(v.Verify(ctx, alice, proof))
	// Output:
	// <nil>
	// paykit: verification_replayed: biometric challenge was already answered (param challenge_id)
	// paykit: verification_failed: biometric assertion without user verification (param authenticator_data)
}

// An SMS one-time code: sent through a Sender (here the in-memory Outbox),
// checked once, with a count of the attempts left after a wrong one.
func ExampleOTPs() {
	ctx := context.Background()
	outbox := verify.NewOutbox()
	otps, _ := verify.NewOTPs(outbox)
	alice := verify.Subject{UserID: "alice"}

	ch, _ := otps.Send(ctx, alice, "enrollment", "+8613800138000")
	msg, _ := outbox.Last("+8613800138000")
	code := strings.Fields(msg.Body)[2]
	fmt.Println(strings.Replace(msg.Body, code, "······", 1))

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	fmt.Println(otps.Check(ctx, alice, "enrollment", ch.ID, wrong))
	fmt.Println(otps.Check(ctx, alice, "enrollment", ch.ID, code))
	fmt.Println(otps.Check(ctx, alice, "enrollment", ch.ID, code))
	_, err := otps.Send(ctx, alice, "enrollment", "+8613800138000")
	fmt.Println(err == nil)
	// Output:
	// paykit code ······ for enrollment, valid 10 minutes
	// paykit: verification_failed: wrong one-time code; 4 attempts left (param secret)
	// <nil>
	// paykit: verification_replayed: the one-time code was already used (param challenge_id)
	// true
}

// What a requirement says is missing.
func ExampleRequirement_Satisfied() {
	req := verify.Requirement{Rule: "large", Factors: 2, Required: []verify.Method{verify.MethodLocation}}
	fmt.Println(req.Satisfied([]verify.Method{verify.MethodPassword, verify.MethodSecurityQuestion}, nil))
	fmt.Println(req.Satisfied([]verify.Method{verify.MethodPassword, verify.MethodSMS}, nil))
	fmt.Println(req.Satisfied([]verify.Method{verify.MethodPassword, verify.MethodSMS, verify.MethodLocation}, nil))
	// Output:
	// paykit: verification_insufficient: rule large needs 2 factors from knowledge, possession, inherence; has 1 (knowledge); needs location (param proofs)
	// paykit: verification_insufficient: rule large needs location (param proofs)
	// <nil>
}
