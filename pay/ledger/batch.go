package ledger

import (
	"math"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// batch carries one CreateTransfers call into the store transaction. Batches
// are pooled, and fn is bound once, so that passing the work to Store.Update
// allocates nothing.
type batch struct {
	l      *Ledger
	fn     func(Tx) error // b.run
	in     []Transfer
	out    []Result
	one    [1]Transfer // in and out for CreateTransfer
	oneOut [1]Result
}

// release returns b to the pool, dropping references to the caller's data.
func (b *batch) release() {
	b.in, b.out = nil, nil
	b.one[0], b.oneOut[0] = Transfer{}, Result{}
	b.l.batches.Put(b)
}

// run is the transaction body of CreateTransfers: expire what is due, then
// commit each transfer or linked chain. It returns an error only when the
// store fails, which undoes the whole batch.
func (b *batch) run(tx Tx) error {
	now := b.l.now()
	nowNs := now.UnixNano()
	if _, err := expireDue(tx, nowNs); err != nil {
		return err
	}
	in, out := b.in, b.out
	for i := 0; i < len(in); {
		if in[i].Flags&Linked == 0 {
			t, e, err := create(tx, &in[i], now, nowNs)
			if err != nil {
				return err
			}
			if e != nil {
				out[i] = Result{Err: e}
				if err := burn(tx, &in[i], e); err != nil {
					return err
				}
			} else {
				out[i] = Result{Transfer: t}
			}
			i++
			continue
		}
		end := i // the chain is in[i:end+1]
		for end < len(in)-1 && in[end].Flags&Linked != 0 {
			end++
		}
		if err := runChain(tx, in[i:end+1], out[i:end+1], now, nowNs); err != nil {
			return err
		}
		i = end + 1
	}
	return nil
}

// runChain commits the linked chain in, all or nothing. If its last transfer
// is still Linked, the chain is open and fails.
func runChain(tx Tx, in []Transfer, out []Result, now time.Time, nowNs int64) error {
	sp, err := tx.Savepoint()
	if err != nil {
		return err
	}
	failed := -1
	var cause *pay.Error
	for k := range in {
		if k == len(in)-1 && in[k].Flags&Linked != 0 {
			failed, cause = k, fail(ErrLinkedEventChainOpen, "flags", "the last transfer of the batch is linked")
			break
		}
		t, e, err := create(tx, &in[k], now, nowNs)
		if err != nil {
			return err
		}
		if e != nil {
			failed, cause = k, e
			break
		}
		out[k] = Result{Transfer: t}
	}
	if failed < 0 {
		return nil
	}
	if err := tx.RollbackTo(sp); err != nil {
		return err
	}
	linked := fail(ErrLinkedEventFailed, "", "another transfer in the linked chain failed")
	for k := range out {
		out[k] = Result{Err: linked}
	}
	out[failed] = Result{Err: cause}
	return burn(tx, &in[failed], cause)
}

// burn records that t's ID failed with e, if e depends on the ledger's state.
func burn(tx Tx, t *Transfer, e *pay.Error) error {
	if !burns(e) {
		return nil
	}
	return tx.PutTransfer(t.ID, TransferRecord{Failure: failureOf(e)})
}

// create commits one transfer: it checks everything first and writes only
// when the transfer will commit. e is the transfer's failure; err a store
// failure.
func create(tx Tx, t *Transfer, now time.Time, nowNs int64) (_ Transfer, e *pay.Error, err error) {
	if !validID(t.ID) {
		return Transfer{}, fail(ErrInvalidID, "id", "transfer id must be 1 to 128 bytes"), nil
	}
	rec, found, err := tx.Transfer(t.ID)
	if err != nil {
		return Transfer{}, nil, err
	}
	if found {
		if rec.Failure != nil {
			return Transfer{}, rec.Failure.replay(), nil
		}
		if sameRequest(t, &rec) {
			return rec.Transfer, nil, nil
		}
		return Transfer{}, fail(ErrExistsWithDifferentFields, "id", "transfer id already used with different fields"), nil
	}
	if t.Flags&^transferFlagsMask != 0 {
		return Transfer{}, fail(ErrInvalidFlags, "flags", "unknown transfer flags"), nil
	}
	if t.isPostOrVoid() {
		return resolve(tx, t, now, nowNs)
	}
	if e := validatePlain(t, nowNs); e != nil {
		return Transfer{}, e, nil
	}

	dr, cr, e, err := accountsOf(tx, t.DebitAccountID, t.CreditAccountID)
	if e != nil || err != nil {
		return Transfer{}, e, err
	}
	if dr.Currency != cr.Currency {
		return Transfer{}, fail(ErrCurrencyMismatch, "currency", "debit and credit accounts hold different currencies"), nil
	}
	amt := t.Amount
	if amt > math.MaxInt64-(dr.DebitsPending+dr.DebitsPosted) || amt > math.MaxInt64-(cr.CreditsPending+cr.CreditsPosted) {
		return Transfer{}, fail(ErrOverflow, "amount", "a balance would overflow"), nil
	}
	if dr.Flags&DebitsMustNotExceedCredits != 0 && dr.DebitsPending+dr.DebitsPosted+amt > dr.CreditsPosted {
		return Transfer{}, fail(ErrExceedsCredits, "amount", "debit account's debits would exceed its credits"), nil
	}
	if cr.Flags&CreditsMustNotExceedDebits != 0 && cr.CreditsPending+cr.CreditsPosted+amt > cr.DebitsPosted {
		return Transfer{}, fail(ErrExceedsDebits, "amount", "credit account's credits would exceed its debits"), nil
	}

	rec = TransferRecord{Transfer: *t}
	rec.Transfer.Timestamp = now
	if t.Flags&Pending != 0 {
		dr.DebitsPending += amt
		cr.CreditsPending += amt
		rec.State = PendingActive
	} else {
		dr.DebitsPosted += amt
		cr.CreditsPosted += amt
	}
	if err := tx.PutAccount(dr); err != nil {
		return Transfer{}, nil, err
	}
	if err := tx.PutAccount(cr); err != nil {
		return Transfer{}, nil, err
	}
	if err := tx.PutTransfer(t.ID, rec); err != nil {
		return Transfer{}, nil, err
	}
	if t.Timeout > 0 {
		if err := tx.AddExpiry(t.ID, nowNs+int64(t.Timeout)); err != nil {
			return Transfer{}, nil, err
		}
	}
	return rec.Transfer, nil, nil
}

// validatePlain checks the shape of a posted or pending transfer.
func validatePlain(t *Transfer, nowNs int64) *pay.Error {
	switch {
	case !validID(t.DebitAccountID):
		return fail(ErrInvalidID, "debit_account_id", "debit account id must be 1 to 128 bytes")
	case !validID(t.CreditAccountID):
		return fail(ErrInvalidID, "credit_account_id", "credit account id must be 1 to 128 bytes")
	case t.DebitAccountID == t.CreditAccountID:
		return fail(ErrAccountsMustBeDifferent, "credit_account_id", "debit and credit accounts must differ")
	case t.PendingID != "":
		return fail(ErrInvalidPendingID, "pending_id", "pending_id is only for post and void transfers")
	case t.Timeout < 0:
		return fail(ErrInvalidTimeout, "timeout", "timeout must not be negative")
	case t.Timeout != 0 && t.Flags&Pending == 0:
		return fail(ErrInvalidTimeout, "timeout", "timeout is only for pending transfers")
	case t.Timeout > 0 && nowNs > math.MaxInt64-int64(t.Timeout):
		return fail(ErrInvalidTimeout, "timeout", "timeout is too large")
	case t.Amount <= 0:
		return fail(ErrInvalidAmount, "amount", "amount must be positive")
	case len(t.UserData) > maxUserDataLen:
		return fail(ErrUserDataTooLong, "user_data", "user_data must be at most 256 bytes")
	}
	return nil
}

// accountsOf looks up a transfer's debit and credit accounts.
func accountsOf(tx Tx, debit, credit string) (dr, cr Account, e *pay.Error, err error) {
	dr, ok, err := tx.Account(debit)
	if err != nil {
		return dr, cr, nil, err
	}
	if !ok {
		return dr, cr, fail(ErrAccountNotFound, "debit_account_id", "debit account not found"), nil
	}
	cr, ok, err = tx.Account(credit)
	if err != nil {
		return dr, cr, nil, err
	}
	if !ok {
		return dr, cr, fail(ErrAccountNotFound, "credit_account_id", "credit account not found"), nil
	}
	return dr, cr, nil, nil
}
