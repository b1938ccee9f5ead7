package qr

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels of the card codec, for errors.Is. They are *pay.Error values
// with their own codes, so they keep their meaning across HTTP: a Client
// returns errors that match them too. Their messages never carry the card's
// token, a key or a signature.
var (
	// ErrCardMalformed: the text is not Base45, or its bytes are truncated,
	// carry trailing bytes, an unknown layout version, a non-minimal varint
	// or a field outside its shape (a holder that is not UTF-8 …).
	ErrCardMalformed = &pay.Error{Code: "card_malformed", Message: "the card is malformed", HTTPStatus: http.StatusBadRequest}
	// ErrCardSignature: the card is unsigned, or its signature does not
	// verify under the key its key ID names (it was altered or forged).
	ErrCardSignature = &pay.Error{Code: "card_bad_signature", Message: "the card's signature is missing or invalid", HTTPStatus: http.StatusUnauthorized}
	// ErrCardUnknownKey: the card names a key ID the verifier's KeySet does
	// not hold (never added, or removed after rotation).
	ErrCardUnknownKey = &pay.Error{Code: "card_unknown_key", Message: "the card is signed by an unknown key", HTTPStatus: http.StatusUnauthorized}
	// ErrCardExpired: the card is outside its validity window, expired or
	// not yet valid; the message says which.
	ErrCardExpired = &pay.Error{Code: "card_expired", Message: "the card is not valid at this time", HTTPStatus: http.StatusPaymentRequired}
)

// cardMalformed is an ErrCardMalformed naming the field at fault. Messages
// never quote the input bytes.
func cardMalformed(param, format string, args ...any) *pay.Error {
	return pay.Errorf(ErrCardMalformed, param, format, args...)
}

// cardInvalid is a pay.ErrInvalidRequest naming the card field at fault.
func cardInvalid(param, format string, args ...any) *pay.Error {
	return pay.Errorf(pay.ErrInvalidRequest, param, format, args...)
}
