package account

import (
	"context"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// ConsumeRequest is a purchase at a consumption machine (POS). The payer is
// named by exactly one of WalletID or Credential (a contactless credential,
// resolved by the platform's CredentialResolver).
type ConsumeRequest struct {
	WalletID   string      `json:"wallet_id,omitempty"`
	Credential *Credential `json:"credential,omitempty"`
	MerchantID string      `json:"merchant_id"`
	Amount     pay.Money   `json:"amount"`
	TerminalID string      `json:"terminal_id"`
	Reference  string      `json:"reference,omitempty"`
}

func (r ConsumeRequest) validate() error {
	switch {
	case r.WalletID == "" && r.Credential == nil:
		return pay.Errorf(pay.ErrInvalidRequest, "wallet_id", "wallet_id or credential is required")
	case r.WalletID != "" && r.Credential != nil:
		return pay.Errorf(pay.ErrInvalidRequest, "credential", "give wallet_id or credential, not both")
	case r.WalletID != "":
		if err := checkID("wallet_id", r.WalletID, PrefixWallet); err != nil {
			return err
		}
	}
	if err := checkID("merchant_id", r.MerchantID, PrefixMerchant); err != nil {
		return err
	}
	if err := r.Amount.ValidatePositive("amount"); err != nil {
		return err
	}
	if err := checkText("terminal_id", r.TerminalID, true, 64); err != nil {
		return err
	}
	return checkText("reference", r.Reference, false, 128)
}

// Consume debits the wallet, credits the merchant and earns points under
// the currency's points rule, as one linked ledger batch: all of it happens
// or none of it does. A wallet without enough money fails with
// pay.ErrInsufficientFunds and nothing changes. Paid by credential, the
// resolver approves and records the credential's use first; if the movement
// then fails, the use is reversed, so it counts against no limit.
func (p *Platform) Consume(ctx context.Context, r ConsumeRequest) (Transaction, error) {
	if err := r.validate(); err != nil {
		return Transaction{}, err
	}
	if _, err := p.Merchant(ctx, r.MerchantID); err != nil {
		return Transaction{}, err
	}
	use := CredentialUse{Amount: r.Amount, MerchantID: r.MerchantID, TerminalID: r.TerminalID}
	return p.onWallet(ctx, r.WalletID, r.Credential, use, func(walletID string) (Transaction, error) {
		return p.consume(ctx, walletID, r)
	})
}

// consume books a consumption from walletID.
func (p *Platform) consume(ctx context.Context, walletID string, r ConsumeRequest) (Transaction, error) {
	w, err := p.store.Wallet(ctx, walletID)
	if err != nil {
		return Transaction{}, err
	}
	if w.Currency != r.Amount.Currency {
		return Transaction{}, pay.Errorf(pay.ErrInvalidRequest, "amount.currency", "wallet holds %s, not %s", w.Currency, r.Amount.Currency)
	}
	merchant := MerchantLedgerAccount(r.MerchantID, w.Currency)
	if err := p.ledger.CreateAccounts(ctx, ledger.Account{ID: merchant, Currency: w.Currency}); err != nil {
		return Transaction{}, err
	}
	t := Transaction{
		ID: pay.NewID(PrefixTransaction), Kind: KindConsumption, CustomerID: w.CustomerID, WalletID: w.ID,
		MerchantID: r.MerchantID, Amount: r.Amount, TerminalID: r.TerminalID, Reference: r.Reference,
		CreatedAt: p.clock.Now().UTC(),
	}
	if rule, ok := p.rules[w.Currency]; ok {
		t.Points = rule.Earned(r.Amount)
	}
	transfers := []ledger.Transfer{{
		ID: t.ID, DebitAccountID: w.ID, CreditAccountID: merchant, Amount: r.Amount.Amount, Code: CodeConsumption, UserData: r.TerminalID,
	}}
	if t.Points > 0 {
		transfers = append(transfers, ledger.Transfer{
			ID: t.ID + ":points", DebitAccountID: pointsIssuedAccount, CreditAccountID: pointsAccount(w.CustomerID),
			Amount: t.Points, Code: CodePointsEarned, UserData: t.ID,
		})
	}
	if _, err := p.ledger.CreateLinked(ctx, transfers...); err != nil {
		return Transaction{}, err
	}
	return t, nil
}
