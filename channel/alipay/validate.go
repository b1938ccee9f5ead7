package alipay

import "github.com/paykit-go/paykit/channel"

// mismatchedAnswer is the error for a correctly signed answer about another
// trade: Alipay's signature does not bind an answer to its request, so a
// replayed answer must be caught by its content.
func mismatchedAnswer(method string) error {
	return channel.Errorf(channel.ErrBadSignature, "", "alipay: %s answer names a different order than the request", method)
}

// checkNumber validates a merchant-side number (out_trade_no,
// out_request_no, external_agreement_no, agreement_no).
func checkNumber(param, v string, maxLen int) error {
	if v == "" || len(v) > maxLen || !isToken(v) {
		return channel.Errorf(channel.ErrMalformed, param, "alipay: %s must be 1-%d letters, digits, '_' or '-'", param, maxLen)
	}
	return nil
}
