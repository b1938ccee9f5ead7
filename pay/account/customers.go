package account

import (
	"context"
	"errors"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// CreateCustomer registers a customer and opens their points account.
// Phone, when given, must be E.164 ("+8613800138000").
func (p *Platform) CreateCustomer(ctx context.Context, name, phone string) (Customer, error) {
	if err := checkText("name", name, true, 200); err != nil {
		return Customer{}, err
	}
	if phone != "" && !pay.IsE164(phone) {
		return Customer{}, pay.Errorf(pay.ErrInvalidRequest, "phone", "phone must be E.164, e.g. +8613800138000")
	}
	c := Customer{ID: pay.NewID(PrefixCustomer), Name: name, Phone: phone, CreatedAt: p.clock.Now().UTC()}
	if err := p.ledger.CreateAccounts(ctx,
		ledger.Account{ID: pointsIssuedAccount, Currency: PointsUnit},
		ledger.Account{ID: pointsAccount(c.ID), Currency: PointsUnit, Flags: ledger.DebitsMustNotExceedCredits},
	); err != nil {
		return Customer{}, err
	}
	if err := p.store.CreateCustomer(ctx, c); err != nil {
		return Customer{}, err
	}
	return c, nil
}

// Customer returns a customer.
func (p *Platform) Customer(ctx context.Context, id string) (Customer, error) {
	if err := checkID("customer_id", id, PrefixCustomer); err != nil {
		return Customer{}, err
	}
	return p.store.Customer(ctx, id)
}

// OpenWallet opens the customer's wallet in currency; a customer has at
// most one wallet per currency (a second is pay.ErrConflict).
func (p *Platform) OpenWallet(ctx context.Context, customerID, currency string) (Wallet, error) {
	if _, err := p.Customer(ctx, customerID); err != nil {
		return Wallet{}, err
	}
	if _, err := pay.CurrencyExponent(currency); err != nil {
		return Wallet{}, err
	}
	w := Wallet{ID: pay.NewID(PrefixWallet), CustomerID: customerID, Currency: currency, CreatedAt: p.clock.Now().UTC()}
	if err := p.ledger.CreateAccounts(ctx, ledger.Account{ID: w.ID, Currency: currency, Flags: ledger.DebitsMustNotExceedCredits}); err != nil {
		return Wallet{}, err
	}
	if err := p.store.CreateWallet(ctx, w); err != nil {
		return Wallet{}, err
	}
	return p.withBalance(ctx, w)
}

// Wallet returns a wallet with its current balance.
func (p *Platform) Wallet(ctx context.Context, id string) (Wallet, error) {
	if err := checkID("wallet_id", id, PrefixWallet); err != nil {
		return Wallet{}, err
	}
	w, err := p.store.Wallet(ctx, id)
	if err != nil {
		return Wallet{}, err
	}
	return p.withBalance(ctx, w)
}

// Wallets lists a customer's wallets with balances.
func (p *Platform) Wallets(ctx context.Context, customerID string) ([]Wallet, error) {
	if _, err := p.Customer(ctx, customerID); err != nil {
		return nil, err
	}
	ws, err := p.store.Wallets(ctx, customerID)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		if ws[i], err = p.withBalance(ctx, ws[i]); err != nil {
			return nil, err
		}
	}
	return ws, nil
}

func (p *Platform) withBalance(ctx context.Context, w Wallet) (Wallet, error) {
	a, err := p.ledger.LookupAccount(ctx, w.ID)
	if err != nil {
		return Wallet{}, err
	}
	w.Balance = pay.Money{Amount: a.Balance(), Currency: w.Currency}
	w.Available = pay.Money{Amount: a.Available(), Currency: w.Currency}
	return w, nil
}

// CreateMerchant registers a merchant that can receive consumption and bill
// payments.
func (p *Platform) CreateMerchant(ctx context.Context, name string) (Merchant, error) {
	if err := checkText("name", name, true, 200); err != nil {
		return Merchant{}, err
	}
	m := Merchant{ID: pay.NewID(PrefixMerchant), Name: name, CreatedAt: p.clock.Now().UTC()}
	if err := p.store.CreateMerchant(ctx, m); err != nil {
		return Merchant{}, err
	}
	return m, nil
}

// Merchant returns a merchant.
func (p *Platform) Merchant(ctx context.Context, id string) (Merchant, error) {
	if err := checkID("merchant_id", id, PrefixMerchant); err != nil {
		return Merchant{}, err
	}
	return p.store.Merchant(ctx, id)
}

// MerchantBalance returns what the merchant has received in currency.
func (p *Platform) MerchantBalance(ctx context.Context, merchantID, currency string) (pay.Money, error) {
	if _, err := p.Merchant(ctx, merchantID); err != nil {
		return pay.Money{}, err
	}
	if _, err := pay.CurrencyExponent(currency); err != nil {
		return pay.Money{}, err
	}
	a, err := p.ledger.LookupAccount(ctx, MerchantLedgerAccount(merchantID, currency))
	if err != nil {
		if errors.Is(err, pay.ErrNotFound) {
			return pay.Money{Currency: currency}, nil
		}
		return pay.Money{}, err
	}
	return pay.Money{Amount: a.Balance(), Currency: currency}, nil
}
