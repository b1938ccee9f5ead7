package token

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels for errors.Is. They are *pay.Error values, so they keep their
// meaning across HTTP: a Client returns errors that match them too.
//
// The owner of a token (its requestor, or the issuer) learns exactly which
// control refused a use. Anyone else gets ErrDeclined for every refusal,
// unknown tokens included, so refusals reveal neither which tokens exist nor
// which controls a token carries.
var (
	// ErrDeclined is the one refusal a caller that doesn't own the token sees.
	ErrDeclined = &pay.Error{Code: "token_declined", Message: "the token was declined", HTTPStatus: http.StatusPaymentRequired}
	// ErrSuspended: the token is suspended; only the suspending party resumes it.
	ErrSuspended = &pay.Error{Code: "token_suspended", Message: "the token is suspended", HTTPStatus: http.StatusPaymentRequired}
	// ErrDeleted: the token was deleted, which is final.
	ErrDeleted = &pay.Error{Code: "token_deleted", Message: "the token was deleted", HTTPStatus: http.StatusGone}
	// ErrExpired: the use falls outside the token's validity window.
	ErrExpired = &pay.Error{Code: "token_expired", Message: "the token is not valid at this time", HTTPStatus: http.StatusPaymentRequired}
	// ErrUseLimit: the token's maximum number of uses is reached.
	ErrUseLimit = &pay.Error{Code: "token_use_limit", Message: "the token's use limit is reached", HTTPStatus: http.StatusPaymentRequired}
	// ErrAmountLimit: the amount exceeds the per-use or cumulative limit.
	ErrAmountLimit = &pay.Error{Code: "token_amount_limit", Message: "the amount exceeds the token's limit", HTTPStatus: http.StatusPaymentRequired}
	// ErrDomain: the merchant, channel, device, terminal or presentment mode
	// is not one the token allows (Param names which).
	ErrDomain = &pay.Error{Code: "token_domain_mismatch", Message: "the token may not be used here", HTTPStatus: http.StatusPaymentRequired}
	// ErrCryptogram: the cryptogram is missing, malformed, altered or
	// already used.
	ErrCryptogram = &pay.Error{Code: "token_cryptogram_invalid", Message: "the cryptogram is missing or invalid", HTTPStatus: http.StatusPaymentRequired}
	// ErrWrongParty: only the party that suspended a token may resume it.
	ErrWrongParty = &pay.Error{Code: "token_wrong_party", Message: "only the party that suspended the token may resume it", HTTPStatus: http.StatusForbidden}
	// ErrNotDetokenizer: the caller's key may not see account numbers.
	ErrNotDetokenizer = &pay.Error{Code: "token_detokenize_forbidden", Message: "this API key may not detokenize", HTTPStatus: http.StatusForbidden}
	// ErrTokenRange: the account number lies in the vault's token BIN range,
	// so a token could collide with it; the vault refuses to hold it.
	ErrTokenRange = &pay.Error{Code: "token_range_account", Message: "the account number lies in the token BIN range", HTTPStatus: http.StatusBadRequest}
)

// refusal is a use refusal of kind with a message and the control at fault.
// Messages never carry the token, the account or a key.
func refusal(kind *pay.Error, param, format string, args ...any) *pay.Error {
	return pay.Errorf(kind, param, format, args...)
}
