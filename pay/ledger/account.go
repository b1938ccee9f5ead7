package ledger

import (
	"time"

	"github.com/paykit-go/paykit/pay"
)

// AccountFlags constrain an account's balances.
type AccountFlags uint16

const (
	// DebitsMustNotExceedCredits rejects a debit that would take the
	// account's pending and posted debits above its posted credits: a
	// credit-normal account such as a customer wallet that cannot go below
	// zero.
	DebitsMustNotExceedCredits AccountFlags = 1 << iota
	// CreditsMustNotExceedDebits rejects a credit that would take the
	// account's pending and posted credits above its posted debits: a
	// debit-normal account with a floor of zero.
	CreditsMustNotExceedDebits

	accountFlagsMask = DebitsMustNotExceedCredits | CreditsMustNotExceedDebits
)

// Account is one side of every transfer: a named balance in one currency.
// The caller chooses ID, Currency and Flags; the ledger sets the balances and
// CreatedAt.
type Account struct {
	// ID is caller-chosen, non-empty, at most 128 bytes.
	ID string
	// Currency is the unit: an ISO 4217 code or any other upper-case unit
	// code such as "PTS" (points); 1–8 characters [A-Z0-9]. Transfers move
	// money only between accounts of the same currency.
	Currency string
	// Flags constrain the balances.
	Flags AccountFlags
	// DebitsPending is the sum of the account's pending debits (reserved,
	// not yet posted). Set by the ledger; must be zero on create.
	DebitsPending int64
	// DebitsPosted is the sum of the account's posted debits. Set by the
	// ledger; must be zero on create.
	DebitsPosted int64
	// CreditsPending is the sum of the account's pending credits. Set by the
	// ledger; must be zero on create.
	CreditsPending int64
	// CreditsPosted is the sum of the account's posted credits. Set by the
	// ledger; must be zero on create.
	CreditsPosted int64
	// CreatedAt is when the ledger created the account; ignored on create.
	CreatedAt time.Time
}

// Balance returns CreditsPosted - DebitsPosted: the posted balance of a
// credit-normal account such as a wallet.
func (a Account) Balance() int64 { return a.CreditsPosted - a.DebitsPosted }

// Available returns CreditsPosted - DebitsPosted - DebitsPending: what can
// still be debited from a credit-normal account, reservations included.
func (a Account) Available() int64 { return a.CreditsPosted - a.DebitsPosted - a.DebitsPending }

// maxIDLen is the longest account or transfer ID, in bytes.
const maxIDLen = 128

// validID reports whether id is a usable account or transfer ID.
func validID(id string) bool { return id != "" && len(id) <= maxIDLen }

// validCurrency reports whether c is 1–8 characters [A-Z0-9].
func validCurrency(c string) bool {
	if c == "" || len(c) > 8 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if b := c[i]; (b < 'A' || b > 'Z') && (b < '0' || b > '9') {
			return false
		}
	}
	return true
}

// validateAccount checks an account to create. prefix names it in params,
// e.g. "accounts[2].".
func validateAccount(a *Account, prefix string) *pay.Error {
	switch {
	case !validID(a.ID):
		return fail(ErrInvalidID, prefix+"id", "account id must be 1 to 128 bytes")
	case !validCurrency(a.Currency):
		return fail(ErrInvalidCurrency, prefix+"currency", "currency must be 1 to 8 characters A-Z or 0-9")
	case a.Flags&^accountFlagsMask != 0:
		return fail(ErrInvalidFlags, prefix+"flags", "unknown account flags")
	case a.Flags == accountFlagsMask:
		return fail(ErrInvalidFlags, prefix+"flags", "an account cannot have both balance constraints")
	case a.DebitsPending != 0 || a.DebitsPosted != 0 || a.CreditsPending != 0 || a.CreditsPosted != 0:
		return fail(ErrBalancesMustBeZero, prefix+"balances", "balances are set by the ledger and must be zero on create")
	}
	return nil
}

// Totals are the sums of the balances of every account in one currency. For
// a consistent ledger DebitsPosted == CreditsPosted and DebitsPending ==
// CreditsPending.
type Totals struct {
	DebitsPending, DebitsPosted, CreditsPending, CreditsPosted int64
}
