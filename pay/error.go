package pay

import (
	"fmt"
	"net/http"
)

// Error is the one error type of paykit. Every failure a backend reports, and
// every failure a client can classify, is an *Error. Compare with errors.Is
// against the sentinels below (or a domain package's own): two Errors match
// when their Codes are equal.
//
// Error text never carries a secret, password, OTP, PAN or key.
type Error struct {
	// Code is the stable, machine-readable reason, e.g. "insufficient_funds".
	Code string `json:"code"`
	// Message is a human-readable explanation.
	Message string `json:"message"`
	// HTTPStatus is the HTTP status the error travels with.
	HTTPStatus int `json:"-"`
	// RequestID identifies the request on the backend, when known.
	RequestID string `json:"request_id,omitempty"`
	// Param names the request field at fault, when there is one.
	Param string `json:"param,omitempty"`
	// Err is an underlying cause kept for errors.Is/As in-process; it never
	// travels over the wire.
	Err error `json:"-"`
}

// Sentinels for errors.Is. Each has the HTTP status it is served with.
var (
	ErrInvalidRequest      = &Error{Code: "invalid_request", Message: "invalid request", HTTPStatus: http.StatusBadRequest}
	ErrUnauthorized        = &Error{Code: "unauthorized", Message: "missing or invalid API key", HTTPStatus: http.StatusUnauthorized}
	ErrForbidden           = &Error{Code: "forbidden", Message: "this API key may not call this route", HTTPStatus: http.StatusForbidden}
	ErrNotFound            = &Error{Code: "not_found", Message: "not found", HTTPStatus: http.StatusNotFound}
	ErrConflict            = &Error{Code: "conflict", Message: "conflicts with the current state", HTTPStatus: http.StatusConflict}
	ErrIdempotencyConflict = &Error{Code: "idempotency_conflict", Message: "idempotency key reused with a different request", HTTPStatus: http.StatusConflict}
	ErrInsufficientFunds   = &Error{Code: "insufficient_funds", Message: "insufficient funds", HTTPStatus: http.StatusPaymentRequired}
	ErrDeclined            = &Error{Code: "payment_declined", Message: "the payment was declined", HTTPStatus: http.StatusPaymentRequired}
	ErrPayloadTooLarge     = &Error{Code: "payload_too_large", Message: "request body too large", HTTPStatus: http.StatusRequestEntityTooLarge}
	ErrRateLimited         = &Error{Code: "rate_limited", Message: "too many requests", HTTPStatus: http.StatusTooManyRequests}
	ErrInternal            = &Error{Code: "internal_error", Message: "internal error", HTTPStatus: http.StatusInternalServerError}
	ErrUnavailable         = &Error{Code: "unavailable", Message: "service unavailable", HTTPStatus: http.StatusServiceUnavailable}
)

// Errorf returns a new *Error of the same kind (Code and HTTPStatus) as kind,
// naming param and carrying a formatted message. Callers must not format
// secrets into the message.
func Errorf(kind *Error, param, format string, args ...any) *Error {
	return &Error{Code: kind.Code, HTTPStatus: kind.HTTPStatus, Param: param, Message: fmt.Sprintf(format, args...)}
}

// Error implements error: "paykit: <code>: <message> (param <p>) (request <id>)".
func (e *Error) Error() string {
	s := "paykit: " + e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Param != "" {
		s += " (param " + e.Param + ")"
	}
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && e != nil && t.Code == e.Code
}

// Unwrap returns the in-process cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns a copy of e whose in-process cause is cause, so that
// errors.Is matches both e's kind and a domain package's own sentinel.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// Status returns the HTTP status for e, defaulting to 500.
func (e *Error) Status() int {
	if e.HTTPStatus == 0 {
		return http.StatusInternalServerError
	}
	return e.HTTPStatus
}
