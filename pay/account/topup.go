package account

import (
	"context"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// TopUpRequest credits a wallet from a top-up machine or a channel payment.
// The wallet is named by WalletID or, at a top-up machine, by a contactless
// Credential resolved by the platform's CredentialResolver.
type TopUpRequest struct {
	WalletID   string      `json:"wallet_id,omitempty"`
	Credential *Credential `json:"credential,omitempty"`
	Amount     pay.Money   `json:"amount"`
	Source     TopUpSource `json:"source"`                // machine or channel
	TerminalID string      `json:"terminal_id,omitempty"` // the top-up machine (required for machine)
	Reference  string      `json:"reference,omitempty"`   // e.g. the channel's payment ID (required for channel)
}

func (r TopUpRequest) validate() error {
	switch {
	case r.WalletID == "" && r.Credential == nil:
		return pay.Errorf(pay.ErrInvalidRequest, "wallet_id", "wallet_id or credential is required")
	case r.WalletID != "" && r.Credential != nil:
		return pay.Errorf(pay.ErrInvalidRequest, "credential", "give wallet_id or credential, not both")
	case r.Credential != nil && r.Source != SourceMachine:
		return pay.Errorf(pay.ErrInvalidRequest, "credential", "a credential tops up only at a machine (source %q)", SourceMachine)
	case r.WalletID != "":
		if err := checkID("wallet_id", r.WalletID, PrefixWallet); err != nil {
			return err
		}
	}
	if err := r.Amount.ValidatePositive("amount"); err != nil {
		return err
	}
	switch r.Source {
	case SourceMachine:
		if err := checkText("terminal_id", r.TerminalID, true, 64); err != nil {
			return err
		}
	case SourceChannel:
		if err := checkText("reference", r.Reference, true, 128); err != nil {
			return err
		}
	default:
		return pay.Errorf(pay.ErrInvalidRequest, "source", "source must be %q or %q", SourceMachine, SourceChannel)
	}
	if err := checkText("terminal_id", r.TerminalID, false, 64); err != nil {
		return err
	}
	return checkText("reference", r.Reference, false, 128)
}

// TopUp credits the wallet. The money comes from the source's clearing
// account in the ledger (cash held by machines, or receivables from a
// channel), so the books stay balanced.
func (p *Platform) TopUp(ctx context.Context, r TopUpRequest) (Transaction, error) {
	if err := r.validate(); err != nil {
		return Transaction{}, err
	}
	use := CredentialUse{Amount: r.Amount, TerminalID: r.TerminalID, TopUp: true}
	return p.onWallet(ctx, r.WalletID, r.Credential, use, func(walletID string) (Transaction, error) {
		return p.topUp(ctx, walletID, r)
	})
}

// topUp books a top-up of walletID.
func (p *Platform) topUp(ctx context.Context, walletID string, r TopUpRequest) (Transaction, error) {
	w, err := p.store.Wallet(ctx, walletID)
	if err != nil {
		return Transaction{}, err
	}
	if w.Currency != r.Amount.Currency {
		return Transaction{}, pay.Errorf(pay.ErrInvalidRequest, "amount.currency", "wallet holds %s, not %s", w.Currency, r.Amount.Currency)
	}
	src := topUpSourceAccount(r.Source, w.Currency)
	if err := p.ledger.CreateAccounts(ctx, ledger.Account{ID: src, Currency: w.Currency}); err != nil {
		return Transaction{}, err
	}
	t := Transaction{
		ID: pay.NewID(PrefixTransaction), Kind: KindTopUp, CustomerID: w.CustomerID, WalletID: w.ID,
		Amount: r.Amount, Source: r.Source, TerminalID: r.TerminalID, Reference: r.Reference,
		CreatedAt: p.clock.Now().UTC(),
	}
	if _, err := p.ledger.CreateTransfer(ctx, ledger.Transfer{
		ID: t.ID, DebitAccountID: src, CreditAccountID: w.ID, Amount: r.Amount.Amount, Code: CodeTopUp, UserData: r.Reference,
	}); err != nil {
		return Transaction{}, err
	}
	return t, nil
}

// record stamps the balances after the movement and stores the transaction.
func (p *Platform) record(ctx context.Context, t Transaction) (Transaction, error) {
	if t.WalletID != "" {
		if a, err := p.ledger.LookupAccount(ctx, t.WalletID); err == nil {
			after := pay.Money{Amount: a.Balance(), Currency: t.Amount.Currency}
			t.WalletAfter = &after
		}
	}
	if a, err := p.ledger.LookupAccount(ctx, pointsAccount(t.CustomerID)); err == nil {
		pts := a.Balance()
		t.PointsAfter = &pts
	}
	if err := p.store.AddTransaction(ctx, t); err != nil {
		return Transaction{}, err
	}
	return t, nil
}

// Transactions lists a wallet's transactions, oldest first.
func (p *Platform) Transactions(ctx context.Context, walletID string) ([]Transaction, error) {
	if _, err := p.Wallet(ctx, walletID); err != nil {
		return nil, err
	}
	return p.store.Transactions(ctx, walletID)
}
