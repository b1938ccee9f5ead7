package stripe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
)

// SignatureHeader is the header Stripe signs webhook deliveries with:
//
//	Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…][,v0=…]
//
// Stripe adds one v1 per active endpoint secret while a secret is being
// rolled; v0 (a test-mode legacy scheme) and unknown schemes are ignored.
const SignatureHeader = "Stripe-Signature"

// Bounds on the signature header, so parsing an attacker's header costs a
// bounded amount of work.
const (
	maxSignatureHeader = 4 << 10
	maxSignatures      = 16
	maxUnix            = 253402300799 // 9999-12-31T23:59:59Z
)

// signature is a parsed Stripe-Signature header.
type signature struct {
	t  int64
	ts string // t exactly as sent, which is what was signed
	v1 [][sha256.Size]byte
}

func headerMalformed(format string, args ...any) error {
	return channel.Errorf(channel.ErrMalformed, SignatureHeader, format, args...)
}

// parseSignature parses a Stripe-Signature value. It refuses (ErrMalformed)
// an empty or over-long header, an item that is not key=value, a missing,
// repeated or non-canonical t, a v1 that is not 64 hex digits, no v1, and
// more than 16 v1 values. It never echoes header content in errors.
func parseSignature(h string) (signature, error) {
	var sig signature
	if h == "" {
		return sig, headerMalformed("%s header is missing", SignatureHeader)
	}
	if len(h) > maxSignatureHeader {
		return sig, headerMalformed("%s header is longer than %d bytes", SignatureHeader, maxSignatureHeader)
	}
	haveT := false
	for item := range strings.SplitSeq(h, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || key == "" {
			return sig, headerMalformed("%s header items must be key=value", SignatureHeader)
		}
		switch key {
		case "t":
			if haveT {
				return sig, headerMalformed("%s header has more than one t", SignatureHeader)
			}
			haveT = true
			t, ok := parseUnix(value)
			if !ok {
				return sig, headerMalformed("%s header t is not a canonical unix time", SignatureHeader)
			}
			sig.t, sig.ts = t, value
		case "v1":
			if len(sig.v1) == maxSignatures {
				return sig, headerMalformed("%s header has more than %d v1 signatures", SignatureHeader, maxSignatures)
			}
			var mac [sha256.Size]byte
			if len(value) != 2*sha256.Size {
				return sig, headerMalformed("%s header v1 is not %d hex digits", SignatureHeader, 2*sha256.Size)
			}
			if _, err := hex.Decode(mac[:], []byte(value)); err != nil {
				return sig, headerMalformed("%s header v1 is not %d hex digits", SignatureHeader, 2*sha256.Size)
			}
			sig.v1 = append(sig.v1, mac)
		default:
			// v0 and unknown schemes: ignored, so Stripe can add schemes.
		}
	}
	if !haveT {
		return sig, headerMalformed("%s header has no t timestamp", SignatureHeader)
	}
	if len(sig.v1) == 0 {
		return sig, headerMalformed("%s header has no v1 signature", SignatureHeader)
	}
	return sig, nil
}

// parseUnix accepts canonical decimal seconds: digits, no sign, no leading
// zero, at most maxUnix, so one timestamp has exactly one spelling.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxUnix {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	return n, true
}

// webhookMAC is HMAC-SHA256(secret, "<t>.<body>").
func webhookMAC(secret []byte, ts string, body []byte) [sha256.Size]byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

// verifySignature checks header against body: some v1 must equal the HMAC
// under some secret (every pair is compared, in constant time), and then
// the signed time must be within tolerance of now in either direction.
// Errors: ErrMalformed (header), ErrBadSignature (no match), ErrStale.
// The signature is checked first, so ErrStale means "authentic but old"
// and tells a forger nothing.
func verifySignature(header string, body []byte, now time.Time, tolerance time.Duration, secrets [][]byte) (time.Time, error) {
	sig, err := parseSignature(header)
	if err != nil {
		return time.Time{}, err
	}
	matched := 0
	for _, s := range secrets {
		want := webhookMAC(s, sig.ts, body)
		for i := range sig.v1 {
			matched |= subtleEqual(want[:], sig.v1[i][:])
		}
	}
	if matched == 0 {
		return time.Time{}, channel.Errorf(channel.ErrBadSignature, SignatureHeader, "no %s v1 signature matches the body under any configured secret", SignatureHeader)
	}
	signed := time.Unix(sig.t, 0)
	if d := now.Sub(signed); d > tolerance {
		return signed, channel.Errorf(channel.ErrStale, SignatureHeader, "webhook was signed more than %s ago", tolerance)
	} else if -d > tolerance {
		return signed, channel.Errorf(channel.ErrStale, SignatureHeader, "webhook is signed more than %s in the future", tolerance)
	}
	return signed, nil
}

// subtleEqual is hmac.Equal as 0 or 1, so results can be OR-ed without a
// data-dependent branch.
func subtleEqual(a, b []byte) int {
	if hmac.Equal(a, b) {
		return 1
	}
	return 0
}

// SignWebhook returns a Stripe-Signature value for body sent at t, with one
// v1 per secret: what Stripe sends, for tests of a webhook endpoint and for
// local fakes. Secrets must be whsec_ signing secrets; t must be between
// 1970 and 9999.
func SignWebhook(body []byte, t time.Time, secrets ...string) (string, error) {
	if len(secrets) == 0 || len(secrets) > maxSignatures {
		return "", optErr("secrets", "SignWebhook: need 1 to %d secrets", maxSignatures)
	}
	ts := t.Unix()
	if ts < 0 || ts > maxUnix {
		return "", optErr("t", "SignWebhook: t must be between 1970 and 9999")
	}
	tstr := strconv.FormatInt(ts, 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(tstr)
	for i, s := range secrets {
		if !strings.HasPrefix(s, "whsec_") || len(s) <= len("whsec_") {
			return "", optErr("secrets", "SignWebhook: secret #%d is not a whsec_ signing secret", i+1)
		}
		mac := webhookMAC([]byte(s), tstr, body)
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac[:]))
	}
	return b.String(), nil
}
