package emv

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels for errors.Is. They are *pay.Error values with their own codes,
// so they keep their meaning across HTTP. Every error Parse, Build and Order
// return matches exactly one of them; its Param names the data object at
// fault as an ID path ("54", "62.05"), and its message says where (in
// characters from the start of the payload) and why. Messages never repeat
// a value from the payload: a merchant's account number stays out of logs.
var (
	// ErrNotMPM: the text is not an EMVCo merchant-presented payload; it
	// must begin with the payload format indicator "000201".
	ErrNotMPM = &pay.Error{Code: "emv_not_mpm", Message: "not an EMV merchant-presented QR payload", HTTPStatus: http.StatusBadRequest}
	// ErrEncoding: the text is not valid UTF-8 or holds a control character.
	ErrEncoding = &pay.Error{Code: "emv_encoding", Message: "the payload holds a character it may not", HTTPStatus: http.StatusBadRequest}
	// ErrTooLong: the payload is longer than MaxLen characters.
	ErrTooLong = &pay.Error{Code: "emv_too_long", Message: "the payload is longer than 512 characters", HTTPStatus: http.StatusBadRequest}
	// ErrID: an ID is not two digits, or is outside the range its place
	// allows (a merchant account template outside 26–51, say).
	ErrID = &pay.Error{Code: "emv_bad_id", Message: "a data object ID is malformed or out of range", HTTPStatus: http.StatusBadRequest}
	// ErrLength: a length is not two digits, is zero, runs past the end of
	// the payload or template, or (when building) exceeds 99 characters; or
	// the payload ends inside an ID and length.
	ErrLength = &pay.Error{Code: "emv_bad_length", Message: "a data object length is malformed", HTTPStatus: http.StatusBadRequest}
	// ErrDuplicate: an ID occurs twice at the top level or inside one template.
	ErrDuplicate = &pay.Error{Code: "emv_duplicate_id", Message: "a data object ID occurs twice", HTTPStatus: http.StatusBadRequest}
	// ErrCRCMissing: there is no CRC data object (ID 63).
	ErrCRCMissing = &pay.Error{Code: "emv_crc_missing", Message: "the payload has no CRC (ID 63)", HTTPStatus: http.StatusBadRequest}
	// ErrCRCNotLast: the CRC data object is not the last one.
	ErrCRCNotLast = &pay.Error{Code: "emv_crc_not_last", Message: "the CRC (ID 63) is not the last data object", HTTPStatus: http.StatusBadRequest}
	// ErrCRC: the CRC is not four hex digits or does not match the payload.
	ErrCRC = &pay.Error{Code: "emv_crc_mismatch", Message: "the payload's CRC does not match", HTTPStatus: http.StatusBadRequest}
	// ErrValue: a value does not have its data object's format (an amount
	// with a comma, a currency that is not three digits …).
	ErrValue = &pay.Error{Code: "emv_bad_value", Message: "a data object's value has the wrong format", HTTPStatus: http.StatusBadRequest}
	// ErrIncomplete: a data object that is needed is absent: a template's
	// globally unique identifier (sub-ID 00), or what a payment needs
	// (a receiving account, the currency), or one the specification makes
	// mandatory (see Payload.Complete).
	ErrIncomplete = &pay.Error{Code: "emv_incomplete", Message: "a needed data object is absent", HTTPStatus: http.StatusBadRequest}
	// ErrCurrency: the numeric currency code is not one this package knows
	// (see CurrencyAlpha).
	ErrCurrency = &pay.Error{Code: "emv_unknown_currency", Message: "unknown currency code", HTTPStatus: http.StatusBadRequest}
)

// fail returns an error of kind about the data object at path.
func fail(kind *pay.Error, path, format string, args ...any) *pay.Error {
	return pay.Errorf(kind, path, format, args...)
}

// join names a data object inside a template: join("62", "05") = "62.05".
func join(path, id string) string {
	if path == "" {
		return id
	}
	return path + "." + id
}
