package flows

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
)

// Channels runs channel aggregation against the reference backend: the
// operator enables two sandbox channels, the user picks one, the charge
// succeeds through the provider's signed callback (the device learns it by
// long-poll, the merchant by signed webhook), and a partial refund follows.
func Channels(ctx context.Context, srv *paytest.Server) error {
	demo, err := srv.Seed(ctx)
	if err != nil {
		return err
	}
	admin, device, merchant := channel.NewClient(srv.AdminClient), channel.NewClient(srv.DeviceClient), channel.NewClient(srv.Client)

	// The merchant's webhook endpoint.
	var mu sync.Mutex
	var received []string
	endpoint := httptest.NewServer(nil)
	defer endpoint.Close()
	ep, err := pay.NewWebhookEndpoints(srv.Client).Create(ctx, endpoint.URL)
	if err != nil {
		return err
	}
	h, err := pay.NewWebhookHandler(func(_ context.Context, e pay.Event) error {
		mu.Lock()
		defer mu.Unlock()
		received = append(received, e.Type)
		return nil
	}, pay.WithWebhookSecrets(ep.Secret))
	if err != nil {
		return err
	}
	endpoint.Config.Handler = h

	for _, name := range paytest.SandboxChannels {
		if _, err := admin.SetEnabled(ctx, name, true); err != nil {
			return err
		}
	}
	choices, err := device.Choices(ctx, demo.CustomerID, channel.ScenarioQR, "CNY")
	if err != nil {
		return err
	}
	names := make([]string, len(choices))
	for i, c := range choices {
		names[i] = c.Name
	}
	fmt.Printf("operator: enabled %s; the user may choose %v\n", strings.Join(paytest.SandboxChannels, ", "), names)
	if len(choices) < 2 {
		return fmt.Errorf("expected two channels to choose from, got %v", names)
	}
	picked := choices[1].Name
	p, err := device.CreatePayment(ctx, channel.PaymentRequest{
		MerchantID: demo.MerchantID, UserID: demo.CustomerID, Channel: picked, Scenario: channel.ScenarioQR,
		Amount: pay.Money{Amount: 68_00, Currency: "CNY"}, Description: "VR concert ticket",
	})
	if err != nil {
		return err
	}
	fmt.Printf("headset: user picked %s; payment %s is %s, QR to show: %s\n", picked, p.ID, p.Status, p.Action.QRCode)

	if err := srv.Sandboxes[picked].Pay(ctx, p.ID); err != nil { // the payer scans and pays in the provider's app
		return err
	}
	fmt.Println("payer: paid in the provider's app; the provider posts its signed callback")
	p, err = device.WaitPayment(ctx, p.ID, 10*time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("headset: long-poll returned: payment %s via %s\n", p.Status, p.Channel)
	if p.Status != channel.StatusSucceeded {
		return fmt.Errorf("payment is %s, want succeeded", p.Status)
	}

	p, err = merchant.Refund(ctx, p.ID, channel.RefundParams{Amount: pay.Money{Amount: 18_00, Currency: "CNY"}, Reason: "seat upgrade cancelled"})
	if err != nil {
		return err
	}
	fmt.Printf("merchant: refund %s of %s is %s\n", p.Refunds[0].ID, p.Refunds[0].Amount, p.Refunds[0].Status)
	for deadline := time.Now().Add(10 * time.Second); p.Refunded.Amount != 18_00; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("refund not settled: %+v", p.Refunds)
		}
		if p, err = merchant.Payment(ctx, p.ID); err != nil {
			return err
		}
	}
	bal, err := account.NewClient(srv.Client).MerchantBalance(ctx, demo.MerchantID, "CNY")
	if err != nil {
		return err
	}
	fmt.Printf("provider: refund settled by callback; refunded %s, merchant balance %s\n", p.Refunded, bal)
	if bal.Amount != 50_00 {
		return fmt.Errorf("merchant balance %s, want 50.00 CNY", bal)
	}
	srv.Webhooks.Flush()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(received)
		got := strings.Join(received, ", ")
		mu.Unlock()
		if n >= 2 {
			fmt.Printf("merchant: signed webhooks received: %s\n", got)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("merchant webhooks: got [%s], want payment.succeeded and payment.refunded", got)
		}
	}
}
