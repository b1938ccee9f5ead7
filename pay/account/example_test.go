package account_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
)

// The engine embedded directly: top up, consume with points, overdraw.
func ExamplePlatform_Consume() {
	ctx := context.Background()
	p, _ := account.New(account.WithPointsRule(account.PointsRule{Currency: "CNY", Every: 100, Points: 1}))
	shop, _ := p.CreateMerchant(ctx, "Lakeside Coffee")
	cus, _ := p.CreateCustomer(ctx, "Li Lei", "+8613800138000")
	w, _ := p.OpenWallet(ctx, cus.ID, "CNY")
	_, _ = p.TopUp(ctx, account.TopUpRequest{WalletID: w.ID, Amount: pay.Money{Amount: 50_00, Currency: "CNY"}, Source: account.SourceMachine, TerminalID: "kiosk-1"})

	txn, _ := p.Consume(ctx, account.ConsumeRequest{WalletID: w.ID, MerchantID: shop.ID, Amount: pay.Money{Amount: 18_80, Currency: "CNY"}, TerminalID: "pos-1"})
	fmt.Println("wallet:", txn.WalletAfter, "points earned:", txn.Points)

	_, err := p.Consume(ctx, account.ConsumeRequest{WalletID: w.ID, MerchantID: shop.ID, Amount: pay.Money{Amount: 40_00, Currency: "CNY"}, TerminalID: "pos-1"})
	fmt.Println(errors.Is(err, pay.ErrInsufficientFunds))
	// Output:
	// wallet: 31.20 CNY points earned: 18
	// true
}

// A bill (arrears) listed, paid from a wallet, and cleared.
func ExamplePlatform_PayBill() {
	ctx := context.Background()
	p, _ := account.New()
	water, _ := p.CreateMerchant(ctx, "City Water")
	cus, _ := p.CreateCustomer(ctx, "Li Lei", "")
	w, _ := p.OpenWallet(ctx, cus.ID, "CNY")
	_, _ = p.TopUp(ctx, account.TopUpRequest{WalletID: w.ID, Amount: pay.Money{Amount: 100_00, Currency: "CNY"}, Source: account.SourceChannel, Reference: "alipay_2026112200001"})
	bill, _ := p.CreateBill(ctx, account.CreateBillRequest{CustomerID: cus.ID, MerchantID: water.ID, Amount: pay.Money{Amount: 45_80, Currency: "CNY"}})

	owed, _ := p.Bills(ctx, cus.ID, account.BillOutstanding)
	fmt.Println("outstanding:", len(owed))
	paid, _ := p.PayBill(ctx, bill.ID, w.ID)
	owed, _ = p.Bills(ctx, cus.ID, account.BillOutstanding)
	w, _ = p.Wallet(ctx, w.ID)
	fmt.Println(paid.Status, "outstanding:", len(owed), "wallet:", w.Balance)
	// Output:
	// outstanding: 1
	// paid outstanding: 0 wallet: 54.20 CNY
}

// A POS charging a wallet over HTTP with a device key.
func ExampleClient_Consume() {
	ctx := context.Background()
	srv, _ := paytest.NewServer()
	defer srv.Close()
	demo, _ := srv.Seed(ctx) // a wallet with 100.00 CNY

	pos := account.NewClient(srv.DeviceClient)
	txn, err := pos.Consume(ctx, account.ConsumeRequest{
		WalletID: demo.WalletID, MerchantID: demo.MerchantID,
		Amount: pay.Money{Amount: 12_50, Currency: "CNY"}, TerminalID: "pos-3",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(txn.Kind, txn.Amount, "→", txn.WalletAfter, "+", txn.Points, "points")
	// Output:
	// consumption 12.50 CNY → 87.50 CNY + 12 points
}
