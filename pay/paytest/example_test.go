package paytest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
)

// Start the reference backend, seed demo data and call it with each role's
// ready client.
func ExampleNewServer() {
	ctx := context.Background()
	srv, err := paytest.NewServer(paytest.WithStartTime(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	demo, _ := srv.Seed(ctx)

	w, _ := account.NewClient(srv.DeviceClient).Wallet(ctx, demo.WalletID)
	fmt.Println("wallet:", w.Balance)

	// A device key may not call merchant routes.
	_, err = account.NewClient(srv.DeviceClient).CreateCustomer(ctx, account.CreateCustomerRequest{Name: "Mallory"})
	fmt.Println(errors.Is(err, pay.ErrForbidden))

	_ = srv.Advance(time.Hour)
	fmt.Println(srv.Now().Format(time.RFC3339))
	// Output:
	// wallet: 100.00 CNY
	// true
	// 2026-11-22T10:00:00Z
}
