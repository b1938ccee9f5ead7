// Package flows holds the example flows that both their own `go run`
// example and the tour run, so the two never drift apart.
package flows

import (
	"context"
	"errors"
	"fmt"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
)

// Account runs the account-platform flow through the public clients: an
// operator registers merchants, a merchant backend registers a customer and
// a bill, a top-up machine credits the wallet, a POS charges it and points
// are earned, the customer pays the bill, and an overdraft is refused.
func Account(ctx context.Context, srv *paytest.Server) error {
	operator := account.NewClient(srv.AdminClient)
	merchant := account.NewClient(srv.Client)
	device := account.NewClient(srv.DeviceClient)
	cny := func(s string) pay.Money { m, _ := pay.ParseMoney(s, "CNY"); return m }

	shop, err := operator.CreateMerchant(ctx, "Lakeside Coffee")
	if err != nil {
		return err
	}
	water, err := operator.CreateMerchant(ctx, "City Water")
	if err != nil {
		return err
	}
	fmt.Printf("operator: registered merchants %q and %q\n", shop.Name, water.Name)

	cus, err := merchant.CreateCustomer(ctx, account.CreateCustomerRequest{Name: "Li Lei", Phone: "+8613800138000"})
	if err != nil {
		return err
	}
	wallet, err := merchant.OpenWallet(ctx, cus.ID, "CNY")
	if err != nil {
		return err
	}
	fmt.Printf("merchant backend: customer %s opened a %s wallet, balance %s\n", cus.Name, wallet.Currency, wallet.Balance)

	top, err := device.TopUp(ctx, account.TopUpRequest{WalletID: wallet.ID, Amount: cny("100.00"), Source: account.SourceMachine, TerminalID: "topup-kiosk-1"})
	if err != nil {
		return err
	}
	fmt.Printf("top-up machine: +%s → wallet %s\n", top.Amount, top.WalletAfter)

	buy, err := device.Consume(ctx, account.ConsumeRequest{WalletID: wallet.ID, MerchantID: shop.ID, Amount: cny("32.50"), TerminalID: "pos-3", Reference: "latte x2"})
	if err != nil {
		return err
	}
	fmt.Printf("POS: charged %s at %s → wallet %s, earned %d points (now %d)\n", buy.Amount, shop.Name, buy.WalletAfter, buy.Points, *buy.PointsAfter)

	bill, err := merchant.CreateBill(ctx, account.CreateBillRequest{CustomerID: cus.ID, MerchantID: water.ID, Amount: cny("45.80"), Description: "Water, October"})
	if err != nil {
		return err
	}
	arrears, err := device.Bills(ctx, cus.ID, account.BillOutstanding)
	if err != nil {
		return err
	}
	fmt.Printf("arrears: %d outstanding bill(s); %q %s\n", len(arrears), bill.Description, bill.Amount)

	paid, err := device.PayBill(ctx, bill.ID, wallet.ID)
	if err != nil {
		return err
	}
	arrears, err = device.Bills(ctx, cus.ID, account.BillOutstanding)
	if err != nil {
		return err
	}
	w, err := device.Wallet(ctx, wallet.ID)
	if err != nil {
		return err
	}
	fmt.Printf("bill %s: %s; outstanding now %d; wallet %s\n", paid.Description, paid.Status, len(arrears), w.Balance)

	_, err = device.Consume(ctx, account.ConsumeRequest{WalletID: wallet.ID, MerchantID: shop.ID, Amount: cny("500.00"), TerminalID: "pos-3"})
	if !errors.Is(err, pay.ErrInsufficientFunds) {
		return fmt.Errorf("overdraft: want insufficient_funds, got %v", err)
	}
	if w2, _ := device.Wallet(ctx, wallet.ID); w2.Balance != w.Balance {
		return fmt.Errorf("overdraft changed the wallet: %s → %s", w.Balance, w2.Balance)
	}
	fmt.Printf("POS: 500.00 CNY refused (%s); wallet still %s\n", err.(*pay.Error).Code, w.Balance)

	got, err := merchant.MerchantBalance(ctx, shop.ID, "CNY")
	if err != nil {
		return err
	}
	pts, err := device.Points(ctx, cus.ID)
	if err != nil {
		return err
	}
	fmt.Printf("books: %s received %s; %s holds %d points\n", shop.Name, got, cus.Name, pts.Points)
	return nil
}
