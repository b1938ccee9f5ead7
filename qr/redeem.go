package qr

import (
	"context"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/ledger"
)

// RedeemRequest is an online payment with a card at a POS. Exactly one of
// three things is deducted: Amount from the card's balance; one use
// (OneUse, no amount); or Amount charged to the card's designated account
// (ChargeAccount), leaving the balance untouched.
type RedeemRequest struct {
	// Card is the card's QR text as scanned.
	Card       string    `json:"card"`
	MerchantID string    `json:"merchant_id"`
	TerminalID string    `json:"terminal_id"`
	Amount     pay.Money `json:"amount"`
	OneUse     bool      `json:"one_use,omitempty"`
	// ChargeAccount charges Amount to the designated account.
	ChargeAccount bool `json:"charge_account,omitempty"`
	// Attributes are holder attributes the POS presents to the rules
	// (e.g. "tier": "gold").
	Attributes map[string]string `json:"attributes,omitempty"`
	// Location is where the payment happens, for regional prices.
	Location string `json:"location,omitempty"`
}

// Receipt is the answer of a redemption: the regenerated card (updated
// balance or uses, the next sequence number, signed again by the issuer)
// and what was deducted.
type Receipt struct {
	Card Card   `json:"card"`
	Text string `json:"text"`
	Kind Kind   `json:"kind"`
	// Seq is the sequence number the redemption consumed.
	Seq        uint64 `json:"seq"`
	MerchantID string `json:"merchant_id"`
	TerminalID string `json:"terminal_id"`
	// Requested is the amount asked for, before the rules.
	Requested pay.Money `json:"requested"`
	// Charged is what was deducted (or charged to the account) after the
	// rules; zero for a use.
	Charged     pay.Money    `json:"charged"`
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// Reference is the Charger's reference for a ChargeAccount redemption.
	Reference string    `json:"reference,omitempty"`
	Time      time.Time `json:"time"`
	// Duplicate is true when this answers a repeat of a redemption already
	// made (same card, sequence number, terminal and amount).
	Duplicate bool `json:"duplicate,omitempty"`
}

func (r *RedeemRequest) kind() Kind {
	switch {
	case r.OneUse:
		return KindUse
	case r.ChargeAccount:
		return KindCharge
	}
	return KindAmount
}

func (r *RedeemRequest) validate() error {
	if r.Card == "" {
		return pay.Errorf(pay.ErrInvalidRequest, "card", "card is required")
	}
	if err := checkText("merchant_id", r.MerchantID, 64); err != nil {
		return err
	}
	if err := checkText("terminal_id", r.TerminalID, 64); err != nil {
		return err
	}
	if r.Location != "" {
		if err := checkText("location", r.Location, 64); err != nil {
			return err
		}
	}
	if len(r.Attributes) > 16 {
		return pay.Errorf(pay.ErrInvalidRequest, "attributes", "at most 16 attributes")
	}
	switch {
	case r.OneUse && r.ChargeAccount:
		return pay.Errorf(pay.ErrInvalidRequest, "one_use", "give one_use or charge_account, not both")
	case r.OneUse:
		if r.Amount != (pay.Money{}) {
			return pay.Errorf(pay.ErrInvalidRequest, "amount", "a use takes no amount")
		}
		return nil
	}
	return r.Amount.ValidatePositive("amount")
}

// present verifies a card's text at the issuer's clock and loads its record;
// a validly signed card that disagrees with the record is refused.
func (i *Issuer) present(ctx context.Context, text string) (Card, error) {
	c, err := Decode(text, i.keys, i.clock.Now())
	if err != nil {
		return Card{}, err
	}
	st, err := i.store.Card(ctx, c.ID)
	if err != nil {
		return Card{}, err
	}
	if c.Holder != st.Holder || c.Token != st.Token || c.Balance.Currency != st.Currency {
		return Card{}, pay.Errorf(ErrCardMismatch, "card", "the card does not match the issuer's record")
	}
	return c, nil
}

// checkOnline applies the sequence rule to an online deduction of c: a
// consumed sequence number is a duplicate (same returns true) or a conflict;
// a number below the card's head was consumed offline by someone already.
func checkOnline(st *CardState, c Card, same func(*Consumption) bool) (*Consumption, error) {
	if prev, ok := st.consumption(c.Seq); ok {
		if same(prev) {
			return prev, nil
		}
		return nil, pay.Errorf(ErrCardConflict, "card", "sequence number %d of the card was already used", c.Seq)
	}
	if c.Seq < st.Head {
		return nil, pay.Errorf(ErrCardConflict, "card", "the card already passed sequence number %d", c.Seq)
	}
	if st.Spent {
		return nil, pay.Errorf(ErrCardSpent, "card", "the card was transferred and is spent")
	}
	return nil, nil
}

// ledgerHas reports whether the card's ledger account holds amount. Every
// debit of a card account happens under the card's lock, so the answer
// holds until the lock is released; checking first keeps a refused
// deduction from using up its transfer ID.
func (i *Issuer) ledgerHas(ctx context.Context, cardID string, amount int64) (bool, error) {
	a, err := i.ledger.LookupAccount(ctx, CardAccount(cardID))
	if err != nil {
		return false, err
	}
	return a.Balance() >= amount, nil
}

// Redeem makes an online payment with a card: it verifies the card at the
// issuer's clock, applies the adjustment rules, deducts an amount, a use
// or a charge to the designated account, consumes the card's sequence
// number, and returns the regenerated card. A refused redemption changes
// nothing; repeating a redemption returns its receipt again (Duplicate).
func (i *Issuer) Redeem(ctx context.Context, r RedeemRequest) (Receipt, error) {
	if err := r.validate(); err != nil {
		return Receipt{}, err
	}
	kind := r.kind()
	if kind == KindCharge && i.charger == nil {
		return Receipt{}, pay.Errorf(pay.ErrInvalidRequest, "charge_account", "this issuer cannot charge designated accounts")
	}
	c, err := i.present(ctx, r.Card)
	if err != nil {
		return Receipt{}, err
	}
	charged, adj := r.Amount, []Adjustment(nil)
	switch kind {
	case KindUse:
		charged = pay.Money{Currency: c.Balance.Currency}
		if c.Uses == UnlimitedUses {
			return Receipt{}, pay.Errorf(ErrCardNoUses, "one_use", "the card is not use-limited")
		}
		if c.Uses == 0 {
			return Receipt{}, pay.Errorf(ErrCardNoUses, "one_use", "the card has no uses left")
		}
	default:
		if r.Amount.Currency != c.Balance.Currency {
			return Receipt{}, pay.Errorf(ErrCardCurrency, "amount.currency", "the card holds %s, not %s", c.Balance.Currency, r.Amount.Currency)
		}
		in := RuleInput{Card: c, MerchantID: r.MerchantID, Attributes: r.Attributes, Location: r.Location}
		if charged, adj, err = applyRules(i.rules, in, r.Amount); err != nil {
			return Receipt{}, err
		}
		if kind == KindAmount && charged.Amount > c.Balance.Amount {
			return Receipt{}, pay.Errorf(ErrCardBalance, "amount", "%s exceeds the card's balance", charged)
		}
	}
	same := func(p *Consumption) bool {
		rc := p.Receipt
		return p.Online && rc != nil && p.Kind == kind && rc.TerminalID == r.TerminalID &&
			rc.MerchantID == r.MerchantID && rc.Requested == r.Amount
	}
	var out Receipt
	_, err = i.store.UpdateCard(ctx, c.ID, func(st *CardState) error {
		dup, err := checkOnline(st, c, same)
		if err != nil {
			return err
		}
		if dup != nil {
			out = *dup.Receipt
			out.Duplicate = true
			return errNoChange
		}
		next := c
		next.Seq++
		switch kind {
		case KindAmount:
			next.Balance.Amount -= charged.Amount
		case KindUse:
			next.Uses--
		}
		text, err := Encode(ctx, next, i.signer)
		if err != nil {
			return err
		}
		next.KeyID = i.signer.KeyID()
		now := i.clock.Now().UTC()
		out = Receipt{
			Card: next, Text: text, Kind: kind, Seq: c.Seq, MerchantID: r.MerchantID, TerminalID: r.TerminalID,
			Requested: r.Amount, Charged: charged, Adjustments: adj, Time: now,
		}
		switch kind {
		case KindAmount:
			if err := i.deduct(ctx, c.ID, c.Seq, r.MerchantID, charged, CodeRedeem, r.TerminalID); err != nil {
				return err
			}
		case KindCharge:
			if out.Reference, err = i.charger.Charge(ctx, ChargeRequest{
				Token: c.Token, Amount: charged, MerchantID: r.MerchantID, TerminalID: r.TerminalID, CardID: c.ID, Seq: c.Seq,
			}); err != nil {
				return err
			}
		}
		rec := Record{TerminalID: r.TerminalID, CardID: c.ID, Seq: c.Seq, Amount: charged, Time: now.Truncate(time.Second)}
		if kind == KindUse {
			rec.Uses = 1
		}
		if kind == KindCharge {
			rec.Amount = pay.Money{Currency: c.Balance.Currency} // the card's balance was untouched
		}
		receipt := out
		st.consume(Consumption{Kind: kind, Online: true, Record: rec, Receipt: &receipt})
		st.Current = text
		return nil
	})
	if err == errNoChange {
		return out, nil
	}
	if err != nil {
		return Receipt{}, err
	}
	return out, nil
}

// errNoChange ends an UpdateCard without saving: the answer is already
// known (an idempotent duplicate).
var errNoChange = pay.Errorf(pay.ErrConflict, "", "no change")

// deduct moves amount from the card's account to the merchant's, under the
// card's lock, as the ledger transfer named by the card and sequence number.
func (i *Issuer) deduct(ctx context.Context, cardID string, seq uint64, merchantID string, amount pay.Money, code uint16, ref string) error {
	ok, err := i.ledgerHas(ctx, cardID, amount.Amount)
	if err != nil {
		return err
	}
	if !ok {
		return pay.Errorf(ErrCardBalance, "amount", "the issuer's books hold less than %s on the card", amount)
	}
	merchant := account.MerchantLedgerAccount(merchantID, amount.Currency)
	if err := i.ledger.CreateAccounts(ctx, ledger.Account{ID: merchant, Currency: amount.Currency}); err != nil {
		return err
	}
	_, err = i.ledger.CreateTransfer(ctx, ledger.Transfer{
		ID: transferID(cardID, seq), DebitAccountID: CardAccount(cardID), CreditAccountID: merchant,
		Amount: amount.Amount, Code: code, UserData: ref,
	})
	return err
}
