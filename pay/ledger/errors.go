package ledger

import (
	"errors"

	"github.com/paykit-go/paykit/pay"
)

// Ledger causes. Every error the Ledger returns is a *pay.Error of the kind
// named in each comment, wrapping one of these, so errors.Is matches both the
// kind and the cause. The text of each is TigerBeetle's result name (or close
// to it), stable enough to persist (see Failure).
var (
	// ErrInvalidID: an ID is empty or longer than 128 bytes. pay.ErrInvalidRequest.
	ErrInvalidID = errors.New("invalid_id")
	// ErrInvalidCurrency: an account currency is not 1–8 characters [A-Z0-9]. pay.ErrInvalidRequest.
	ErrInvalidCurrency = errors.New("invalid_currency")
	// ErrInvalidFlags: unknown flag bits, or flags that exclude each other. pay.ErrInvalidRequest.
	ErrInvalidFlags = errors.New("invalid_flags")
	// ErrBalancesMustBeZero: an account to create carries balances. pay.ErrInvalidRequest.
	ErrBalancesMustBeZero = errors.New("balances_must_be_zero")
	// ErrInvalidAmount: the amount is not positive (or, for post/void, negative). pay.ErrInvalidRequest.
	ErrInvalidAmount = errors.New("invalid_amount")
	// ErrAccountsMustBeDifferent: debit and credit name the same account. pay.ErrInvalidRequest.
	ErrAccountsMustBeDifferent = errors.New("accounts_must_be_different")
	// ErrInvalidPendingID: PendingID is missing for a post/void, set on another
	// transfer, or equal to the transfer's own ID. pay.ErrInvalidRequest.
	ErrInvalidPendingID = errors.New("invalid_pending_id")
	// ErrInvalidTimeout: Timeout is negative, set on a non-pending transfer, or too large. pay.ErrInvalidRequest.
	ErrInvalidTimeout = errors.New("invalid_timeout")
	// ErrUserDataTooLong: UserData exceeds 256 bytes. pay.ErrInvalidRequest.
	ErrUserDataTooLong = errors.New("user_data_too_long")
	// ErrLinkedEventChainOpen: the last transfer of a batch (or a single
	// CreateTransfer) has the Linked flag, so its chain never closes. pay.ErrInvalidRequest.
	ErrLinkedEventChainOpen = errors.New("linked_event_chain_open")
	// ErrLinkedEventFailed: the transfer was fine, but another transfer in its
	// linked chain failed, so none committed. pay.ErrConflict. Does not use up the ID.
	ErrLinkedEventFailed = errors.New("linked_event_failed")

	// ErrAccountNotFound: no account has the ID. pay.ErrNotFound.
	ErrAccountNotFound = errors.New("account_not_found")
	// ErrTransferNotFound: no committed transfer has the ID. pay.ErrNotFound.
	ErrTransferNotFound = errors.New("transfer_not_found")
	// ErrPendingNotFound: no committed transfer has the PendingID. pay.ErrNotFound.
	ErrPendingNotFound = errors.New("pending_transfer_not_found")
	// ErrPendingNotPending: the transfer named by PendingID is not a pending transfer. pay.ErrInvalidRequest.
	ErrPendingNotPending = errors.New("pending_transfer_not_pending")
	// ErrPendingDifferentAccount: a post/void names another debit or credit
	// account than its pending transfer. pay.ErrInvalidRequest.
	ErrPendingDifferentAccount = errors.New("pending_transfer_has_different_account")
	// ErrPendingDifferentAmount: a void names an amount other than 0 or the pending amount. pay.ErrInvalidRequest.
	ErrPendingDifferentAmount = errors.New("pending_transfer_has_different_amount")
	// ErrExceedsPendingAmount: a post asks for more than was reserved. pay.ErrInvalidRequest.
	ErrExceedsPendingAmount = errors.New("exceeds_pending_transfer_amount")
	// ErrPendingAlreadyPosted: the pending transfer was already posted. pay.ErrConflict.
	ErrPendingAlreadyPosted = errors.New("pending_transfer_already_posted")
	// ErrPendingAlreadyVoided: the pending transfer was already voided. pay.ErrConflict.
	ErrPendingAlreadyVoided = errors.New("pending_transfer_already_voided")
	// ErrPendingExpired: the pending transfer's timeout passed and its reservation was released. pay.ErrConflict.
	ErrPendingExpired = errors.New("pending_transfer_expired")
	// ErrCurrencyMismatch: debit and credit accounts hold different currencies. pay.ErrInvalidRequest.
	ErrCurrencyMismatch = errors.New("accounts_must_have_the_same_currency")
	// ErrExceedsCredits: the debit would take a DebitsMustNotExceedCredits
	// account's debits (pending and posted) above its posted credits. pay.ErrInsufficientFunds.
	ErrExceedsCredits = errors.New("exceeds_credits")
	// ErrExceedsDebits: the credit would take a CreditsMustNotExceedDebits
	// account's credits (pending and posted) above its posted debits. pay.ErrInsufficientFunds.
	ErrExceedsDebits = errors.New("exceeds_debits")
	// ErrOverflow: a balance would overflow int64. pay.ErrInvalidRequest.
	ErrOverflow = errors.New("overflow")

	// ErrExistsWithDifferentFields: the ID is already used by an account or
	// transfer with other fields. pay.ErrIdempotencyConflict.
	ErrExistsWithDifferentFields = errors.New("exists_with_different_fields")
	// ErrIDAlreadyFailed: the transfer ID's first attempt failed because of the
	// ledger's state; every later attempt returns that same error, which also
	// matches this cause.
	ErrIDAlreadyFailed = errors.New("id_already_failed")
)

// causeInfo says which pay kind a cause is served as, and whether a transfer
// failing with it uses up its ID (state-dependent failures do, failures of
// the request's own shape do not).
type causeInfo struct {
	kind  *pay.Error
	burns bool
}

var causes = map[error]causeInfo{
	ErrInvalidID:                 {pay.ErrInvalidRequest, false},
	ErrInvalidCurrency:           {pay.ErrInvalidRequest, false},
	ErrInvalidFlags:              {pay.ErrInvalidRequest, false},
	ErrBalancesMustBeZero:        {pay.ErrInvalidRequest, false},
	ErrInvalidAmount:             {pay.ErrInvalidRequest, false},
	ErrAccountsMustBeDifferent:   {pay.ErrInvalidRequest, false},
	ErrInvalidPendingID:          {pay.ErrInvalidRequest, false},
	ErrInvalidTimeout:            {pay.ErrInvalidRequest, false},
	ErrUserDataTooLong:           {pay.ErrInvalidRequest, false},
	ErrLinkedEventChainOpen:      {pay.ErrInvalidRequest, false},
	ErrLinkedEventFailed:         {pay.ErrConflict, false},
	ErrAccountNotFound:           {pay.ErrNotFound, true},
	ErrTransferNotFound:          {pay.ErrNotFound, true},
	ErrPendingNotFound:           {pay.ErrNotFound, true},
	ErrPendingNotPending:         {pay.ErrInvalidRequest, true},
	ErrPendingDifferentAccount:   {pay.ErrInvalidRequest, true},
	ErrPendingDifferentAmount:    {pay.ErrInvalidRequest, true},
	ErrExceedsPendingAmount:      {pay.ErrInvalidRequest, true},
	ErrPendingAlreadyPosted:      {pay.ErrConflict, true},
	ErrPendingAlreadyVoided:      {pay.ErrConflict, true},
	ErrPendingExpired:            {pay.ErrConflict, true},
	ErrCurrencyMismatch:          {pay.ErrInvalidRequest, true},
	ErrExceedsCredits:            {pay.ErrInsufficientFunds, true},
	ErrExceedsDebits:             {pay.ErrInsufficientFunds, true},
	ErrOverflow:                  {pay.ErrInvalidRequest, true},
	ErrExistsWithDifferentFields: {pay.ErrIdempotencyConflict, false},
}

// causeByName finds a cause by its text, for failures read back from a Store.
var causeByName = func() map[string]error {
	m := make(map[string]error, len(causes))
	for c := range causes {
		m[c.Error()] = c
	}
	return m
}()

// fail returns the *pay.Error for cause, naming param.
func fail(cause error, param, msg string) *pay.Error {
	e := &pay.Error{Param: param, Message: msg, Err: cause}
	kind := causes[cause].kind
	if kind == nil {
		kind = pay.ErrInternal
	}
	e.Code, e.HTTPStatus = kind.Code, kind.HTTPStatus
	return e
}

// burns reports whether a transfer failing with err uses up its ID.
func burns(err *pay.Error) bool { return causes[err.Err].burns }

// storeError wraps an error from the Store (or the context) as an internal
// error. The store's text is not copied into the message: it might describe
// the database.
func storeError(err error) *pay.Error {
	if e, ok := err.(*pay.Error); ok {
		return e
	}
	return pay.Errorf(pay.ErrInternal, "", "ledger store failed").Wrap(err)
}

// Failure is what a Store keeps for a transfer ID whose first attempt failed
// for a state-dependent reason, so that every later attempt fails the same.
// All fields are plain strings so that any store can persist them.
type Failure struct {
	Cause   string // the ledger cause's text, e.g. "exceeds_credits"
	Param   string // the request field at fault
	Message string // the original message
}

// failureOf records err as a Failure.
func failureOf(err *pay.Error) *Failure {
	return &Failure{Cause: err.Err.Error(), Param: err.Param, Message: err.Message}
}

// replay rebuilds the error of a failed ID: the same kind, param and message
// as the first attempt, matching both the original cause and ErrIDAlreadyFailed.
func (f *Failure) replay() *pay.Error {
	cause := causeByName[f.Cause]
	if cause == nil {
		cause = errors.New(f.Cause)
	}
	e := fail(cause, f.Param, f.Message)
	e.Err = errors.Join(cause, ErrIDAlreadyFailed)
	return e
}
