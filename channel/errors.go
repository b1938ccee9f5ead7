package channel

import (
	"errors"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels for errors.Is. Errors returned by this package and its adapters
// are *pay.Error values of a pay kind (pay.ErrUnavailable,
// pay.ErrInvalidRequest …) that also match one of these.
var (
	// ErrUnavailable: the provider certainly did not accept the request, so
	// trying another channel cannot charge the payer twice.
	ErrUnavailable = errors.New("channel_unavailable")
	// ErrOutcomeUnknown: the request may have been accepted; query first.
	ErrOutcomeUnknown = errors.New("channel_outcome_unknown")
	// ErrDeclined: the provider answered and refused the request.
	ErrDeclined = errors.New("channel_declined")
	// ErrBadSignature: a provider response or callback failed verification.
	ErrBadSignature = errors.New("channel_bad_signature")
	// ErrStale: a signed message's timestamp is outside the freshness window.
	ErrStale = errors.New("channel_stale")
	// ErrMalformed: a provider message could not be parsed.
	ErrMalformed = errors.New("channel_malformed")
	// ErrUnsupported: the channel does not support the scenario, currency or
	// operation asked for, or a callback's event type.
	ErrUnsupported = errors.New("channel_unsupported")
	// ErrDuplicate: a callback whose event ID was already applied.
	ErrDuplicate = errors.New("channel_duplicate_event")
	// ErrUnknownCharge: a callback or call names a charge that doesn't exist.
	ErrUnknownCharge = errors.New("channel_unknown_charge")
	// ErrAmountMismatch: a callback's amount or currency differs from the charge.
	ErrAmountMismatch = errors.New("channel_amount_mismatch")
	// ErrDisabled: the channel is disabled system-wide or for the user.
	ErrDisabled = errors.New("channel_disabled")
	// ErrUnknownChannel: no channel is registered under the name.
	ErrUnknownChannel = errors.New("channel_unknown")
)

// kinds pairs each sentinel with the pay error kind (code and HTTP status)
// it is served with.
var kinds = []struct {
	sentinel error
	kind     *pay.Error
}{
	{ErrUnavailable, pay.ErrUnavailable},
	{ErrOutcomeUnknown, pay.ErrUnavailable},
	{ErrDeclined, pay.ErrDeclined},
	{ErrBadSignature, pay.ErrUnauthorized},
	{ErrStale, pay.ErrUnauthorized},
	{ErrMalformed, pay.ErrInvalidRequest},
	{ErrUnsupported, pay.ErrInvalidRequest},
	{ErrDuplicate, pay.ErrConflict},
	{ErrUnknownCharge, pay.ErrNotFound},
	{ErrAmountMismatch, pay.ErrInvalidRequest},
	{ErrDisabled, pay.ErrForbidden},
	{ErrUnknownChannel, pay.ErrNotFound},
}

// Errorf returns a *pay.Error of the kind that goes with sentinel (one of
// this package's Err values) and that errors.Is matches against both. Adapters
// use it so every channel error has the same shape. The message must not
// contain secrets, keys or account numbers.
func Errorf(sentinel error, param, format string, args ...any) *pay.Error {
	kind := pay.ErrInternal
	for _, k := range kinds {
		if k.sentinel == sentinel {
			kind = k.kind
		}
	}
	return pay.Errorf(kind, param, format, args...).Wrap(sentinel)
}

// sentinelOf is the first of this package's sentinels err matches, or nil.
func sentinelOf(err error) error {
	for _, k := range kinds {
		if errors.Is(err, k.sentinel) {
			return k.sentinel
		}
	}
	return nil
}
