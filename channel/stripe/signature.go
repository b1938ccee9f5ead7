package stripe

import (
	"errors"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// SignatureHeader is the header Stripe signs webhook deliveries with:
//
//	Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…][,v0=…]
//
// Stripe adds one v1 per active endpoint secret while a secret is being
// rolled; v0 (a test-mode legacy scheme) and unknown schemes are ignored.
// This is paykit's own webhook signature scheme (pay.SignatureHeader) under
// another header name, so pay.SignWebhook and pay.VerifyWebhook do the
// work: the header must be what Stripe sends — no spaces around items,
// lower-case keys and lower-case hex — at most 4 KiB with at most 16 v1.
const SignatureHeader = "Stripe-Signature"

func headerMalformed(format string, args ...any) error {
	return channel.Errorf(channel.ErrMalformed, SignatureHeader, format, args...)
}

// verifySignature checks header against body with pay.VerifyWebhook: some
// v1 must equal the HMAC under some secret (every pair is compared, in
// constant time), and then the signed time must be within tolerance of now
// in either direction. Its failures map onto the channel sentinels:
// ErrMalformed (header), ErrBadSignature (no match), ErrStale (too old or
// too far in the future). The signature is checked first, so ErrStale means
// "authentic but out of the window" and tells a forger nothing. No error
// carries the header, a secret or an expected signature.
func verifySignature(header string, body []byte, now time.Time, tolerance time.Duration, secrets []string) (time.Time, error) {
	signed, err := pay.VerifyWebhook(header, body, now, tolerance, secrets...)
	var pe *pay.Error
	switch {
	case err == nil:
		return signed, nil
	case errors.Is(err, pay.ErrWebhookTooOld) && signed.After(now):
		return signed, channel.Errorf(channel.ErrStale, SignatureHeader, "webhook is signed more than %s in the future", tolerance)
	case errors.Is(err, pay.ErrWebhookTooOld):
		return signed, channel.Errorf(channel.ErrStale, SignatureHeader, "webhook was signed more than %s ago", tolerance)
	case errors.Is(err, pay.ErrWebhookSignature):
		return time.Time{}, channel.Errorf(channel.ErrBadSignature, SignatureHeader, "no %s v1 signature matches the body under any configured secret", SignatureHeader)
	case errors.Is(err, pay.ErrWebhookMalformed) && errors.As(err, &pe):
		// pay's reason names its own header and never quotes header content.
		return time.Time{}, headerMalformed("%s", strings.ReplaceAll(pe.Message, pay.SignatureHeader, SignatureHeader))
	}
	// An empty secret or a non-positive tolerance, which New refuses.
	return time.Time{}, channel.Errorf(channel.ErrUnavailable, "", "webhook verification is misconfigured")
}

// SignWebhook returns a Stripe-Signature value for body sent at t, with one
// v1 per secret: what Stripe sends, for tests of a webhook endpoint and for
// local fakes. Secrets must be 1 to 16 whsec_ signing secrets; t must be
// between 1970 and 9999.
func SignWebhook(body []byte, t time.Time, secrets ...string) (string, error) {
	if err := checkWebhookSecrets("SignWebhook", "secrets", secrets); err != nil {
		return "", err
	}
	h, err := pay.SignWebhook(body, t, secrets...)
	if err != nil {
		// The secrets passed the stricter check above, so t is out of range.
		return "", optErr("t", "SignWebhook: t must be between 1970 and 9999")
	}
	return h, nil
}
