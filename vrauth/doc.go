// Package vrauth is paykit's VR headset payments (system A): enrollment,
// trusted terminals, cross-terminal authorization, and proxy debit with a
// payment password — all confirmed through one verification policy
// (package verify).
//
// # Enrollment
//
// A user registers a name and an E.164 mobile number. The number is
// verified by a 6-digit SMS code (10 minutes, single use, 5 wrong
// attempts, resends throttled) or by an operator's manual review. The
// user's switch turns headset payments on or off, and each registered
// headset has its own switch. A headset pays only for an enrolled,
// verified, switched-on user on a registered, switched-on headset; a
// refusal names the missing condition (ErrNotEnrolled, ErrNotVerified,
// ErrPaymentsOff, ErrHeadsetOff).
//
// # Cross-terminal authorization
//
// The headset places an order (Checkout). The service binds an
// Authorization to it — merchant, items, amount, currency, channel — and
// sends an approval link to each of the user's trusted terminals. The
// headset gets a user code (8 letters of BCDFGHJKLMNPQRSTVWXZ, shown as
// XXXX-XXXX), the verification URL and a QR image of it, and a secret
// device code. The trusted terminal opens the link (or types the code on
// an activated terminal), sees the order on a plain HTML page, and
// approves: the chosen channel is charged through the aggregator in the
// web scenario and the browser goes to the channel's payment page. The
// channel's callback settles the payment; the service, a channel.Notifier,
// wakes the headset's long-poll (Wait) at once. Headsets that can't hold
// a request open poll as RFC 8628 §3.5 says (Poll: authorization_pending,
// slow_down adding 5 s, access_denied, expired_token).
//
// Limits are on by default: 5 wrong user-code entries per authorization,
// per-client rate limits on ordering and code entry, expiry checked
// before an approval takes effect, each authorization approved at most
// once (one charge however many approvals race) and its result delivered
// exactly once. The pages need no JavaScript, carry an anti-forgery token
// bound to a per-browser cookie, and show nothing about an order to anyone
// without its link (or its code on an activated trusted terminal).
//
// # Proxy debit
//
// The user signs a standing agreement inside a channel (WeChat Pay
// entrusted deduction, Alipay agreement payment, the sandbox equivalent)
// with per-payment and per-day limits that the service enforces, and
// presets a payment password (Argon2id, internal/passwd: locked for 15
// minutes after 5 consecutive failures, changed only with the old password
// or a fresh SMS code). A headset purchase in ModeProxyDebit then needs
// only the password: eligibility, agreement, limits and password are
// checked, and the agreement is debited. A channel's termination callback
// ends the agreement here too.
//
// # Policy
//
// Neither flow is a separate code path: each purchase asks the policy
// (DefaultPolicy, or WithPolicy) what it needs from its mode, amount,
// channel and risk, and every proof — the password, an SMS code, a
// biometric assertion, the trusted terminal's approval — is a verify
// method counted against that requirement. The methods that passed are
// recorded on the Authorization with its payment.
//
// Service is the engine, Routes and PageRoutes its HTTP contract, and
// Client what a VR app imports.
package vrauth
