package qr

import (
	"context"
	"errors"

	"github.com/paykit-go/paykit/pay"
)

// SettlementReport says what became of each record of a batch. Every record
// lands in exactly one list.
type SettlementReport struct {
	TerminalID string `json:"terminal_id"`
	Number     uint64 `json:"number"`
	// Applied records were booked now.
	Applied []Record `json:"applied"`
	// Duplicates were booked before (a re-uploaded batch or record).
	Duplicates []Record `json:"duplicates"`
	// Conflicts are double spends: the record's sequence number was
	// consumed by another deduction. Only A was ever booked.
	Conflicts []Conflict `json:"conflicts"`
	// Rejected records failed a check; none of them was booked.
	Rejected []Rejection `json:"rejected"`
}

// Conflict is a double spend: A consumed the card's sequence number first
// (online or offline) and was booked; B, made on a copy of the same card,
// was not.
type Conflict struct {
	A Record `json:"a"`
	B Record `json:"b"`
}

// Rejection is a record settlement refused, with the reason's error code
// (e.g. "record_bad_signature", "card_insufficient_balance").
type Rejection struct {
	Record  Record `json:"record"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Settle applies an offline terminal's batch. The batch's signature is
// checked first, under the key the terminal was registered with: an unknown
// terminal or a bad signature refuses the whole batch and nothing changes.
// Then each record on its own: its signature, the issuer's offline limits,
// the card, then, under the card's lock, the sequence rule. A record whose
// sequence number is free is booked in the ledger (card → the terminal's
// merchant, transfer ID from card ID and sequence number); one whose number
// was consumed by the same deduction is a duplicate; by another, a
// conflict. Records may settle in any order. Safe to call concurrently
// with overlapping batches: each record is booked at most once.
func (i *Issuer) Settle(ctx context.Context, b Batch) (SettlementReport, error) {
	t, err := i.store.Terminal(ctx, b.TerminalID)
	if err != nil {
		return SettlementReport{}, err
	}
	if len(b.Records) > MaxBatchRecords {
		return SettlementReport{}, malformed("records", "too many records in one batch")
	}
	if !b.Verify(t.PublicKey) {
		return SettlementReport{}, pay.Errorf(ErrBatchSignature, "signature", "the batch signature does not verify under the terminal's key")
	}
	rep := SettlementReport{TerminalID: b.TerminalID, Number: b.Number,
		Applied: []Record{}, Duplicates: []Record{}, Conflicts: []Conflict{}, Rejected: []Rejection{}}
	for _, r := range b.Records {
		if err := ctx.Err(); err != nil {
			return SettlementReport{}, err
		}
		out, other, err := i.settleOne(ctx, t, r)
		switch {
		case err != nil:
			var pe *pay.Error
			if !errors.As(err, &pe) || pe.Code == pay.ErrInternal.Code {
				return SettlementReport{}, err // the store or ledger failed: stop, retry later
			}
			rep.Rejected = append(rep.Rejected, Rejection{Record: r, Reason: pe.Code, Message: pe.Message})
		case out == outApplied:
			rep.Applied = append(rep.Applied, r)
		case out == outDuplicate:
			rep.Duplicates = append(rep.Duplicates, r)
		default:
			rep.Conflicts = append(rep.Conflicts, Conflict{A: other, B: r})
		}
	}
	return rep, nil
}

type outcome int

const (
	outApplied outcome = iota
	outDuplicate
	outConflict
)

// checkRecord runs the checks of one record that need no lock.
func (i *Issuer) checkRecord(t TerminalInfo, r Record) error {
	switch {
	case r.TerminalID != t.ID:
		return pay.Errorf(ErrRecordMalformed, "terminal_id", "the record names another terminal than its batch")
	case !r.Verify(t.PublicKey):
		return pay.Errorf(ErrRecordSignature, "signature", "the record signature does not verify under the terminal's key")
	case (r.Uses == 1) == (r.Amount.Amount > 0):
		return pay.Errorf(ErrRecordMalformed, "amount", "a record deducts either an amount or one use")
	case r.Seq == 0:
		return pay.Errorf(ErrRecordMalformed, "seq", "sequence numbers start at 1")
	case r.Amount.Currency != i.limits.Currency && r.Amount.Amount > 0:
		return pay.Errorf(ErrOfflineLimit, "amount.currency", "offline deductions are limited to %s", i.limits.Currency)
	case r.Amount.Amount > i.limits.PerTransaction:
		return pay.Errorf(ErrOfflineLimit, "amount", "the record exceeds the per-transaction offline limit")
	}
	return nil
}

// settleOne applies one record. other is the record a conflict is with.
func (i *Issuer) settleOne(ctx context.Context, t TerminalInfo, r Record) (out outcome, other Record, err error) {
	if err := i.checkRecord(t, r); err != nil {
		return 0, Record{}, err
	}
	_, err = i.store.UpdateCard(ctx, r.CardID, func(st *CardState) error {
		if r.Amount.Currency != st.Currency {
			return pay.Errorf(ErrCardCurrency, "amount.currency", "the card holds %s, not %s", st.Currency, r.Amount.Currency)
		}
		if prev, ok := st.consumption(r.Seq); ok {
			if !prev.Online && prev.Record.same(r) {
				out = outDuplicate
			} else {
				out, other = outConflict, prev.Record
			}
			return errNoChange
		}
		if r.Amount.Amount > 0 {
			if err := i.deduct(ctx, r.CardID, r.Seq, t.MerchantID, r.Amount, CodeSettle, r.TerminalID); err != nil {
				return err
			}
		}
		kind := KindAmount
		if r.Uses == 1 {
			kind = KindUse
		}
		st.consume(Consumption{Kind: kind, Record: r})
		out = outApplied
		return nil
	})
	if err == errNoChange {
		return out, other, nil
	}
	return out, other, err
}
