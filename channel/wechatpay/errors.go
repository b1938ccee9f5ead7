package wechatpay

import (
	"encoding/json"
	"net/http"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
)

// apiError is the body of a WeChat Pay API v3 error answer.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes that say the merchant's setup, not the request, is wrong: the
// request was refused before anything happened, and no request through this
// channel can succeed, so another channel may be tried.
var setupCodes = map[string]bool{
	"SIGN_ERROR":            true,
	"MCH_NOT_EXISTS":        true,
	"APPID_MCHID_NOT_MATCH": true,
	"NO_AUTH":               true,
	"INVALID_ACCOUNTSTATUS": true,
}

// Error codes that say the named order, refund or contract does not exist.
var notFoundCodes = map[string]bool{
	"ORDER_NOT_EXIST":     true,
	"ORDERNOTEXIST":       true,
	"RESOURCE_NOT_EXISTS": true,
	"CONTRACT_NOT_EXIST":  true,
	"CONTRACT_NOT_EXISTS": true,
}

// providerError classifies a non-2xx answer that httpx did not retry:
//   - setup errors (SIGN_ERROR, NO_AUTH, MCH_NOT_EXISTS, …): ErrUnavailable,
//     the request was refused before it was acted on;
//   - ORDER_NOT_EXIST, RESOURCE_NOT_EXISTS, a bare 404: ErrUnknownCharge;
//   - every other answer (PARAM_ERROR, INVALID_REQUEST, ORDERPAID,
//     ORDER_CLOSED, OUT_TRADE_NO_USED, NOTENOUGH, RULE_LIMIT, TRADE_ERROR,
//     USER_ACCOUNT_ABNORMAL, …): ErrDeclined, WeChat answered and refused.
//
// SYSTEM_ERROR (500) and FREQUENCY_LIMITED (429) never get here: httpx
// retries them and reports ErrOutcomeUnknown or ErrUnavailable. The message
// carries WeChat's code, its short message and Request-ID, nothing of ours.
func providerError(op string, resp httpx.Response) error {
	var e apiError
	_ = json.Unmarshal(resp.Body, &e)
	code := clip(e.Code)
	sentinel := channel.ErrDeclined
	switch {
	case setupCodes[e.Code] || resp.Status == http.StatusUnauthorized:
		sentinel = channel.ErrUnavailable
	case notFoundCodes[e.Code] || (e.Code == "" && resp.Status == http.StatusNotFound):
		sentinel = channel.ErrUnknownCharge
	}
	if code == "" {
		code = http.StatusText(resp.Status)
	}
	return channel.Errorf(sentinel, "", "wechatpay: %s: HTTP %d %s: %s (Request-ID %s)",
		op, resp.Status, code, clip(e.Message), clip(resp.Header.Get(headerRequestID)))
}
