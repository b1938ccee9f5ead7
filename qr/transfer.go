package qr

import (
	"context"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// TransferRequest moves value from a card to a new card of another holder.
type TransferRequest struct {
	// Card is the giving card's QR text.
	Card     string `json:"card"`
	ToHolder string `json:"to_holder"`
	// ToToken is the recipient's designated account as a payment token:
	// the recipient's card must not charge the giver's account.
	ToToken string `json:"to_token"`
	// Amount to move; zero moves the whole balance.
	Amount pay.Money `json:"amount"`
}

// TransferResult is the recipient's new card (naming the giver as
// PrevHolder) and, after a partial transfer, the giver's regenerated card.
type TransferResult struct {
	Recipient Issued  `json:"recipient"`
	Remainder *Issued `json:"remainder,omitempty"`
	// Seq is the giving card's sequence number the transfer consumed.
	Seq    uint64    `json:"seq"`
	Amount pay.Money `json:"amount"`
	// Duplicate is true when this answers a repeat of a transfer already
	// made.
	Duplicate bool `json:"duplicate,omitempty"`
}

func (r *TransferRequest) validate() error {
	if r.Card == "" {
		return pay.Errorf(pay.ErrInvalidRequest, "card", "card is required")
	}
	if r.ToToken == "" {
		return pay.Errorf(pay.ErrInvalidRequest, "to_token", "to_token is required")
	}
	if r.Amount != (pay.Money{}) {
		return r.Amount.ValidatePositive("amount")
	}
	return nil
}

// Transfer moves all or part of a card's value to a new card for ToHolder.
// The value moves card to card in the ledger; the giving card's sequence
// number is consumed, so the old card is spent (an old copy presented again
// is a conflict); a partial transfer returns the giver's regenerated card
// with the rest. A full transfer also hands over the card's remaining
// uses; a partial one gives the recipient a card that is not use-limited.
// Repeating a transfer returns its result again (Duplicate).
func (i *Issuer) Transfer(ctx context.Context, r TransferRequest) (TransferResult, error) {
	if err := r.validate(); err != nil {
		return TransferResult{}, err
	}
	c, err := i.present(ctx, r.Card)
	if err != nil {
		return TransferResult{}, err
	}
	amount := r.Amount
	if amount == (pay.Money{}) {
		amount = c.Balance
	}
	switch {
	case amount.Currency != c.Balance.Currency:
		return TransferResult{}, pay.Errorf(ErrCardCurrency, "amount.currency", "the card holds %s, not %s", c.Balance.Currency, amount.Currency)
	case amount.Amount <= 0:
		return TransferResult{}, pay.Errorf(ErrCardBalance, "amount", "the card holds no value to transfer")
	case amount.Amount > c.Balance.Amount:
		return TransferResult{}, pay.Errorf(ErrCardBalance, "amount", "%s exceeds the card's balance", amount)
	}
	full := amount.Amount == c.Balance.Amount
	same := func(p *Consumption) bool {
		t := p.Transfer
		return p.Online && t != nil && p.Kind == KindTransfer && t.Recipient.Card.Holder == r.ToHolder &&
			t.Recipient.Card.Token == r.ToToken && t.Amount == amount
	}
	var out TransferResult
	_, err = i.store.UpdateCard(ctx, c.ID, func(st *CardState) error {
		dup, err := checkOnline(st, c, same)
		if err != nil {
			return err
		}
		if dup != nil {
			out = *dup.Transfer
			out.Duplicate = true
			return errNoChange
		}
		now := i.clock.Now().UTC().Truncate(time.Second)
		to := Card{
			ID: NewCardID(), Holder: r.ToHolder, Token: r.ToToken, Balance: amount, Uses: UnlimitedUses,
			NotBefore: now, Expires: c.Expires, Seq: 1, PrevHolder: c.Holder,
		}
		if full {
			to.Uses = c.Uses
		}
		if err := to.Validate(); err != nil {
			return err
		}
		toText, err := Encode(ctx, to, i.signer)
		if err != nil {
			return err
		}
		to.KeyID = i.signer.KeyID()
		out = TransferResult{Recipient: Issued{Card: to, Text: toText}, Seq: c.Seq, Amount: amount}
		if !full {
			rest := c
			rest.Seq++
			rest.Balance.Amount -= amount.Amount
			text, err := Encode(ctx, rest, i.signer)
			if err != nil {
				return err
			}
			rest.KeyID = i.signer.KeyID()
			out.Remainder = &Issued{Card: rest, Text: text}
		}
		// The recipient's record first: it claims the new card ID. Should the
		// booking then fail, that card holds nothing in the ledger and pays
		// nothing, and the giver's card is unchanged.
		if err := i.store.CreateCard(ctx, CardState{
			ID: to.ID, Holder: to.Holder, PrevHolder: to.PrevHolder, Token: to.Token, Currency: amount.Currency,
			Expires: to.Expires, IssuedAt: now, Head: to.Seq, Current: toText,
		}); err != nil {
			return err
		}
		if err := i.moveValue(ctx, c.ID, c.Seq, to.ID, amount); err != nil {
			return err
		}
		res := out
		st.consume(Consumption{Kind: KindTransfer, Online: true, Transfer: &res,
			Record: Record{TerminalID: "transfer", CardID: c.ID, Seq: c.Seq, Amount: amount, Time: now}})
		st.Current, st.Spent = "", full
		if out.Remainder != nil {
			st.Current = out.Remainder.Text
		}
		return nil
	})
	if err == errNoChange {
		return out, nil
	}
	if err != nil {
		return TransferResult{}, err
	}
	return out, nil
}

// moveValue books amount from one card's account to a new card's, as the
// transfer that consumes the giver's sequence number.
func (i *Issuer) moveValue(ctx context.Context, fromID string, seq uint64, toID string, amount pay.Money) error {
	ok, err := i.ledgerHas(ctx, fromID, amount.Amount)
	if err != nil {
		return err
	}
	if !ok {
		return pay.Errorf(ErrCardBalance, "amount", "the issuer's books hold less than %s on the card", amount)
	}
	if err := i.ledger.CreateAccounts(ctx, ledger.Account{ID: CardAccount(toID), Currency: amount.Currency, Flags: ledger.DebitsMustNotExceedCredits}); err != nil {
		return err
	}
	_, err = i.ledger.CreateTransfer(ctx, ledger.Transfer{
		ID: transferID(fromID, seq), DebitAccountID: CardAccount(fromID), CreditAccountID: CardAccount(toID),
		Amount: amount.Amount, Code: CodeTransfer, UserData: toID,
	})
	return err
}
