package verify

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Method names one way of confirming a payment. The names travel in JSON
// and are recorded with each payment.
type Method string

// The verification methods of system D (and the trusted-terminal approval
// of cross-terminal VR payments, which vrauth implements).
const (
	MethodPassword         Method = "password"          // payment password (Argon2id, lockout)
	MethodSMS              Method = "sms_otp"           // 6-digit one-time code sent by SMS
	MethodBiometric        Method = "biometric"         // device-attested local biometric match
	MethodSecurityQuestion Method = "security_question" // answer to a preset question
	MethodAttributes       Method = "attributes"        // rules on user attributes (age, membership)
	MethodLocation         Method = "location"          // device position within a place or region
	MethodDevicePresence   Method = "device_presence"   // challenge signed by the bound SIM/SD/USB/eSIM key
	MethodCertificate      Method = "certificate"       // X.509 client certificate, proof of possession
	MethodTrustedTerminal  Method = "trusted_terminal"  // approval on the user's trusted terminal (vrauth)
)

// Factor is the category a method's evidence belongs to. A policy that asks
// for two factors asks for two different categories among knowledge,
// possession and inherence; context rules (attributes, location) can be
// required but never count as a factor.
type Factor string

// Factor categories.
const (
	FactorKnowledge  Factor = "knowledge"
	FactorPossession Factor = "possession"
	FactorInherence  Factor = "inherence"
	FactorContext    Factor = "context"
)

// Subject is who (and on which device) a proof is about.
type Subject struct {
	// UserID is the user the proof must belong to. Required.
	UserID string `json:"user_id"`
	// DeviceID is the device presenting the proof (a headset, a POS, a
	// phone), where the method binds to a device.
	DeviceID string `json:"device_id,omitempty"`
}

// Position is a device's reported location (WGS 84).
type Position struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
	// AccuracyMeters is the device's reported horizontal accuracy.
	AccuracyMeters float64 `json:"accuracy_m,omitempty"`
	// At is when the device measured the position.
	At time.Time `json:"at"`
}

// Proof is the evidence a client presents for one method. Only the fields
// the method uses are set. Secret (a password, a one-time code, an answer)
// is never logged or echoed: String and LogValue leave it out.
type Proof struct {
	Method Method `json:"method"`
	// Secret is the password, one-time code or security answer.
	Secret string `json:"secret,omitempty"`
	// QuestionID names the security question answered.
	QuestionID string `json:"question_id,omitempty"`
	// ChallengeID names the server challenge (or one-time code) answered.
	ChallengeID string `json:"challenge_id,omitempty"`
	// Signature is the device key's signature over the challenge.
	Signature []byte `json:"signature,omitempty"`
	// AuthenticatorData is what a biometric authenticator signed beside the
	// challenge: flags (user-verified bit) and a signature counter.
	AuthenticatorData []byte `json:"authenticator_data,omitempty"`
	// Position is the device's reported location.
	Position *Position `json:"position,omitempty"`
	// Certificates is a client certificate chain, DER, leaf first.
	Certificates [][]byte `json:"certificates,omitempty"`
}

// String describes the proof without its secret.
func (p Proof) String() string {
	s := "proof " + string(p.Method)
	if p.Secret != "" {
		s += " secret=[redacted]"
	}
	if p.ChallengeID != "" {
		s += " challenge=" + p.ChallengeID
	}
	return s
}

// LogValue keeps structured logs (slog) from printing the secret.
func (p Proof) LogValue() slog.Value { return slog.StringValue(p.String()) }

// GoString keeps %#v from printing the secret.
func (p Proof) GoString() string { return fmt.Sprintf("verify.Proof{%s}", p.String()) }

// Verifier checks one method's proof for a subject. Implementations are safe
// for concurrent use, consume single-use material (codes, challenges) on
// success and on failure alike, count failures against attempt limits, and
// return *pay.Error values matching this package's sentinels.
type Verifier interface {
	// Method is the method this verifier checks.
	Method() Method
	// Factor is the category of evidence the method gives.
	Factor() Factor
	// Verify returns nil when p proves the method for s.
	Verify(ctx context.Context, s Subject, p Proof) error
}

// Challenge is a single-use server challenge (or a sent one-time code): the
// client answers it by ID before it expires.
type Challenge struct {
	ID     string `json:"id"`
	Method Method `json:"method"`
	// Nonce is what the device signs (empty for a one-time code, whose
	// value went to the user out of band).
	Nonce     []byte    `json:"nonce,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Challenger is a Verifier whose proofs answer a server challenge
// (biometric, device presence, certificate possession).
type Challenger interface {
	Verifier
	// Challenge issues a fresh single-use challenge for s.
	Challenge(ctx context.Context, s Subject) (Challenge, error)
}
