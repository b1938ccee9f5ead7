package stripe

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/pay"
)

// invalidf reports a request this channel cannot send as asked (bad ID, an
// amount Stripe cannot represent): nothing reached Stripe.
func invalidf(param, format string, args ...any) error {
	return channel.Errorf(channel.ErrUnsupported, param, format, args...)
}

// malformedf reports a Stripe answer or callback that does not have the
// shape this package expects.
func malformedf(format string, args ...any) error {
	return channel.Errorf(channel.ErrMalformed, "", format, args...)
}

// apiError is Stripe's error object:
//
//	{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline",
//	          "message":"Your card was declined.","param":"","payment_intent":{…}}}
type apiError struct {
	Type          string         `json:"type"`
	Code          string         `json:"code"`
	DeclineCode   string         `json:"decline_code"`
	Message       string         `json:"message"`
	Param         string         `json:"param"`
	PaymentIntent *paymentIntent `json:"payment_intent"`
}

// errorFor maps a non-2xx Stripe answer onto the channel error contract and
// returns the parsed error object, when there is one, so a caller can read
// the PaymentIntent a decline carries.
//
//   - 401 (bad key) and 403 (restricted key lacks a permission): an
//     unauthorized / forbidden pay error that also matches
//     channel.ErrUnavailable, since Stripe refused before acting.
//   - card_error (HTTP 402): channel.ErrDeclined with Stripe's customer-safe
//     message.
//   - idempotency_error: 400 (the key was used with other parameters) is
//     channel.ErrDuplicate (a conflict); 409 (a request with the same key is
//     still running) is channel.ErrOutcomeUnknown.
//   - 404 / resource_missing: channel.ErrUnknownCharge.
//   - any other 4xx: channel.ErrDeclined (Stripe answered and refused).
//   - 501: channel.ErrUnavailable; anything else: channel.ErrOutcomeUnknown.
//
// 429 and other 5xx never get here: httpx retried them.
func (c *Channel) errorFor(op string, r httpx.Response) (*apiError, error) {
	switch r.Status {
	case http.StatusUnauthorized:
		return nil, pay.Errorf(pay.ErrUnauthorized, "api_key", "%s: Stripe rejected the API key (401)", op).Wrap(channel.ErrUnavailable)
	case http.StatusForbidden:
		return nil, pay.Errorf(pay.ErrForbidden, "api_key", "%s: the API key may not make this request (403)", op).Wrap(channel.ErrUnavailable)
	}
	var body struct {
		Error *apiError `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Error == nil {
		if r.Status == http.StatusNotImplemented {
			return nil, channel.Errorf(channel.ErrUnavailable, "", "%s: Stripe answered HTTP 501", op)
		}
		return nil, malformedf("%s: Stripe answered HTTP %d without a Stripe error object", op, r.Status)
	}
	ae := body.Error
	msg := c.safe(ae.Message)
	param := c.safe(ae.Param)
	switch {
	case ae.Type == "card_error" || r.Status == http.StatusPaymentRequired:
		if msg == "" {
			msg = "the card was declined"
		}
		return ae, channel.Errorf(channel.ErrDeclined, param, "stripe declined: %s", msg)
	case ae.Type == "idempotency_error" && r.Status == http.StatusConflict:
		return ae, channel.Errorf(channel.ErrOutcomeUnknown, "", "%s: another request with the same Idempotency-Key is in progress at Stripe", op)
	case ae.Type == "idempotency_error":
		return ae, channel.Errorf(channel.ErrDuplicate, param, "%s: the Idempotency-Key was already used with different parameters: %s", op, msg)
	case r.Status == http.StatusNotFound || ae.Code == "resource_missing":
		return ae, channel.Errorf(channel.ErrUnknownCharge, param, "%s: Stripe has no such object: %s", op, msg)
	case r.Status >= 400 && r.Status < 500:
		return ae, channel.Errorf(channel.ErrDeclined, param, "%s: Stripe refused the request (%s %s): %s", op, c.safe(ae.Type), c.safe(ae.Code), msg)
	case r.Status == http.StatusNotImplemented:
		return ae, channel.Errorf(channel.ErrUnavailable, param, "%s: Stripe answered HTTP 501: %s", op, msg)
	}
	return ae, channel.Errorf(channel.ErrOutcomeUnknown, param, "%s: Stripe answered HTTP %d: %s", op, r.Status, msg)
}

// secretPattern matches anything shaped like a Stripe credential: API keys,
// webhook secrets and client secrets.
var secretPattern = regexp.MustCompile(`\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9*]+|\bwhsec_[A-Za-z0-9+/=]+|_secret_[A-Za-z0-9]+`)

// maxText bounds provider text copied into errors and events.
const maxText = 200

// safe makes provider text fit for an error message or a payer-facing
// reason: credentials removed, control characters dropped, valid UTF-8,
// at most maxText bytes.
func (c *Channel) safe(s string) string {
	if s == "" {
		return ""
	}
	if c != nil && c.key != "" {
		s = strings.ReplaceAll(s, c.key, "[redacted]")
	}
	s = secretPattern.ReplaceAllString(s, "[redacted]")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) > maxText {
		s = truncate(s, maxText) + "…"
	}
	return s
}
