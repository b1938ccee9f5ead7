package alipay

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/paykit-go/paykit/channel"
)

// Gateway result codes (公共错误码).
const (
	codeSuccess     = "10000" // the call succeeded
	codeWaiting     = "10003" // the payer is still confirming (trade.pay)
	codeUnavailable = "20000" // service unavailable: the outcome is unknown
	codeAuth        = "20001" // authorisation failed
	codeMissing     = "40001" // a required parameter is missing
	codeInvalid     = "40002" // a parameter, the app or the signature is invalid
	codeBusiness    = "40004" // the business operation failed (see sub_code)
	codePermission  = "40006" // the application lacks the permission
)

// subSystemError is the 40004 sub_code for an internal error whose outcome
// Alipay says to establish by querying.
const subSystemError = "ACQ.SYSTEM_ERROR"

// errorResponseKey is the member a gateway-level error may arrive under
// instead of "<method>_response".
const errorResponseKey = "error_response"

// envelope is a gateway answer split into its parts.
type envelope struct {
	// body is the exact bytes of the "<method>_response" (or
	// error_response) value, which is what Alipay signs.
	body json.RawMessage
	// sign is the base64 signature, empty when the answer is unsigned.
	sign string
}

// responseKey returns the member the answer to method sits under.
func responseKey(method string) string {
	return strings.ReplaceAll(method, ".", "_") + "_response"
}

// splitResponse parses {"<method>_response":{...},"sign":"..."} strictly:
// one JSON object, no repeated members, exactly one of the method's
// response and error_response, whose value must be an object. It keeps the
// value's bytes exactly as they arrived.
func splitResponse(data []byte, method string) (envelope, error) {
	bad := func(why string) (envelope, error) {
		return envelope{}, channel.Errorf(channel.ErrMalformed, "", "alipay: %s response %s", method, why)
	}
	want := responseKey(method)
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad("is not a JSON object")
	}
	var env envelope
	seen := make(map[string]bool, 3)
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("is not valid JSON")
		}
		key, _ := tok.(string)
		if seen[key] {
			return bad("repeats a member")
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return bad("is not valid JSON")
		}
		switch key {
		case want, errorResponseKey:
			if found {
				return bad("has both a result and an error_response")
			}
			if len(raw) == 0 || raw[0] != '{' {
				return bad("result is not a JSON object (encrypted content is not supported)")
			}
			env.body, found = raw, true
		case paramSign:
			if err := json.Unmarshal(raw, &env.sign); err != nil {
				return bad("sign is not a string")
			}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return bad("is not valid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("has trailing data")
	}
	if !found {
		return bad("has no " + want)
	}
	return env, nil
}

// reply is a verified answer: the exact result bytes and its common fields.
type reply struct {
	raw     json.RawMessage
	code    string
	msg     string
	subCode string
	subMsg  string
}

// verifyResponse splits data and checks its signature with key. A signed
// answer must verify; an unsigned one is accepted only as a gateway-level
// refusal (20000, 20001, 40001, 40002, 40006), which is never believed as a
// success. Errors match channel.ErrMalformed or channel.ErrBadSignature.
func verifyResponse(data []byte, method string, key *rsa.PublicKey) (reply, error) {
	env, err := splitResponse(data, method)
	if err != nil {
		return reply{}, err
	}
	if env.sign != "" {
		if err := verifyRSA2(key, env.body, env.sign); err != nil {
			return reply{}, channel.Errorf(channel.ErrBadSignature, "sign", "alipay: %s response signature does not verify", method)
		}
	}
	var common struct {
		Code    string `json:"code"`
		Msg     string `json:"msg"`
		SubCode string `json:"sub_code"`
		SubMsg  string `json:"sub_msg"`
	}
	if err := json.Unmarshal(env.body, &common); err != nil || common.Code == "" {
		return reply{}, channel.Errorf(channel.ErrMalformed, "", "alipay: %s response has no result code", method)
	}
	if env.sign == "" && !unsignedAllowed(common.Code) {
		return reply{}, channel.Errorf(channel.ErrBadSignature, "sign", "alipay: %s response is not signed", method)
	}
	return reply{raw: env.body, code: common.Code, msg: common.Msg, subCode: common.SubCode, subMsg: common.SubMsg}, nil
}

// unsignedAllowed lists the codes of errors the gateway raises before the
// call reaches the application's keys, which it may send unsigned.
func unsignedAllowed(code string) bool {
	switch code {
	case codeUnavailable, codeAuth, codeMissing, codeInvalid, codePermission:
		return true
	}
	return false
}

// openResponse verifies a gateway answer to k. An answer that cannot be
// parsed says nothing about the outcome, so for a mutating call it is
// ErrOutcomeUnknown.
func (c *Channel) openResponse(k call, data []byte) (reply, error) {
	r, err := verifyResponse(data, k.method, c.alipayKey)
	if err != nil && k.mutating && errors.Is(err, channel.ErrMalformed) {
		return reply{}, ambiguous(k, "unreadable answer")
	}
	return r, err
}

// decode reads the verified result into v.
func (r reply) decode(method string, v any) error {
	if err := json.Unmarshal(r.raw, v); err != nil {
		return channel.Errorf(channel.ErrMalformed, "", "alipay: %s result does not decode", method)
	}
	return nil
}

// failure turns a non-success result into the error the channel contract
// calls for, and returns nil for 10000.
func (r reply) failure(k call) error {
	why := r.describe()
	switch r.code {
	case codeSuccess:
		return nil
	case codeWaiting, codeUnavailable:
		return ambiguous(k, "%s", why)
	case codeAuth, codeMissing, codeInvalid, codePermission:
		// The gateway refused the call before acting on it.
		return channel.Errorf(channel.ErrUnavailable, "", "alipay: %s refused: %s", k.method, why)
	case codeBusiness:
		switch {
		case r.subCode == subSystemError:
			return ambiguous(k, "%s", why)
		case r.subCode == "ACQ.TRADE_NOT_EXIST":
			return channel.Errorf(channel.ErrUnknownCharge, "charge_id", "alipay: %s: %s", k.method, why)
		}
		return channel.Errorf(channel.ErrDeclined, "", "alipay: %s declined: %s", k.method, why)
	}
	return ambiguous(k, "unexpected result %s", why)
}

// describe renders the provider's codes and messages for an error message,
// clipped; they carry no secrets.
func (r reply) describe() string {
	s := clip(r.code)
	if r.msg != "" {
		s += " " + clip(r.msg)
	}
	if r.subCode != "" {
		s += " (" + clip(r.subCode)
		if r.subMsg != "" {
			s += ": " + clip(r.subMsg)
		}
		s += ")"
	}
	return s
}
