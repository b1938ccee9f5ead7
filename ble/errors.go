package ble

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels for errors.Is. They are *pay.Error values with their own codes,
// like every paykit error, so a host that reports them upstream keeps their
// meaning. Their messages never carry a key, a MAC or the bytes received.
//
// Errors from a caller's own mistake (a receipt that can't be encoded, an
// MTU below 23) are pay.ErrInvalidRequest naming the field at fault; the
// sentinels below describe what came over the air, or what became of it.
var (
	// ErrMalformed: the receipt's bytes are not a receipt of this version:
	// truncated, trailing bytes, an unknown version, kind, channel or
	// currency, a non-minimal varint, a zero amount or a payer that is not
	// digits. Checked after the MAC, so a forgery reports ErrMAC instead.
	ErrMalformed = &pay.Error{Code: "ble_malformed", Message: "the receipt is malformed", HTTPStatus: http.StatusBadRequest}
	// ErrMAC: the receipt's MAC does not verify under the pairing's key: it
	// was altered on the way, forged, or made under another pairing.
	ErrMAC = &pay.Error{Code: "ble_bad_mac", Message: "the receipt's MAC does not verify", HTTPStatus: http.StatusUnauthorized}
	// ErrReplay: the receipt's counter is at or below the last one the host
	// accepted under its pairing: an old receipt sent again.
	ErrReplay = &pay.Error{Code: "ble_replay", Message: "the receipt's counter was already used", HTTPStatus: http.StatusConflict}
	// ErrFrame: a chunk does not continue a message correctly: empty or
	// garbage, an unknown command, a continuation without an initial
	// fragment, an unexpected sequence number, or data past the declared
	// length. The reassembler is reset and takes the next initial fragment.
	ErrFrame = &pay.Error{Code: "ble_bad_frame", Message: "the chunk is not a valid fragment", HTTPStatus: http.StatusBadRequest}
	// ErrTooLarge: a message longer than the receiver accepts, or than the
	// framing can carry (65,535 bytes, or 128 continuations at the MTU).
	ErrTooLarge = &pay.Error{Code: "ble_too_large", Message: "the message is too large", HTTPStatus: http.StatusRequestEntityTooLarge}
	// ErrUnknownPairing: the host holds no pairing with the receipt's
	// pairing number.
	ErrUnknownPairing = &pay.Error{Code: "ble_unknown_pairing", Message: "no such pairing", HTTPStatus: http.StatusUnauthorized}
	// ErrRevoked: the pairing was revoked; the host refuses its receipts.
	ErrRevoked = &pay.Error{Code: "ble_pairing_revoked", Message: "the pairing was revoked", HTTPStatus: http.StatusForbidden}
	// ErrUndelivered: the host did not acknowledge the receipt before the
	// deadline; the handheld reports it to its caller.
	ErrUndelivered = &pay.Error{Code: "ble_undelivered", Message: "the receipt was not acknowledged in time", HTTPStatus: http.StatusGatewayTimeout}
)

// ErrAbandoned is the cause inside the ErrFrame a Reassembler returns when
// a new initial fragment arrives before the message in progress was
// complete; the error matches both (errors.Is). Unlike every other
// reassembly error, the chunk that caused it was accepted: it starts the new
// message (see Reassembler.Add).
var ErrAbandoned = &pay.Error{Code: "ble_frame_abandoned", Message: "an incomplete message was abandoned for a new one", HTTPStatus: http.StatusBadRequest}
