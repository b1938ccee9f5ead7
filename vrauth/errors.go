package vrauth

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels for errors.Is. They are *pay.Error values, so a Client returns
// errors that match them too. A headset refused for eligibility learns
// exactly what is missing: each missing condition has its own code.
var (
	// ErrNotEnrolled: no such user.
	ErrNotEnrolled = &pay.Error{Code: "vr_not_enrolled", Message: "the user is not enrolled", HTTPStatus: http.StatusForbidden}
	// ErrNotVerified: the user's mobile number is not verified yet (SMS code
	// or manual review pending) or the review rejected it.
	ErrNotVerified = &pay.Error{Code: "vr_not_verified", Message: "the user is not verified", HTTPStatus: http.StatusForbidden}
	// ErrPaymentsOff: the user switched headset payments off.
	ErrPaymentsOff = &pay.Error{Code: "vr_payments_off", Message: "the user switched headset payments off", HTTPStatus: http.StatusForbidden}
	// ErrHeadsetOff: the headset is not registered for the user, or its
	// switch is off.
	ErrHeadsetOff = &pay.Error{Code: "vr_headset_off", Message: "this headset may not pay for the user", HTTPStatus: http.StatusForbidden}
	// ErrNoTerminal: a cross-terminal approval needs a trusted terminal and
	// the user has none.
	ErrNoTerminal = &pay.Error{Code: "vr_no_trusted_terminal", Message: "the user has no trusted terminal", HTTPStatus: http.StatusConflict}
	// ErrNotTrusted: the terminal approving is not one of the user's
	// trusted terminals.
	ErrNotTrusted = &pay.Error{Code: "vr_terminal_not_trusted", Message: "this terminal is not trusted by the user", HTTPStatus: http.StatusForbidden}
	// ErrUserCode: a wrong user code (or one locked after too many wrong
	// entries).
	ErrUserCode = &pay.Error{Code: "vr_user_code_invalid", Message: "wrong or expired user code", HTTPStatus: http.StatusForbidden}
	// ErrAlreadyDecided: the authorization was already approved or denied;
	// each is approved at most once.
	ErrAlreadyDecided = &pay.Error{Code: "vr_already_decided", Message: "the authorization was already decided", HTTPStatus: http.StatusConflict}
	// ErrDelivered: the authorization's result was already delivered to
	// the headset; it is delivered exactly once.
	ErrDelivered = &pay.Error{Code: "vr_result_delivered", Message: "the result was already delivered", HTTPStatus: http.StatusGone}
	// ErrUnknownDevice: no authorization has this device code.
	ErrUnknownDevice = &pay.Error{Code: "vr_invalid_device_code", Message: "unknown device code", HTTPStatus: http.StatusBadRequest}
	// ErrLimit: the purchase exceeds a proxy-debit agreement's per-payment
	// or per-day limit.
	ErrLimit = &pay.Error{Code: "vr_limit_exceeded", Message: "the amount exceeds the agreement's limit", HTTPStatus: http.StatusPaymentRequired}
	// ErrNoAgreement: no signed proxy-debit agreement covers the purchase
	// (none signed, still pending, or terminated).
	ErrNoAgreement = &pay.Error{Code: "vr_no_agreement", Message: "no signed proxy-debit agreement", HTTPStatus: http.StatusPaymentRequired}
	// ErrPaymentFailed: the channel reported the charge failed or closed.
	ErrPaymentFailed = &pay.Error{Code: "vr_payment_failed", Message: "the payment failed", HTTPStatus: http.StatusPaymentRequired}
	// ErrCSRF: a form post without a valid anti-forgery token.
	ErrCSRF = &pay.Error{Code: "vr_csrf", Message: "the form is stale or was not sent by the approval page", HTTPStatus: http.StatusForbidden}
)

// RFC 8628 §3.5 polling answers. A polling headset keeps polling on
// ErrAuthorizationPending, adds 5 seconds to its interval on ErrSlowDown,
// and stops on ErrAccessDenied or ErrExpiredToken.
var (
	ErrAuthorizationPending = &pay.Error{Code: "authorization_pending", Message: "the user has not approved yet", HTTPStatus: http.StatusBadRequest}
	ErrSlowDown             = &pay.Error{Code: "slow_down", Message: "polling too fast; add 5 seconds to the interval", HTTPStatus: http.StatusBadRequest}
	ErrAccessDenied         = &pay.Error{Code: "access_denied", Message: "the user denied the purchase", HTTPStatus: http.StatusBadRequest}
	ErrExpiredToken         = &pay.Error{Code: "expired_token", Message: "the authorization expired", HTTPStatus: http.StatusBadRequest}
)
