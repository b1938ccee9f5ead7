// Package verify holds paykit's verification methods (system D's list) and
// the policy that decides which of them a payment needs. Every flow that
// confirms a payment uses it: the VR headset (vrauth's password and
// cross-terminal flows are policies over these verifiers, not separate code
// paths), merchant POS, stored-value cards in QR codes, and payments carried
// by instant messages.
//
// # Methods
//
// A Verifier checks one Method's Proof for a Subject (a user, and the device
// presenting the proof). The methods, and the factor category each gives:
//
//   - password (knowledge): the payment password, Argon2id with lockout.
//   - security_question (knowledge): an answer to a preset question.
//   - sms_otp (possession): a 6-digit code sent by SMS (OTPs, SMSVerifier),
//     stored only as an HMAC, single use, at most 5 wrong attempts, resend
//     throttled.
//   - biometric (inherence): the phone's local biometric match, attested
//     WebAuthn-style by the device key's signature over a server challenge
//     (BiometricVerifier). No raw biometric ever reaches the server: a Proof
//     has no field for one.
//   - device_presence (possession): a challenge signed by the bound
//     service-providing device, a SIM, SD, USB or eSIM secure element
//     (PresenceVerifier).
//   - certificate (possession): an X.509 client certificate chaining to a
//     configured root, within validity, not revoked, bound to the user, with
//     proof of possession of its key (CertificateVerifier).
//   - location (context): the device's fresh reported position inside a
//     place's radius or a region's polygon (LocationVerifier).
//   - attributes (context): rules on user attributes such as age or
//     membership (AttributeVerifier).
//   - trusted_terminal (possession): approval on the user's phone or PC;
//     vrauth verifies it and tells the Engine (ExternalMethods).
//
// Device keys (biometric and presence) live in a DeviceKeys registry.
// Challenge-answering methods draw single-use challenges from Challenges:
// each challenge answers once, within its lifetime, for the subject and
// method it was issued to; a second answer is ErrReplayed.
//
// # Policy
//
// A Policy maps a Payment (amount, channel, risk score, flow) to a
// Requirement: how many distinct factors among knowledge, possession and
// inherence, from which methods, and which methods must pass whatever the
// count (a location or attribute rule, say). Context methods can be
// required but never count as a factor, and two methods of one category
// count once. Rules are checked in order and the first that matches
// applies, so list stricter rules first; the Default applies when none
// matches.
//
// The Engine holds the policy and one Verifier per method. Engine.Verify
// checks a payment's proofs and its requirement and returns the Result a
// flow records with the payment: the rule that applied and the methods
// that passed.
//
// # Errors
//
// Every failure is a *pay.Error matching one of this package's sentinels
// (ErrFailed, ErrLocked, ErrExpired, ErrReplayed, ErrInsufficient,
// ErrUnsupported, ErrNotSetUp, ErrThrottled) or pay.ErrInvalidRequest for
// malformed input, so it keeps its meaning over HTTP. Messages name the
// method or rule at fault and never contain a password, code, answer, key
// or the user's attribute values.
package verify
