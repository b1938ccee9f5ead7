package channel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/sandbox"
	"github.com/paykit-go/paykit/pay"
)

// An aggregator with one sandbox channel: the payer pays, the provider's
// signed callback settles the payment, and a refund follows.
func Example() {
	ctx := context.Background()

	// The aggregator serves provider callbacks at /v1/callbacks/<channel>.
	var h http.Handler
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer backend.Close()
	agg, _ := channel.New(channel.WithCallbackURL(func(ch string) string { return backend.URL + "/v1/callbacks/" + ch }))
	h = channel.Handler(agg)

	// A simulated provider, and the adapter that speaks to it.
	provider, _ := sandbox.NewProvider()
	defer provider.Close()
	providerSrv := httptest.NewServer(provider)
	defer providerSrv.Close()
	sb, _ := sandbox.New(providerSrv.URL, provider.Secret())
	_ = agg.Register(sb)

	choices, _ := agg.Choices(ctx, "user-1", channel.ScenarioQR, "CNY")
	fmt.Println("choices:", choices[0].Name)

	p, _ := agg.CreatePayment(ctx, channel.PaymentRequest{
		MerchantID: "mch_demo", UserID: "user-1", Channel: "sandbox",
		Scenario: channel.ScenarioQR, Amount: pay.Money{Amount: 1250, Currency: "CNY"},
	})
	fmt.Println("created:", p.Status)

	_ = provider.Pay(ctx, p.ID) // the payer scans the QR code and pays
	p, _ = agg.WaitPayment(ctx, p.ID)
	fmt.Println("after callback:", p.Status)

	p, _ = agg.Refund(ctx, p.ID, channel.RefundParams{Amount: pay.Money{Amount: 250, Currency: "CNY"}})
	for p.Refunded.IsZero() { // the provider settles refunds by callback
		time.Sleep(time.Millisecond)
		p, _ = agg.Payment(ctx, p.ID)
	}
	fmt.Println("refunded:", p.Refunded, p.Refunds[0].Status)
	// Output:
	// choices: sandbox
	// created: pending
	// after callback: succeeded
	// refunded: 2.50 CNY succeeded
}

// Failover: the chosen channel is down before it accepted anything, so the
// payment goes to the next channel the user may choose.
func ExampleAggregator_CreatePayment_failover() {
	ctx := context.Background()
	agg, _ := channel.New()
	var providers []*sandbox.Provider
	for _, name := range []string{"primary", "backup"} {
		p, _ := sandbox.NewProvider()
		defer p.Close()
		srv := httptest.NewServer(p)
		defer srv.Close()
		ch, _ := sandbox.New(srv.URL, p.Secret(), sandbox.WithName(name), sandbox.WithRetryPolicy(pay.NoRetries()))
		_ = agg.Register(ch)
		providers = append(providers, p)
	}
	providers[0].Inject(sandbox.OpCreate, sandbox.Fault{Kind: sandbox.FaultUnavailable})

	p, _ := agg.CreatePayment(ctx, channel.PaymentRequest{
		MerchantID: "mch_demo", Channel: "primary", Scenario: channel.ScenarioQR,
		Amount: pay.Money{Amount: 500, Currency: "CNY"}, Failover: true,
	})
	fmt.Println(p.Channel, p.Status)
	for _, a := range p.Attempts {
		fmt.Printf("tried %s: %q\n", a.Channel, a.Error)
	}
	// Output:
	// backup pending
	// tried primary: "channel_unavailable"
	// tried backup: ""
}
