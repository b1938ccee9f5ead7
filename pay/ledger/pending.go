package ledger

import (
	"time"

	"github.com/paykit-go/paykit/pay"
)

// resolve commits a PostPending or VoidPending transfer t: it moves the
// pending transfer's reservation to posted (all or part of it) or releases
// it, and stores t with the accounts and amount filled in.
func resolve(tx Tx, t *Transfer, now time.Time, nowNs int64) (Transfer, *pay.Error, error) {
	post := t.Flags&PostPending != 0
	if e := validateResolve(t, post); e != nil {
		return Transfer{}, e, nil
	}
	prec, found, err := tx.Transfer(t.PendingID)
	if err != nil {
		return Transfer{}, nil, err
	}
	if !found || prec.Failure != nil {
		return Transfer{}, fail(ErrPendingNotFound, "pending_id", "pending transfer not found"), nil
	}
	p := &prec.Transfer
	if p.Flags&Pending == 0 {
		return Transfer{}, fail(ErrPendingNotPending, "pending_id", "the transfer named by pending_id is not pending"), nil
	}
	var implied ImpliedFields
	switch t.DebitAccountID {
	case "":
		implied |= ImpliedDebitAccount
	case p.DebitAccountID:
	default:
		return Transfer{}, fail(ErrPendingDifferentAccount, "debit_account_id", "debit account differs from the pending transfer's"), nil
	}
	switch t.CreditAccountID {
	case "":
		implied |= ImpliedCreditAccount
	case p.CreditAccountID:
	default:
		return Transfer{}, fail(ErrPendingDifferentAccount, "credit_account_id", "credit account differs from the pending transfer's"), nil
	}
	amount := t.Amount
	switch {
	case amount == 0:
		amount = p.Amount
		implied |= ImpliedAmount
	case post && amount > p.Amount:
		return Transfer{}, fail(ErrExceedsPendingAmount, "amount", "amount exceeds the pending amount"), nil
	case !post && amount != p.Amount:
		return Transfer{}, fail(ErrPendingDifferentAmount, "amount", "a void must name the pending amount or 0"), nil
	}

	switch prec.State {
	case PendingPosted:
		return Transfer{}, fail(ErrPendingAlreadyPosted, "pending_id", "pending transfer already posted"), nil
	case PendingVoided:
		return Transfer{}, fail(ErrPendingAlreadyVoided, "pending_id", "pending transfer already voided"), nil
	case PendingExpired:
		return Transfer{}, fail(ErrPendingExpired, "pending_id", "pending transfer expired"), nil
	}
	if dl := prec.deadline(); dl != 0 && dl <= nowNs {
		// Not yet swept (a Store whose expiry index lags): expire it now.
		if err := expire(tx, &prec); err != nil {
			return Transfer{}, nil, err
		}
		return Transfer{}, fail(ErrPendingExpired, "pending_id", "pending transfer expired"), nil
	}

	dr, cr, e, err := accountsOf(tx, p.DebitAccountID, p.CreditAccountID)
	if e != nil || err != nil {
		return Transfer{}, e, err
	}
	// Posting at most the reserved amount cannot overflow: the account's
	// pending+posted sum does not grow.
	dr.DebitsPending -= p.Amount
	cr.CreditsPending -= p.Amount
	if post {
		dr.DebitsPosted += amount
		cr.CreditsPosted += amount
		prec.State = PendingPosted
	} else {
		prec.State = PendingVoided
	}
	if err := tx.PutAccount(dr); err != nil {
		return Transfer{}, nil, err
	}
	if err := tx.PutAccount(cr); err != nil {
		return Transfer{}, nil, err
	}
	if err := tx.PutTransfer(t.PendingID, prec); err != nil {
		return Transfer{}, nil, err
	}
	rec := TransferRecord{Transfer: *t, Implied: implied}
	rec.Transfer.DebitAccountID = p.DebitAccountID
	rec.Transfer.CreditAccountID = p.CreditAccountID
	rec.Transfer.Amount = amount
	rec.Transfer.Timestamp = now
	if err := tx.PutTransfer(t.ID, rec); err != nil {
		return Transfer{}, nil, err
	}
	return rec.Transfer, nil, nil
}

// validateResolve checks the shape of a post/void transfer.
func validateResolve(t *Transfer, post bool) *pay.Error {
	switch {
	case t.Flags&Pending != 0 || (post && t.Flags&VoidPending != 0):
		return fail(ErrInvalidFlags, "flags", "pending, post_pending and void_pending exclude each other")
	case !validID(t.PendingID) || t.PendingID == t.ID:
		return fail(ErrInvalidPendingID, "pending_id", "pending_id must name another transfer")
	case len(t.DebitAccountID) > maxIDLen:
		return fail(ErrInvalidID, "debit_account_id", "debit account id must be at most 128 bytes")
	case len(t.CreditAccountID) > maxIDLen:
		return fail(ErrInvalidID, "credit_account_id", "credit account id must be at most 128 bytes")
	case t.DebitAccountID != "" && t.DebitAccountID == t.CreditAccountID:
		return fail(ErrAccountsMustBeDifferent, "credit_account_id", "debit and credit accounts must differ")
	case t.Timeout != 0:
		return fail(ErrInvalidTimeout, "timeout", "timeout is only for pending transfers")
	case t.Amount < 0:
		return fail(ErrInvalidAmount, "amount", "amount must not be negative")
	case len(t.UserData) > maxUserDataLen:
		return fail(ErrUserDataTooLong, "user_data", "user_data must be at most 256 bytes")
	}
	return nil
}

// expire releases the reservation of the active pending transfer rec and
// marks it expired.
func expire(tx Tx, rec *TransferRecord) error {
	p := &rec.Transfer
	dr, cr, e, err := accountsOf(tx, p.DebitAccountID, p.CreditAccountID)
	if err != nil {
		return err
	}
	if e == nil {
		dr.DebitsPending -= p.Amount
		cr.CreditsPending -= p.Amount
		if err := tx.PutAccount(dr); err != nil {
			return err
		}
		if err := tx.PutAccount(cr); err != nil {
			return err
		}
	}
	rec.State = PendingExpired
	return tx.PutTransfer(p.ID, *rec)
}

// expireDue expires every active pending transfer whose deadline is at or
// before now (Unix nanoseconds) and returns how many it expired. With
// nothing due it costs one look at the top of the expiry index.
func expireDue(tx Tx, now int64) (int, error) {
	n := 0
	for {
		id, _, ok, err := tx.PopExpired(now)
		if err != nil || !ok {
			return n, err
		}
		rec, found, err := tx.Transfer(id)
		if err != nil {
			return n, err
		}
		if !found || rec.Failure != nil || rec.State != PendingActive {
			continue // resolved since, or rolled back: a stale entry
		}
		if dl := rec.deadline(); dl == 0 || dl > now {
			continue // a stale entry of an ID that was created again
		}
		if err := expire(tx, &rec); err != nil {
			return n, err
		}
		n++
	}
}
