package wechatpay

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/paykit-go/paykit/channel"
)

// Headers WeChat Pay signs its answers and callbacks with.
const (
	headerSerial    = "Wechatpay-Serial"
	headerSignature = "Wechatpay-Signature"
	headerTimestamp = "Wechatpay-Timestamp"
	headerNonce     = "Wechatpay-Nonce"
	headerRequestID = "Request-ID"
)

// maxUnix is 9999-12-31T23:59:59Z; later timestamps are malformed, so time
// arithmetic cannot overflow.
const maxUnix = 253402300799

// SignedHeaders are the four Wechatpay-* headers of a signed answer or
// callback.
type SignedHeaders struct {
	Serial    string // Wechatpay-Serial: the platform key that signed
	Signature string // Wechatpay-Signature: base64 RSA-SHA256 signature
	Timestamp string // Wechatpay-Timestamp: unix seconds
	Nonce     string // Wechatpay-Nonce
}

// ReadSignedHeaders extracts and checks the Wechatpay-* headers: each present
// once, the serial 1-64 of [A-Za-z0-9_], the timestamp canonical unix seconds
// and the nonce 1-64 printable characters. Errors are ErrBadSignature (a
// message without a usable signature cannot be trusted) and never echo
// header values.
func ReadSignedHeaders(h http.Header) (SignedHeaders, error) {
	one := func(name string) (string, error) {
		v := h.Values(name)
		if len(v) != 1 || v[0] == "" {
			return "", channel.Errorf(channel.ErrBadSignature, name, "wechatpay: %s must be present exactly once", name)
		}
		return v[0], nil
	}
	var s SignedHeaders
	var err error
	if s.Serial, err = one(headerSerial); err != nil {
		return s, err
	}
	if s.Signature, err = one(headerSignature); err != nil {
		return s, err
	}
	if s.Timestamp, err = one(headerTimestamp); err != nil {
		return s, err
	}
	if s.Nonce, err = one(headerNonce); err != nil {
		return s, err
	}
	if !validSerial(s.Serial) {
		return s, channel.Errorf(channel.ErrBadSignature, headerSerial, "wechatpay: %s is not a certificate serial or public key ID", headerSerial)
	}
	if _, ok := parseUnix(s.Timestamp); !ok {
		return s, channel.Errorf(channel.ErrBadSignature, headerTimestamp, "wechatpay: %s is not canonical unix seconds", headerTimestamp)
	}
	if len(s.Nonce) > 64 || !plainValue(s.Nonce) {
		return s, channel.Errorf(channel.ErrBadSignature, headerNonce, "wechatpay: %s must be 1-64 printable characters", headerNonce)
	}
	return s, nil
}

// Message returns the bytes WeChat Pay signed: timestamp\nnonce\nbody\n.
func (s SignedHeaders) Message(body []byte) []byte {
	return signedMessage(s.Timestamp, s.Nonce, string(body))
}

// parseUnix parses canonical non-negative unix seconds (no sign, no leading
// zero) up to year 9999.
func parseUnix(s string) (int64, bool) {
	if !allDigits(s) || len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxUnix {
		return 0, false
	}
	return n, true
}

// verifySigned checks a signed answer or callback: the headers parse, the
// serial names a trusted key (refreshing certificates once, rate-limited, if
// it does not), the signature verifies, and only then that the timestamp is
// within the tolerance, so ErrStale always means "authentic but old" and
// tells a forger nothing.
func (c *Channel) verifySigned(ctx context.Context, h http.Header, body []byte) error {
	s, err := ReadSignedHeaders(h)
	if err != nil {
		return err
	}
	c.refreshIfDue(ctx)
	if !c.verifier.Has(s.Serial) {
		c.refreshForSerial(ctx, s.Serial)
	}
	if err := c.verifier.Verify(s.Serial, s.Message(body), s.Signature); err != nil {
		return err
	}
	return c.checkFresh(s.Timestamp)
}

// checkFresh answers ErrStale when ts is more than the tolerance away from
// the clock, either way.
func (c *Channel) checkFresh(ts string) error {
	n, _ := parseUnix(ts)
	skew := c.clock.Now().Sub(time.Unix(n, 0))
	if skew > c.tolerance || skew < -c.tolerance {
		return channel.Errorf(channel.ErrStale, headerTimestamp, "wechatpay: signed timestamp is %v away from now, more than the %v tolerance", skew.Round(time.Second), c.tolerance)
	}
	return nil
}
