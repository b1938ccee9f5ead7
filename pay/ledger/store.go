package ledger

import "context"

// Store keeps a Ledger's accounts, transfers and pending-expiry index. It is
// deliberately narrow so that a SQL database can implement it: Update is a
// serializable read-write transaction, View a read-only one. NewMemStore is
// the in-memory implementation.
type Store interface {
	// Update runs fn in an exclusive, atomic transaction: if fn returns an
	// error (or panics), every write made through tx is undone and Update
	// returns that error. tx must not be used after fn returns.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction that sees a consistent state;
	// writes through tx fail. Views may run concurrently with each other.
	View(ctx context.Context, fn func(tx Tx) error) error
}

// Tx reads and writes one Store transaction. Values go in and out by copy.
// The bool results report whether the key exists; an error is a store
// failure and aborts the ledger operation.
type Tx interface {
	// Account returns the account with the given ID.
	Account(id string) (Account, bool, error)
	// PutAccount creates or replaces the account with ID a.ID.
	PutAccount(a Account) error
	// ForEachAccount calls fn for every account, in no particular order,
	// stopping at fn's first error.
	ForEachAccount(fn func(Account) error) error

	// Transfer returns the record kept for a transfer ID: a committed
	// transfer, or the failure of its first attempt.
	Transfer(id string) (TransferRecord, bool, error)
	// PutTransfer creates or replaces the record for transfer ID id.
	PutTransfer(id string, r TransferRecord) error

	// AddExpiry indexes the pending transfer id as expiring at deadline
	// (Unix nanoseconds).
	AddExpiry(id string, deadline int64) error
	// PopExpired removes from the expiry index and returns one entry whose
	// deadline is at or before now (Unix nanoseconds), earliest first; ok is
	// false when there is none. The index is a hint: the ledger checks each
	// entry against the transfer's record, so an entry for a transfer that
	// was since resolved (or rolled back) is harmless.
	PopExpired(now int64) (id string, deadline int64, ok bool, err error)

	// Savepoint marks the current state of the transaction so that
	// RollbackTo can return to it (a linked chain that fails is undone
	// without undoing the rest of its batch). Savepoints live until the end
	// of the transaction.
	Savepoint() (int, error)
	// RollbackTo undoes every write made since Savepoint returned sp, and
	// releases sp and every later savepoint.
	RollbackTo(sp int) error
}

// PendingState is the state of a Pending transfer.
type PendingState uint8

const (
	// NotPending is the state of every transfer that is not Pending.
	NotPending PendingState = iota
	// PendingActive: the amount is reserved, waiting for a post or void.
	PendingActive
	// PendingPosted: a PostPending transfer posted it.
	PendingPosted
	// PendingVoided: a VoidPending transfer released it.
	PendingVoided
	// PendingExpired: its timeout passed and the reservation was released.
	PendingExpired
)

// ImpliedFields records which fields of a post/void request were left empty
// and filled in from the pending transfer, so that a repeat of the request
// can be compared with the request as first given.
type ImpliedFields uint8

const (
	// ImpliedDebitAccount: DebitAccountID was empty.
	ImpliedDebitAccount ImpliedFields = 1 << iota
	// ImpliedCreditAccount: CreditAccountID was empty.
	ImpliedCreditAccount
	// ImpliedAmount: Amount was 0.
	ImpliedAmount
)

// TransferRecord is what a Store keeps per transfer ID.
type TransferRecord struct {
	// Transfer is the committed transfer; zero when Failure is set.
	Transfer Transfer
	// State is the state of a Pending transfer; NotPending otherwise.
	State PendingState
	// Implied says, for a post/void, which fields the ledger filled in.
	Implied ImpliedFields
	// Failure is set when the ID's first attempt failed for a reason that
	// depends on the ledger's state; the ID then stays failed.
	Failure *Failure
}

// deadline returns when a pending transfer expires, in Unix nanoseconds, or
// 0 if it never does.
func (r *TransferRecord) deadline() int64 {
	if r.Transfer.Timeout <= 0 {
		return 0
	}
	return r.Transfer.Timestamp.UnixNano() + int64(r.Transfer.Timeout)
}
