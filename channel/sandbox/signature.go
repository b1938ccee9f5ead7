package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// SignatureHeader is the HTTP header that carries the signature of every
// sandbox request, response and callback, in paykit's webhook signature
// format (see pay.SignWebhook).
const SignatureHeader = "Sandbox-Signature"

// DefaultTolerance is how far a signed timestamp may be from the verifier's
// clock before the message is refused as stale: long enough for clock skew
// and slow networks, short enough to bound the replay window.
const DefaultTolerance = 300 * time.Second

// minSecretLen is the shortest secret either half accepts, so that the HMAC
// key cannot be guessed.
const minSecretLen = 16

// requestPayload is what a request's signature covers:
// METHOD "\n" request-target "\n" body.
func requestPayload(method, target string, body []byte) []byte {
	b := make([]byte, 0, len(method)+len(target)+len(body)+2)
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, target...)
	b = append(b, '\n')
	return append(b, body...)
}

// responsePayload is what a response's signature covers:
// "response\n" request-path "\n" body.
func responsePayload(path string, body []byte) []byte {
	b := make([]byte, 0, len("response\n")+len(path)+len(body)+1)
	b = append(b, "response\n"...)
	b = append(b, path...)
	b = append(b, '\n')
	return append(b, body...)
}

// requestTarget returns the request-target exactly as the client sent it
// (path and query), also when the provider is mounted under a prefix with
// http.StripPrefix.
func requestTarget(r *http.Request) string {
	t := r.RequestURI
	if t == "" {
		return r.URL.RequestURI()
	}
	if !strings.HasPrefix(t, "/") {
		// absolute-form, as sent to a proxy
		if u, err := url.Parse(t); err == nil {
			return u.RequestURI()
		}
	}
	return t
}

// targetPath strips the query from a request-target.
func targetPath(target string) string {
	p, _, _ := strings.Cut(target, "?")
	return p
}

// verifyError turns a pay.VerifyWebhook failure into the channel contract:
// an authentic but old (or future) signature is ErrStale, anything else
// (missing, malformed, forged) is ErrBadSignature. The message never carries
// the header, the secret or an expected signature.
func verifyError(what string, err error) error {
	if errors.Is(err, pay.ErrWebhookTooOld) {
		return channel.Errorf(channel.ErrStale, SignatureHeader, "%s signature is outside the freshness window", what)
	}
	return channel.Errorf(channel.ErrBadSignature, SignatureHeader, "%s signature is missing, malformed or does not match", what)
}

// validID reports whether id is a merchant-side ID every provider accepts:
// 6 to maxLen characters of [A-Za-z0-9_-].
func validID(id string, maxLen int) bool {
	if len(id) < 6 || len(id) > maxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Longest merchant-side IDs: charges follow channel.ChargeRequest's rule,
// refunds and agreements may be longer.
const (
	maxChargeIDLen = 32
	maxOtherIDLen  = 64
)

// Prefixes of the provider's own IDs.
const (
	prefixCharge       = "sbch"
	prefixRefund       = "sbrf"
	prefixAgreement    = "sbag"
	prefixEvent        = "sbevt"
	prefixClientSecret = "sbcs"
)
