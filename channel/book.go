package channel

import (
	"context"

	"github.com/paykit-go/paykit/pay/ledger"
)

// Ledger transfer codes the aggregator books with, after the account
// platform's (1–5).
const (
	// CodeChannelCharge moves a succeeded charge from the channel's
	// clearing account to the merchant.
	CodeChannelCharge uint16 = 16
	// CodeChannelRefund moves a refund back from the merchant to the
	// channel's clearing account: pending while the provider works on it,
	// posted on success, voided on failure.
	CodeChannelRefund uint16 = 17
)

// clearingAccount is the ledger account of money a channel collected for
// us and owes (a receivable: it runs negative as charges succeed and is
// squared by the channel's settlement).
func clearingAccount(channel, currency string) string {
	return "channel:" + channel + ":" + currency
}

func (a *Aggregator) ensureAccounts(ctx context.Context, p *Payment) (clearing, merchant string, err error) {
	cur := p.Amount.Currency
	clearing, merchant = clearingAccount(p.Channel, cur), a.merchant(p.MerchantID, cur)
	err = a.ledger.CreateAccounts(ctx,
		ledger.Account{ID: clearing, Currency: cur},
		ledger.Account{ID: merchant, Currency: cur},
	)
	return clearing, merchant, err
}

// bookCharge credits the merchant for a succeeded payment. Idempotent by
// payment ID, so booking twice is harmless.
func (a *Aggregator) bookCharge(ctx context.Context, p *Payment) error {
	clearing, merchant, err := a.ensureAccounts(ctx, p)
	if err != nil {
		return err
	}
	_, err = a.ledger.CreateTransfer(ctx, ledger.Transfer{
		ID: "charge:" + p.ID, DebitAccountID: clearing, CreditAccountID: merchant,
		Amount: p.Amount.Amount, Code: CodeChannelCharge, UserData: p.Channel,
	})
	return err
}

// reserveRefund books a refund as pending while the provider works on it.
func (a *Aggregator) reserveRefund(ctx context.Context, p *Payment, r RefundRecord) error {
	clearing, merchant, err := a.ensureAccounts(ctx, p)
	if err != nil {
		return err
	}
	_, err = a.ledger.CreateTransfer(ctx, ledger.Transfer{
		ID: "refund:" + r.ID, DebitAccountID: merchant, CreditAccountID: clearing,
		Amount: r.Amount.Amount, Flags: ledger.Pending, Code: CodeChannelRefund, UserData: p.ID,
	})
	return err
}

// settleRefund posts (ok) or voids the pending refund transfer.
func (a *Aggregator) settleRefund(ctx context.Context, r RefundRecord, ok bool) error {
	t := ledger.Transfer{ID: "refund-void:" + r.ID, PendingID: "refund:" + r.ID, Flags: ledger.VoidPending, Code: CodeChannelRefund}
	if ok {
		t.ID, t.Flags = "refund-post:"+r.ID, ledger.PostPending
	}
	_, err := a.ledger.CreateTransfer(ctx, t)
	return err
}
