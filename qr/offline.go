package qr

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// TerminalConfig names an offline terminal and its merchant, and the
// adjustment rules it applies (the same the issuer applies online, if the
// prices are to agree).
type TerminalConfig struct {
	ID         string
	MerchantID string
	Rules      []Rule
}

// Terminal is the device side of offline payment: a POS that verifies
// cards against the key set it was provisioned with, deducts within its
// OfflineLimits, signs a Record of each deduction, hands back the card
// regenerated and signed by its own key, and later uploads its records as
// a Batch. The issuer must trust the terminal's key (RegisterTerminal).
// Safe for concurrent use.
type Terminal struct {
	cfg    TerminalConfig
	signer Signer
	keys   *KeySet
	limits OfflineLimits
	clock  pay.Clock

	mu          sync.Mutex
	pending     []Record
	perCard     map[string]usage // since the last settlement
	total       usage
	heads       map[string]uint64 // per card, the lowest sequence number still unused here
	number      uint64            // batches made
	lastSettled time.Time
}

type usage struct {
	amount int64
	count  int
}

// NewTerminal returns an offline terminal signing with signer and
// verifying cards against keys (the issuer's and the other terminals'
// keys). Its settlement clock starts now.
func NewTerminal(cfg TerminalConfig, signer Signer, keys *KeySet, limits OfflineLimits, clk pay.Clock) (*Terminal, error) {
	if err := checkID("terminal_id", cfg.ID); err != nil {
		return nil, err
	}
	if cfg.MerchantID == "" {
		return nil, errors.New("qr: a terminal needs its merchant ID")
	}
	if signer == nil || keys == nil || clk == nil {
		return nil, errors.New("qr: NewTerminal needs a signer, a key set and a clock")
	}
	if err := limits.Validate(); err != nil {
		return nil, err
	}
	for _, r := range cfg.Rules {
		if err := validateRule(r); err != nil {
			return nil, err
		}
	}
	if k, ok := keys.Key(signer.KeyID()); !ok || !k.Equal(signer.Public()) {
		return nil, errors.New("qr: the terminal's own key must be in its key set")
	}
	return &Terminal{cfg: cfg, signer: signer, keys: keys, limits: limits, clock: clk,
		perCard: map[string]usage{}, heads: map[string]uint64{}, lastSettled: clk.Now()}, nil
}

// ID returns the terminal's ID.
func (t *Terminal) ID() string { return t.cfg.ID }

// Deduct takes amount (before the rules) from a card offline and returns
// the regenerated card's text and the signed record. It refuses, changing
// nothing, a card that does not verify or is outside its validity window,
// an amount over the balance or in another currency, a card this terminal
// already saw at a later sequence number (ErrCardConflict), and anything
// over the offline limits (ErrOfflineLimit, Param names the limit).
func (t *Terminal) Deduct(ctx context.Context, cardText string, amount pay.Money, attrs map[string]string, location string) (string, Record, error) {
	if err := amount.ValidatePositive("amount"); err != nil {
		return "", Record{}, err
	}
	return t.deduct(ctx, cardText, amount, attrs, location)
}

// DeductUse takes one use from a use-limited card offline.
func (t *Terminal) DeductUse(ctx context.Context, cardText string) (string, Record, error) {
	return t.deduct(ctx, cardText, pay.Money{}, nil, "")
}

func (t *Terminal) deduct(ctx context.Context, cardText string, amount pay.Money, attrs map[string]string, location string) (string, Record, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	c, err := Decode(cardText, t.keys, now)
	if err != nil {
		return "", Record{}, err
	}
	if c.Seq < t.heads[c.ID] {
		return "", Record{}, pay.Errorf(ErrCardConflict, "card", "this terminal already took sequence number %d of the card", c.Seq)
	}
	if c.Balance.Currency != t.limits.Currency {
		return "", Record{}, pay.Errorf(ErrOfflineLimit, "currency", "offline deductions are limited to %s", t.limits.Currency)
	}
	if t.limits.MaxUnsettled > 0 && now.Sub(t.lastSettled) > t.limits.MaxUnsettled {
		return "", Record{}, pay.Errorf(ErrOfflineLimit, "max_unsettled", "the terminal must settle before deducting offline again")
	}
	rec := Record{TerminalID: t.cfg.ID, CardID: c.ID, Seq: c.Seq, Amount: pay.Money{Currency: c.Balance.Currency}, Time: now.UTC().Truncate(time.Second)}
	next := c
	next.Seq++
	if amount == (pay.Money{}) { // a use
		if c.Uses == UnlimitedUses || c.Uses == 0 {
			return "", Record{}, pay.Errorf(ErrCardNoUses, "uses", "the card has no uses to take")
		}
		rec.Uses = 1
		next.Uses--
	} else {
		if amount.Currency != c.Balance.Currency {
			return "", Record{}, pay.Errorf(ErrCardCurrency, "amount.currency", "the card holds %s, not %s", c.Balance.Currency, amount.Currency)
		}
		charged, _, err := applyRules(t.cfg.Rules, RuleInput{Card: c, MerchantID: t.cfg.MerchantID, Attributes: attrs, Location: location}, amount)
		if err != nil {
			return "", Record{}, err
		}
		if charged.Amount > c.Balance.Amount {
			return "", Record{}, pay.Errorf(ErrCardBalance, "amount", "%s exceeds the card's balance", charged)
		}
		if err := t.withinLimits(c.ID, charged.Amount); err != nil {
			return "", Record{}, err
		}
		rec.Amount = charged
		next.Balance.Amount -= charged.Amount
	}
	if err := t.withinCounts(c.ID); err != nil {
		return "", Record{}, err
	}
	text, err := Encode(ctx, next, t.signer)
	if err != nil {
		return "", Record{}, err
	}
	if err := rec.sign(ctx, t.signer); err != nil {
		return "", Record{}, err
	}
	t.pending = append(t.pending, rec)
	u := t.perCard[c.ID]
	u.amount += rec.Amount.Amount
	u.count++
	t.perCard[c.ID] = u
	t.total.amount += rec.Amount.Amount
	t.total.count++
	t.heads[c.ID] = next.Seq
	return text, rec, nil
}

// withinLimits checks an offline amount against the amount limits.
func (t *Terminal) withinLimits(cardID string, amount int64) error {
	l := t.limits
	switch {
	case amount > l.PerTransaction:
		return pay.Errorf(ErrOfflineLimit, "per_transaction", "the amount exceeds the offline per-transaction limit")
	case t.perCard[cardID].amount+amount > l.PerCardAmount:
		return pay.Errorf(ErrOfflineLimit, "per_card_amount", "the card's offline amount limit is reached")
	case t.total.amount+amount > l.PerTerminalAmount:
		return pay.Errorf(ErrOfflineLimit, "per_terminal_amount", "the terminal's offline amount limit is reached")
	}
	return nil
}

// withinCounts checks one more offline deduction against the count limits.
func (t *Terminal) withinCounts(cardID string) error {
	switch {
	case t.perCard[cardID].count+1 > t.limits.PerCardCount:
		return pay.Errorf(ErrOfflineLimit, "per_card_count", "the card's offline count limit is reached")
	case t.total.count+1 > t.limits.PerTerminalCount:
		return pay.Errorf(ErrOfflineLimit, "per_terminal_count", "the terminal's offline count limit is reached")
	}
	return nil
}

// Pending returns the records not yet settled, oldest first.
func (t *Terminal) Pending() []Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Record(nil), t.pending...)
}

// Batch returns the pending records as a new signed batch. The records stay
// pending until Settled: uploading the same records again is harmless (the
// issuer reports them as duplicates).
func (t *Terminal) Batch(ctx context.Context) (Batch, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := Batch{TerminalID: t.cfg.ID, Number: t.number + 1, Records: append([]Record(nil), t.pending...)}
	if err := b.sign(ctx, t.signer); err != nil {
		return Batch{}, err
	}
	t.number++
	return b, nil
}

// Settled takes the issuer's report of a batch: every record it lists
// (applied, duplicate, in conflict or rejected, all final) leaves the
// pending list and stops counting against the limits, and the settlement
// clock restarts.
func (t *Terminal) Settled(rep SettlementReport) {
	done := make([]Record, 0, len(rep.Applied)+len(rep.Duplicates)+len(rep.Conflicts)+len(rep.Rejected))
	done = append(done, rep.Applied...)
	done = append(done, rep.Duplicates...)
	for _, c := range rep.Conflicts {
		done = append(done, c.B)
	}
	for _, r := range rep.Rejected {
		done = append(done, r.Record)
	}
	type key struct {
		card string
		seq  uint64
	}
	byKey := make(map[key][]Record, len(done))
	for _, d := range done {
		if d.TerminalID == t.cfg.ID {
			byKey[key{d.CardID, d.Seq}] = append(byKey[key{d.CardID, d.Seq}], d)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	kept := t.pending[:0]
	for _, p := range t.pending {
		settled := false
		for _, d := range byKey[key{p.CardID, p.Seq}] {
			if p.same(d) {
				settled = true
				break
			}
		}
		if !settled {
			kept = append(kept, p)
			continue
		}
		u := t.perCard[p.CardID]
		u.amount -= p.Amount.Amount
		u.count--
		if u.count == 0 {
			delete(t.perCard, p.CardID)
		} else {
			t.perCard[p.CardID] = u
		}
		t.total.amount -= p.Amount.Amount
		t.total.count--
	}
	clear(t.pending[len(kept):])
	t.pending = kept
	t.lastSettled = t.clock.Now()
}
