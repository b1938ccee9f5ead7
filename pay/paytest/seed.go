package paytest

import (
	"context"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
)

// Demo names the records Seed creates.
type Demo struct {
	MerchantID string
	BillerID   string
	CustomerID string
	WalletID   string
	BillID     string
}

// Seed creates demo data through the engines: a coffee shop, a utility
// (biller), a customer with a CNY wallet topped up with 100.00 CNY at a
// top-up machine, and an outstanding 35.00 CNY utility bill.
func (b *Backend) Seed(ctx context.Context) (Demo, error) {
	p := b.Platform
	shop, err := p.CreateMerchant(ctx, "Demo Coffee")
	if err != nil {
		return Demo{}, err
	}
	utility, err := p.CreateMerchant(ctx, "City Water & Power")
	if err != nil {
		return Demo{}, err
	}
	cus, err := p.CreateCustomer(ctx, "Li Lei", "+8613800138000")
	if err != nil {
		return Demo{}, err
	}
	w, err := p.OpenWallet(ctx, cus.ID, "CNY")
	if err != nil {
		return Demo{}, err
	}
	if _, err := p.TopUp(ctx, account.TopUpRequest{
		WalletID: w.ID, Amount: pay.Money{Amount: 100_00, Currency: "CNY"}, Source: account.SourceMachine, TerminalID: "topup-kiosk-1",
	}); err != nil {
		return Demo{}, err
	}
	bill, err := p.CreateBill(ctx, account.CreateBillRequest{
		CustomerID: cus.ID, MerchantID: utility.ID, Amount: pay.Money{Amount: 35_00, Currency: "CNY"}, Description: "Water, October",
	})
	if err != nil {
		return Demo{}, err
	}
	return Demo{MerchantID: shop.ID, BillerID: utility.ID, CustomerID: cus.ID, WalletID: w.ID, BillID: bill.ID}, nil
}
