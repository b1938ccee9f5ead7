package wechatpay

import (
	"strings"

	"github.com/paykit-go/paykit/channel"
)

// AuthScheme is the scheme of a WeChat Pay API v3 Authorization header.
const AuthScheme = "WECHATPAY2-SHA256-RSA2048"

// maxAuthorizationLen bounds the header ParseAuthorization reads.
const maxAuthorizationLen = 2048

// Authorization is the parsed Authorization header of a merchant's API v3
// request:
//
//	WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"
//
// where signature is base64(RSA-SHA256 of METHOD\nURL\ntimestamp\nnonce\nbody\n)
// by the merchant key whose certificate has serial serial_no. The channel
// builds one per attempt; ParseAuthorization is for the other side (a test
// double, a signing proxy) checking such a request.
type Authorization struct {
	MchID     string // mchid: the merchant number
	Nonce     string // nonce_str: random, fresh per request
	Signature string // signature: base64 RSA-SHA256 signature
	Timestamp string // timestamp: unix seconds
	SerialNo  string // serial_no: serial of the merchant API certificate
}

// String formats the header value, fields in the order of WeChat's docs.
func (a Authorization) String() string {
	var b strings.Builder
	b.Grow(len(AuthScheme) + 80 + len(a.MchID) + len(a.Nonce) + len(a.Signature) + len(a.Timestamp) + len(a.SerialNo))
	b.WriteString(AuthScheme)
	b.WriteString(` mchid="`)
	b.WriteString(a.MchID)
	b.WriteString(`",nonce_str="`)
	b.WriteString(a.Nonce)
	b.WriteString(`",signature="`)
	b.WriteString(a.Signature)
	b.WriteString(`",timestamp="`)
	b.WriteString(a.Timestamp)
	b.WriteString(`",serial_no="`)
	b.WriteString(a.SerialNo)
	b.WriteString(`"`)
	return b.String()
}

// ParseAuthorization parses an Authorization header value. It requires the
// WECHATPAY2-SHA256-RSA2048 scheme and exactly the five parameters, in any
// order, each once, quoted, non-empty and free of quotes, commas and control
// characters; timestamp must be decimal digits and signature base64
// characters. Errors are ErrMalformed and never echo the header.
func ParseAuthorization(header string) (Authorization, error) {
	bad := func(why string) (Authorization, error) {
		return Authorization{}, channel.Errorf(channel.ErrMalformed, "Authorization", "wechatpay: Authorization %s", why)
	}
	if len(header) > maxAuthorizationLen {
		return bad("is too long")
	}
	params, ok := strings.CutPrefix(header, AuthScheme+" ")
	if !ok {
		return bad("does not use the " + AuthScheme + " scheme")
	}
	var a Authorization
	seen := 0
	for item := range strings.SplitSeq(params, ",") {
		key, quoted, ok := strings.Cut(item, "=")
		if !ok || len(quoted) < 3 || quoted[0] != '"' || quoted[len(quoted)-1] != '"' {
			return bad(`parameters must be key="value"`)
		}
		value := quoted[1 : len(quoted)-1]
		if !plainValue(value) {
			return bad("has a parameter value with a quote, comma or control character")
		}
		var field *string
		var bit int
		switch key {
		case "mchid":
			field, bit = &a.MchID, 1
		case "nonce_str":
			field, bit = &a.Nonce, 2
		case "signature":
			field, bit = &a.Signature, 4
		case "timestamp":
			field, bit = &a.Timestamp, 8
		case "serial_no":
			field, bit = &a.SerialNo, 16
		default:
			return bad("has an unknown parameter")
		}
		if seen&bit != 0 {
			return bad("repeats a parameter")
		}
		seen |= bit
		*field = value
	}
	if seen != 31 {
		return bad("lacks one of mchid, nonce_str, signature, timestamp, serial_no")
	}
	if !allDigits(a.Timestamp) || len(a.Timestamp) > 12 {
		return bad("timestamp is not unix seconds")
	}
	if !base64Chars(a.Signature) {
		return bad("signature is not base64")
	}
	return a, nil
}

func plainValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == ',' || c == '\\' {
			return false
		}
	}
	return s != ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func base64Chars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '+' && c != '/' && c != '=' {
			return false
		}
	}
	return true
}
