package alipay

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// A QR-code charge against the local fake gateway: the adapter signs
// alipay.trade.precreate, verifies the signed answer and returns the code
// to show; once the payer has paid, a query reports it.
func ExampleChannel_CreateCharge() {
	fake := startFake()
	defer fake.srv.Close()
	c, err := fake.newChannel() // New(Config{...}, WithBaseURL(fake URL), ...)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	ch, err := c.CreateCharge(ctx, channel.ChargeRequest{
		ChargeID:    "order_1001",
		Scenario:    channel.ScenarioQR,
		Amount:      pay.Money{Amount: 1234, Currency: "CNY"},
		Description: "Coffee",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.Status, ch.Amount, strings.HasPrefix(ch.Action.QRCode, "https://qr.alipay.com/"))

	fake.payTrade("order_1001", 1234) // the payer scans and pays
	got, err := c.QueryCharge(ctx, "order_1001")
	fmt.Println(got.Status, got.Amount, err)
	// Output:
	// pending 12.34 CNY true
	// succeeded 12.34 CNY <nil>
}

// A notification endpoint: ParseCallback verifies Alipay's signed form and
// Acknowledge answers "success", which stops Alipay's retries. A copy that
// arrives again is answered "success" too but is not handed on.
func ExampleChannel_ParseCallback() {
	fake := startFake()
	defer fake.srv.Close()
	c, err := fake.newChannel()
	if err != nil {
		fmt.Println(err)
		return
	}
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := c.ParseCallback(r)
		if err == nil {
			fmt.Println(ev.Type, ev.ChargeID, ev.Amount)
		}
		c.Acknowledge(w, err)
	}))
	defer merchant.Close()

	notice := fake.notification(map[string]string{
		"notify_type": "trade_status_sync", "trade_status": "TRADE_SUCCESS",
		"out_trade_no": "order_1001", "trade_no": "2026030122001400000000000001", "total_amount": "12.34",
	})
	for range 2 {
		status, body, err := postNotification(merchant.URL, notice)
		fmt.Println(status, body, err)
	}
	// Output:
	// charge.succeeded order_1001 12.34 CNY
	// 200 success <nil>
	// 200 success <nil>
}
