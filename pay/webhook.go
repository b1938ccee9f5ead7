package pay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the HTTP header that carries a webhook's signature:
//
//	Paykit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=…]
//
// Binding the timestamp into the MAC lets a receiver refuse old captures
// (replays) without trusting any unsigned field. The sender adds one v1 per
// active secret while a secret is being rolled; receivers ignore schemes they
// do not know (e.g. v0=), so new schemes can be introduced side by side.
const SignatureHeader = "Paykit-Signature"

// DefaultWebhookTolerance is how far a webhook's signed timestamp may be from
// the receiver's clock, in either direction, before it is refused. Five
// minutes absorbs ordinary clock skew and network delay while keeping the
// window in which a captured delivery could be replayed short.
const DefaultWebhookTolerance = 300 * time.Second

// Limits of the signature header, so that parsing an attacker's header costs
// a bounded amount of work.
const (
	webhookMaxHeaderLen  = 4 << 10 // bytes
	webhookMaxSignatures = 16      // v1 values
	// webhookMaxUnix is 9999-12-31T23:59:59Z: later timestamps are refused as
	// malformed, so time arithmetic cannot overflow.
	webhookMaxUnix = 253402300799
)

// Webhook failure causes, for errors.Is. VerifyWebhook (and WebhookHandler)
// return an *Error of kind ErrInvalidRequest or ErrUnauthorized that wraps
// one of these, so both
//
//	errors.Is(err, pay.ErrUnauthorized)
//	errors.Is(err, pay.ErrWebhookSignature)
//
// hold for a bad signature. None of them, nor any error of this package,
// carries a secret or an expected signature.
var (
	// ErrWebhookMalformed: the signature header cannot be parsed (missing or
	// repeated t, non-numeric t, no v1, a v1 that is not 64 lower-case hex
	// digits, too long, too many v1 values). Returned as ErrInvalidRequest.
	ErrWebhookMalformed = &Error{Code: "webhook_malformed", Message: "malformed webhook signature header", HTTPStatus: http.StatusBadRequest}
	// ErrWebhookTooOld: the signed timestamp is further from now than the
	// tolerance, in the past or in the future. Returned as ErrUnauthorized.
	ErrWebhookTooOld = &Error{Code: "webhook_too_old", Message: "webhook timestamp outside the tolerance window", HTTPStatus: http.StatusUnauthorized}
	// ErrWebhookSignature: no v1 value matches any of the secrets for this
	// body and timestamp. Returned as ErrUnauthorized.
	ErrWebhookSignature = &Error{Code: "webhook_signature", Message: "no webhook signature matches", HTTPStatus: http.StatusUnauthorized}
)

// SignWebhook returns the SignatureHeader value for body sent at t: the unix
// timestamp and one v1 signature per secret, in the order given. A sender
// rolling its secret signs with the old and the new one until every receiver
// knows the new one.
//
// It fails with ErrInvalidRequest when no secret, an empty secret or more
// than 16 secrets are given (a receiver would refuse the header), or when t
// is before 1970 or after year 9999.
func SignWebhook(body []byte, t time.Time, secrets ...string) (string, error) {
	if err := webhookCheckSecrets("secrets", secrets); err != nil {
		return "", err
	}
	if len(secrets) > webhookMaxSignatures {
		return "", Errorf(ErrInvalidRequest, "secrets", "at most %d webhook secrets may sign at once, got %d", webhookMaxSignatures, len(secrets))
	}
	ts := t.Unix()
	if ts < 0 || ts > webhookMaxUnix {
		return "", Errorf(ErrInvalidRequest, "t", "webhook timestamp must be between 1970 and 9999")
	}
	var b strings.Builder
	b.Grow(len("t=,") + 20 + len(secrets)*(len("v1=,")+2*sha256.Size))
	b.WriteString("t=")
	b.WriteString(strconv.FormatInt(ts, 10))
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(webhookMAC(s, ts, body)))
	}
	return b.String(), nil
}

// VerifyWebhook checks a SignatureHeader value against body and returns the
// signed timestamp. It accepts the delivery when the header parses, at least
// one of its v1 values is the HMAC of "<t>.<body>" under at least one of
// secrets (compared in constant time), and t is within tolerance of now in
// either direction. Several secrets let a receiver accept both the old and
// the new secret while rolling.
//
// Errors, all *Error:
//   - ErrInvalidRequest wrapping ErrWebhookMalformed: the header is empty,
//     longer than 4 KiB, has a missing, repeated, non-numeric or
//     non-canonical t, no v1, more than 16 v1 values, a v1 that is not 64
//     lower-case hex digits, or an item that is not key=value with a
//     lower-case alphanumeric key. Unknown keys (v0=…) are otherwise ignored.
//   - ErrUnauthorized wrapping ErrWebhookSignature: no v1 matches.
//   - ErrUnauthorized wrapping ErrWebhookTooOld: the signature matches but t
//     is too far from now. The signed timestamp is returned alongside, so
//     that the caller can log the clock skew; on every other error the
//     returned time is zero.
//   - ErrInvalidRequest: the caller passed no secret, an empty secret or a
//     non-positive tolerance (use DefaultWebhookTolerance).
//
// The signature is checked before the timestamp, so ErrWebhookTooOld always
// means "authentic but stale" and never reveals anything to a forger.
func VerifyWebhook(header string, body []byte, now time.Time, tolerance time.Duration, secrets ...string) (time.Time, error) {
	if err := webhookCheckSecrets("secrets", secrets); err != nil {
		return time.Time{}, err
	}
	if tolerance <= 0 {
		return time.Time{}, Errorf(ErrInvalidRequest, "tolerance", "webhook tolerance must be positive")
	}
	ts, sigs, err := webhookParseHeader(header)
	if err != nil {
		return time.Time{}, err
	}
	matched := false
	for _, s := range secrets {
		want := webhookMAC(s, ts, body)
		for _, got := range sigs {
			if hmac.Equal(want, got) {
				matched = true
			}
		}
	}
	if !matched {
		return time.Time{}, Errorf(ErrUnauthorized, SignatureHeader, "no webhook signature matches the body").Wrap(ErrWebhookSignature)
	}
	signed := time.Unix(ts, 0)
	if signed.After(now) {
		if signed.Sub(now) > tolerance {
			return signed, Errorf(ErrUnauthorized, SignatureHeader, "webhook timestamp is more than %s in the future", tolerance).Wrap(ErrWebhookTooOld)
		}
	} else if now.Sub(signed) > tolerance {
		return signed, Errorf(ErrUnauthorized, SignatureHeader, "webhook timestamp is more than %s old", tolerance).Wrap(ErrWebhookTooOld)
	}
	return signed, nil
}

// webhookMAC is HMAC-SHA256(secret, "<ts>.<body>").
func webhookMAC(secret string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	var buf [24]byte
	m.Write(strconv.AppendInt(buf[:0], ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

func webhookCheckSecrets(param string, secrets []string) error {
	if len(secrets) == 0 {
		return Errorf(ErrInvalidRequest, param, "at least one webhook secret is required")
	}
	for i, s := range secrets {
		if s == "" {
			return Errorf(ErrInvalidRequest, param, "webhook secret #%d is empty", i+1)
		}
	}
	return nil
}

func webhookMalformed(format string, args ...any) *Error {
	return Errorf(ErrInvalidRequest, SignatureHeader, format, args...).Wrap(ErrWebhookMalformed)
}

// webhookParseHeader parses "t=<ts>,v1=<hex>[,v1=<hex>…][,<key>=<value>…]".
// It never echoes header content into its errors.
func webhookParseHeader(header string) (ts int64, sigs [][]byte, err error) {
	if header == "" {
		return 0, nil, webhookMalformed("%s header is missing or empty", SignatureHeader)
	}
	if len(header) > webhookMaxHeaderLen {
		return 0, nil, webhookMalformed("%s header is longer than %d bytes", SignatureHeader, webhookMaxHeaderLen)
	}
	haveT := false
	for item := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(item, "=")
		if !ok || !webhookValidKey(key) {
			return 0, nil, webhookMalformed("%s header items must be key=value with a lower-case alphanumeric key", SignatureHeader)
		}
		switch key {
		case "t":
			if haveT {
				return 0, nil, webhookMalformed("%s header has more than one t", SignatureHeader)
			}
			haveT = true
			if ts, ok = webhookParseUnix(value); !ok {
				return 0, nil, webhookMalformed("%s header t is not a canonical unix time in seconds", SignatureHeader)
			}
		case "v1":
			if len(sigs) == webhookMaxSignatures {
				return 0, nil, webhookMalformed("%s header has more than %d v1 signatures", SignatureHeader, webhookMaxSignatures)
			}
			sig, ok := webhookParseHex(value)
			if !ok {
				return 0, nil, webhookMalformed("%s header v1 is not %d lower-case hex digits", SignatureHeader, 2*sha256.Size)
			}
			sigs = append(sigs, sig)
		default:
			// An unknown scheme: ignored, so senders can add schemes.
		}
	}
	if !haveT {
		return 0, nil, webhookMalformed("%s header has no t timestamp", SignatureHeader)
	}
	if len(sigs) == 0 {
		return 0, nil, webhookMalformed("%s header has no v1 signature", SignatureHeader)
	}
	return ts, sigs, nil
}

func webhookValidKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// webhookParseUnix accepts only canonical decimal: digits, no sign, no
// leading zero (so one timestamp has one spelling), at most webhookMaxUnix.
func webhookParseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if n > webhookMaxUnix {
		return 0, false
	}
	return n, true
}

// webhookParseHex decodes exactly 64 lower-case hex digits.
func webhookParseHex(s string) ([]byte, bool) {
	if len(s) != 2*sha256.Size {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return nil, false
		}
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// Event is the body of every paykit webhook: what happened (Type, e.g.
// "payment.succeeded"), when (Created, unix seconds), the object concerned
// (Data, raw JSON so each receiver decodes only the types it cares about),
// and a unique ID that receivers use to drop duplicate deliveries.
type Event struct {
	// ID is unique per event and stays the same across redeliveries, e.g.
	// "evt_…" from NewID(PrefixEvent).
	ID string `json:"id"`
	// Type names what happened, e.g. "payment.succeeded" or "bill.paid".
	Type string `json:"type"`
	// Created is when the event happened, in unix seconds.
	Created int64 `json:"created"`
	// Data is the JSON object the event is about.
	Data json.RawMessage `json:"data"`
}

// NewEvent returns an event of type typ, created at created, with a fresh ID
// from NewID(PrefixEvent) and data marshalled as JSON (a json.RawMessage is
// used as is, after validation). It fails with ErrInvalidRequest when typ is
// empty or data cannot be marshalled.
func NewEvent(typ string, created time.Time, data any) (Event, error) {
	if typ == "" {
		return Event{}, Errorf(ErrInvalidRequest, "type", "event type is required")
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, Errorf(ErrInvalidRequest, "data", "event data cannot be marshalled as JSON").Wrap(err)
	}
	return Event{ID: NewID(PrefixEvent), Type: typ, Created: created.Unix(), Data: raw}, nil
}

// Payload returns the JSON body a sender signs and posts for e. It fails
// with ErrInvalidRequest when e would be refused by a WebhookHandler: an ID
// that is not an event ID made by NewID(PrefixEvent), an empty Type, or Data
// that is not valid JSON.
func (e Event) Payload() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, Errorf(ErrInvalidRequest, "data", "event data is not valid JSON").Wrap(err)
	}
	return b, nil
}

func (e Event) validate() error {
	if !ValidID(e.ID, PrefixEvent) {
		return Errorf(ErrInvalidRequest, "id", "event id must look like %s_<lower-case alphanumerics>", PrefixEvent)
	}
	if e.Type == "" {
		return Errorf(ErrInvalidRequest, "type", "event type is required")
	}
	return nil
}

// SignedWebhookRequest builds the POST a sender makes to deliver e to url: the
// JSON body from e.Payload, Content-Type application/json and a
// SignatureHeader signed at t with every secret (see SignWebhook). Sign each
// delivery attempt afresh with the current time, so that redeliveries stay
// inside the receiver's tolerance window. The request's body can be re-read
// (GetBody is set) for redirects.
func SignedWebhookRequest(ctx context.Context, url string, e Event, t time.Time, secrets ...string) (*http.Request, error) {
	body, err := e.Payload()
	if err != nil {
		return nil, err
	}
	sig, err := SignWebhook(body, t, secrets...)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, Errorf(ErrInvalidRequest, "url", "cannot build webhook request").Wrap(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, sig)
	return req, nil
}
