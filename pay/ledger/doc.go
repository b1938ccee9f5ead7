// Package ledger is the double-entry engine every money movement in the paykit
// reference backend goes through. It follows TigerBeetle's semantics, with
// string IDs instead of 128-bit integers so that callers can use IDs such as
// "wal_…" or "topup_<idempotency key>".
//
// Why a ledger instead of updating balances in place: every movement is a
// Transfer that debits one Account and credits another by the same amount in
// the same currency, so for every currency the sum of all debits always equals
// the sum of all credits (see Ledger.Totals), every balance can be explained
// by the transfers that produced it, and a retried request can never move
// money twice.
//
// The rules, as in TigerBeetle:
//
//   - Accounts carry four counters: debits and credits, each pending and
//     posted. An account flagged DebitsMustNotExceedCredits (a customer
//     wallet) rejects a debit that would take DebitsPending + DebitsPosted
//     above CreditsPosted; CreditsMustNotExceedDebits is the mirror image.
//     A rejected transfer fails with pay.ErrInsufficientFunds and changes
//     nothing.
//   - A Pending transfer reserves its amount (DebitsPending/CreditsPending)
//     until a PostPending transfer posts all or part of it, a VoidPending
//     transfer releases it, or its Timeout passes by the injected clock and it
//     expires. Each pending transfer is resolved exactly once.
//   - Transfer IDs are idempotency keys. Repeating a transfer with the same ID
//     and the same fields (Timestamp and the Linked flag aside) returns the
//     originally committed transfer and moves nothing; the same ID with
//     different fields fails with
//     pay.ErrIdempotencyConflict. An ID whose first attempt failed because of
//     the ledger's state (insufficient funds, an unknown account, a pending
//     transfer already resolved, ...) fails the same way forever, so that a
//     retry cannot succeed later by surprise; a request rejected for its own
//     shape (zero amount, bad flags, ...) does not use up its ID.
//   - Transfers joined by the Linked flag form a chain that commits all or
//     nothing (CreateTransfers, CreateLinked).
//
// Errors are *pay.Error values whose kind (pay.ErrInsufficientFunds,
// pay.ErrNotFound, ...) and ledger cause (ErrExceedsCredits, ...) both match
// with errors.Is.
//
// The Ledger keeps its state in a Store: NewMemStore by default, and the
// Store/Tx interfaces are narrow enough for a SQL database. A Ledger is safe
// for concurrent use; each CreateTransfers call runs in one exclusive store
// transaction.
package ledger
