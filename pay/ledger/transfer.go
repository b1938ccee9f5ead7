package ledger

import (
	"time"
)

// TransferFlags select what kind of transfer a Transfer is.
type TransferFlags uint16

const (
	// Linked chains the transfer with the next one in the same
	// CreateTransfers call: the chain commits all or nothing. The last
	// transfer of a chain does not carry the flag.
	Linked TransferFlags = 1 << iota
	// Pending makes a two-phase transfer: it reserves the amount (the debit
	// account's DebitsPending, the credit account's CreditsPending) until it
	// is posted, voided or expires.
	Pending
	// PostPending posts the pending transfer named by PendingID, fully
	// (Amount 0 or equal to the pending amount) or partly (Amount less); the
	// rest of the reservation is released.
	PostPending
	// VoidPending releases the whole reservation of the pending transfer
	// named by PendingID.
	VoidPending

	transferFlagsMask = Linked | Pending | PostPending | VoidPending
)

// maxUserDataLen is the longest Transfer.UserData, in bytes.
const maxUserDataLen = 256

// Transfer moves Amount from DebitAccountID to CreditAccountID (both in the
// same currency), or reserves, posts or voids such a movement. The caller
// sets every field but Timestamp.
type Transfer struct {
	// ID is caller-chosen, non-empty, at most 128 bytes; it is also the
	// transfer's idempotency key.
	ID string
	// DebitAccountID names the account debited. For PostPending/VoidPending
	// it may be left empty, meaning the pending transfer's.
	DebitAccountID string
	// CreditAccountID names the account credited. For PostPending/VoidPending
	// it may be left empty, meaning the pending transfer's.
	CreditAccountID string
	// Amount is in the currency's minor units; > 0, except for PostPending
	// and VoidPending where 0 means "the pending amount". The committed
	// post/void transfer carries the amount actually posted or released.
	Amount int64
	// PendingID names the pending transfer to post or void.
	PendingID string
	// Timeout applies to Pending transfers only: 0 means none; after it, by
	// the ledger's clock, the pending transfer expires and its reservation is
	// released.
	Timeout time.Duration
	// Flags select the kind of transfer.
	Flags TransferFlags
	// Code is the caller's reason code (e.g. 1 top-up, 2 consumption).
	Code uint16
	// UserData is the caller's reference, at most 256 bytes.
	UserData string
	// Timestamp is set by the ledger, in UTC, when the transfer commits: the
	// ledger clock's time at the start of the CreateTransfers call (all
	// transfers of one call share it). Ignored on create.
	Timestamp time.Time
}

// Result is the outcome of one transfer of a CreateTransfers batch.
type Result struct {
	// Transfer is the committed transfer or, for an idempotent replay, the
	// originally committed one; zero on failure.
	Transfer Transfer
	// Err is nil on success, else a *pay.Error.
	Err error
}

// isPostOrVoid reports whether t resolves a pending transfer.
func (t *Transfer) isPostOrVoid() bool { return t.Flags&(PostPending|VoidPending) != 0 }

// sameRequest reports whether req, a new request, repeats the request that
// committed rec: every field but Timestamp and the Linked flag (which says
// where the transfer sat in its batch, not what it does) must be equal. For
// a post/void, fields the first request left empty are compared as empty.
func sameRequest(req *Transfer, rec *TransferRecord) bool {
	t := &rec.Transfer
	debit, credit, amount := t.DebitAccountID, t.CreditAccountID, t.Amount
	if rec.Implied&ImpliedDebitAccount != 0 {
		debit = ""
	}
	if rec.Implied&ImpliedCreditAccount != 0 {
		credit = ""
	}
	if rec.Implied&ImpliedAmount != 0 {
		amount = 0
	}
	return req.ID == t.ID &&
		req.DebitAccountID == debit &&
		req.CreditAccountID == credit &&
		req.Amount == amount &&
		req.PendingID == t.PendingID &&
		req.Timeout == t.Timeout &&
		req.Flags&^Linked == t.Flags&^Linked &&
		req.Code == t.Code &&
		req.UserData == t.UserData
}
