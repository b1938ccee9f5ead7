package im

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels for errors.Is, for the whole package. They are *pay.Error
// values with their own codes, so a Client returns errors that match them
// too and a sealed error prompt carries their codes. Their messages never
// carry a password, a key, a signature or the bytes received.
//
// Errors from a caller's own mistake (a header that can't be sealed, a
// request or prompt that can't be encoded) are pay.ErrInvalidRequest naming
// the field at fault; the sentinels below describe what came in, or why the
// payment subsystem refused it.
var (
	// ErrMalformed: the bytes are not an envelope, request or prompt of
	// this version: a bad prefix or base64, truncated, trailing bytes, an
	// unknown version or suite, a field out of its limits, or an element
	// (an ID, an amount, a kind) that is not well formed. Param names the
	// field when there is one.
	ErrMalformed = &pay.Error{Code: "im_malformed", Message: "the message is malformed", HTTPStatus: http.StatusBadRequest}
	// ErrTooLarge: the envelope or payload is longer than this package
	// accepts (MaxText, MaxPayload); it is refused before it is decoded.
	ErrTooLarge = &pay.Error{Code: "im_too_large", Message: "the message is too large", HTTPStatus: http.StatusRequestEntityTooLarge}
	// ErrOpen: the envelope does not decrypt: it was sealed to another key
	// (or suite), or some byte of it, header included, was altered.
	ErrOpen = &pay.Error{Code: "im_open_failed", Message: "the message does not open under this key", HTTPStatus: http.StatusBadRequest}
	// ErrSignature: the envelope decrypts, but the signature inside does not
	// verify under the sending device's key: another device signed it.
	ErrSignature = &pay.Error{Code: "im_bad_signature", Message: "the message's signature does not verify", HTTPStatus: http.StatusUnauthorized}
	// ErrUnknownDevice: no key is registered for the envelope's sender ID
	// (the key lookup failed; its error is kept as the in-process cause).
	ErrUnknownDevice = &pay.Error{Code: "im_unknown_device", Message: "the sending device is not known", HTTPStatus: http.StatusUnauthorized}
	// ErrKey: bytes or text that are not a public or private key of the
	// suite, or an unknown suite.
	ErrKey = &pay.Error{Code: "im_bad_key", Message: "not a key of the suite", HTTPStatus: http.StatusBadRequest}
	// ErrStale: the envelope's timestamp is outside the freshness window
	// (too old, or too far in the future).
	ErrStale = &pay.Error{Code: "im_stale", Message: "the message is too old or from the future", HTTPStatus: http.StatusBadRequest}
	// ErrReplay: a message with this message ID was already accepted.
	ErrReplay = &pay.Error{Code: "im_replay", Message: "the message was already received", HTTPStatus: http.StatusConflict}
	// ErrCustomer: the sending device may not pay for the customer the
	// request names.
	ErrCustomer = &pay.Error{Code: "im_customer_mismatch", Message: "this device may not pay for the customer", HTTPStatus: http.StatusForbidden}
	// ErrBill: the bill is not an outstanding bill of the customer: unknown,
	// someone else's, or already paid.
	ErrBill = &pay.Error{Code: "im_bill", Message: "the bill is not an outstanding bill of the customer", HTTPStatus: http.StatusConflict}
	// ErrAmount: the amount does not equal the bill's amount (value or
	// currency).
	ErrAmount = &pay.Error{Code: "im_amount_mismatch", Message: "the amount does not match the bill", HTTPStatus: http.StatusBadRequest}
	// ErrWallet: the payment account is not one of the customer's wallets,
	// or it cannot pay the bill.
	ErrWallet = &pay.Error{Code: "im_wallet", Message: "the payment account cannot pay this bill", HTTPStatus: http.StatusPaymentRequired}
	// ErrUnexpected: the request does not follow the conversation: a step
	// out of order (a payment before a bill was chosen, a bill other than
	// the one chosen) or a conversation that has ended.
	ErrUnexpected = &pay.Error{Code: "im_unexpected_request", Message: "the request does not fit the conversation", HTTPStatus: http.StatusConflict}
)
