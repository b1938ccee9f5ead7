package qr

import (
	"context"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// IssueRequest asks for a new card.
type IssueRequest struct {
	Holder string `json:"holder"`
	// Token is the designated account as a payment token (never a raw
	// account number).
	Token   string    `json:"token"`
	Balance pay.Money `json:"balance"`
	// Uses is the number of uses the card carries; 0 or UnlimitedUses
	// make a card that is not use-limited.
	Uses int `json:"uses,omitempty"`
	// Validity is how long the card is valid from now (whole seconds on the
	// wire: "validity_seconds").
	Validity time.Duration `json:"-"`
}

// Issued is a card and its QR text.
type Issued struct {
	Card Card   `json:"card"`
	Text string `json:"text"`
}

// maxValidity is the longest validity a card may be issued with.
const maxValidity = 10 * 366 * 24 * time.Hour

// Issue creates a card signed by the issuer and loads its balance: the
// float account of its currency is debited and the card's account (which
// can never go below zero) credited, in the ledger.
func (i *Issuer) Issue(ctx context.Context, r IssueRequest) (Issued, error) {
	if r.Validity < time.Second || r.Validity > maxValidity {
		return Issued{}, pay.Errorf(pay.ErrInvalidRequest, "validity_seconds", "validity must be 1 second to 10 years")
	}
	if r.Uses == 0 {
		r.Uses = UnlimitedUses
	}
	now := i.clock.Now().UTC().Truncate(time.Second)
	c := Card{
		ID: NewCardID(), Holder: r.Holder, Token: r.Token, Balance: r.Balance, Uses: r.Uses,
		NotBefore: now, Expires: now.Add(r.Validity.Truncate(time.Second)), Seq: 1,
	}
	if err := c.Validate(); err != nil {
		return Issued{}, err
	}
	text, err := Encode(ctx, c, i.signer)
	if err != nil {
		return Issued{}, err
	}
	c.KeyID = i.signer.KeyID()
	cur := r.Balance.Currency
	// The card's record comes first: it claims the card ID, the one step
	// that can fail for a well-formed request. Should booking fail after it,
	// the card holds no money in the ledger, so it pays nothing.
	st := CardState{
		ID: c.ID, Holder: c.Holder, Token: c.Token, Currency: cur, Expires: c.Expires,
		IssuedAt: now, Head: c.Seq, Current: text,
	}
	if err := i.store.CreateCard(ctx, st); err != nil {
		return Issued{}, err
	}
	if err := i.ledger.CreateAccounts(ctx,
		ledger.Account{ID: FloatAccount(cur), Currency: cur},
		ledger.Account{ID: CardAccount(c.ID), Currency: cur, Flags: ledger.DebitsMustNotExceedCredits},
	); err != nil {
		return Issued{}, err
	}
	if r.Balance.Amount > 0 {
		if _, err := i.ledger.CreateTransfer(ctx, ledger.Transfer{
			ID: "qr:issue:" + c.ID, DebitAccountID: FloatAccount(cur), CreditAccountID: CardAccount(c.ID),
			Amount: r.Balance.Amount, Code: CodeIssue,
		}); err != nil {
			return Issued{}, err
		}
	}
	return Issued{Card: c, Text: text}, nil
}

// checkText validates a required short free-text field (see pay.CheckText).
func checkText(param, s string, max int) error {
	return pay.CheckText(param, s, true, max)
}
