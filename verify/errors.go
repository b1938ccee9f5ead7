package verify

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels for errors.Is. They are *pay.Error values, so they keep their
// meaning across HTTP. Messages name the method at fault, never the secret.
var (
	// ErrFailed: the proof is wrong (password, code, answer, signature,
	// certificate, position or attribute rule).
	ErrFailed = &pay.Error{Code: "verification_failed", Message: "verification failed", HTTPStatus: http.StatusForbidden}
	// ErrLocked: too many failures; the method is locked for a while.
	ErrLocked = &pay.Error{Code: "verification_locked", Message: "too many failed attempts; try again later", HTTPStatus: http.StatusForbidden}
	// ErrExpired: the code, challenge, position or certificate is out of
	// its validity window.
	ErrExpired = &pay.Error{Code: "verification_expired", Message: "the proof has expired", HTTPStatus: http.StatusForbidden}
	// ErrReplayed: the code or challenge was already used.
	ErrReplayed = &pay.Error{Code: "verification_replayed", Message: "the code or challenge was already used", HTTPStatus: http.StatusForbidden}
	// ErrInsufficient: the proofs given don't satisfy the policy.
	ErrInsufficient = &pay.Error{Code: "verification_insufficient", Message: "more verification is required", HTTPStatus: http.StatusForbidden}
	// ErrUnsupported: no verifier for the method is configured.
	ErrUnsupported = &pay.Error{Code: "verification_unsupported", Message: "this verification method is not available", HTTPStatus: http.StatusBadRequest}
	// ErrNotSetUp: the subject has no password, question, key or
	// certificate set up for the method.
	ErrNotSetUp = &pay.Error{Code: "verification_not_set_up", Message: "this verification method is not set up", HTTPStatus: http.StatusConflict}
	// ErrThrottled: a code was sent too recently (or too often).
	ErrThrottled = &pay.Error{Code: "verification_throttled", Message: "a code was sent too recently", HTTPStatus: http.StatusConflict}
)
