package paytest_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/sandbox"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
)

// channelEnv is a running backend with a seeded merchant, a device client
// and a merchant webhook receiver.
type channelEnv struct {
	srv            *paytest.Server
	demo           paytest.Demo
	device, mch    *channel.Client
	a, b           *sandbox.Provider
	mu             sync.Mutex
	webhooks       []string
	webhookPayload []pay.Event
}

func newChannelEnv(t *testing.T) *channelEnv {
	t.Helper()
	srv, err := paytest.NewServer(paytest.WithWallClock())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ctx := context.Background()
	demo, err := srv.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &channelEnv{srv: srv, demo: demo, device: channel.NewClient(srv.DeviceClient), mch: channel.NewClient(srv.Client),
		a: srv.Sandboxes["sandbox-a"], b: srv.Sandboxes["sandbox-b"]}
	recv := httptest.NewServer(nil)
	t.Cleanup(recv.Close)
	ep, err := pay.NewWebhookEndpoints(srv.Client).Create(ctx, recv.URL)
	if err != nil {
		t.Fatal(err)
	}
	h, err := pay.NewWebhookHandler(func(_ context.Context, ev pay.Event) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.webhooks = append(e.webhooks, ev.Type)
		e.webhookPayload = append(e.webhookPayload, ev)
		return nil
	}, pay.WithWebhookSecrets(ep.Secret))
	if err != nil {
		t.Fatal(err)
	}
	recv.Config.Handler = h
	return e
}

func (e *channelEnv) request(ch string) channel.PaymentRequest {
	return channel.PaymentRequest{MerchantID: e.demo.MerchantID, UserID: e.demo.CustomerID, Channel: ch,
		Scenario: channel.ScenarioQR, Amount: pay.Money{Amount: 88_00, Currency: "CNY"}, Description: "Beat Saber DLC"}
}

func (e *channelEnv) webhookTypes() []string {
	e.srv.Webhooks.Flush()
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.webhooks...)
}

func (e *channelEnv) balance(t *testing.T) int64 {
	t.Helper()
	m, err := account.NewClient(e.srv.Client).MerchantBalance(context.Background(), e.demo.MerchantID, "CNY")
	if err != nil {
		t.Fatal(err)
	}
	return m.Amount
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func (e *channelEnv) payment(t *testing.T, id string) channel.Payment {
	t.Helper()
	p, err := e.device.Payment(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChannelPaymentOverHTTP(t *testing.T) {
	ctx := context.Background()
	e := newChannelEnv(t)
	choices, err := e.device.Choices(ctx, e.demo.CustomerID, channel.ScenarioQR, "CNY")
	if err != nil || len(choices) != 2 {
		t.Fatalf("choices = %v, %v", choices, err)
	}
	p, err := e.device.CreatePayment(ctx, e.request(choices[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != channel.StatusPending || p.Action.QRCode == "" {
		t.Fatalf("created = %+v", p)
	}
	if err := e.a.Pay(ctx, p.ID); err != nil { // the payer scans and pays
		t.Fatal(err)
	}
	got, err := e.device.WaitPayment(ctx, p.ID, 5*time.Second)
	if err != nil || got.Status != channel.StatusSucceeded {
		t.Fatalf("after the callback: %+v, %v", got, err)
	}
	if b := e.balance(t); b != 88_00 {
		t.Errorf("merchant balance = %d, want 8800", b)
	}
	got, err = e.mch.Refund(ctx, p.ID, channel.RefundParams{Amount: pay.Money{Amount: 8_00, Currency: "CNY"}, Reason: "partial"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refund callback", func() bool { return e.payment(t, p.ID).Refunded.Amount == 8_00 })
	if b := e.balance(t); b != 80_00 {
		t.Errorf("merchant balance after refund = %d, want 8000", b)
	}
	eventually(t, "two webhooks", func() bool { return len(e.webhookTypes()) == 2 })
	if d := cmp.Diff([]string{channel.WebhookPaymentSucceeded, channel.WebhookPaymentRefunded}, e.webhookTypes()); d != "" {
		t.Errorf("merchant webhooks (-want +got):\n%s", d)
	}
}

func TestChannelSwitchesOverHTTP(t *testing.T) {
	ctx := context.Background()
	e := newChannelEnv(t)
	admin := channel.NewClient(e.srv.AdminClient)
	if _, err := e.device.SetEnabled(ctx, "sandbox-a", false); !errors.Is(err, pay.ErrForbidden) {
		t.Errorf("device switching a channel system-wide: %v, want forbidden", err)
	}
	if _, err := admin.SetEnabled(ctx, "sandbox-a", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.device.CreatePayment(ctx, e.request("sandbox-a")); !errors.Is(err, pay.ErrForbidden) {
		t.Errorf("paying through a disabled channel: %v", err)
	}
	if _, err := e.device.SetUserEnabled(ctx, e.demo.CustomerID, "sandbox-b", false); err != nil {
		t.Fatal(err)
	}
	if cs, err := e.device.Choices(ctx, e.demo.CustomerID, channel.ScenarioQR, "CNY"); err != nil || len(cs) != 0 {
		t.Errorf("choices = %v, %v; want none", cs, err)
	}
	if _, err := e.device.CreatePayment(ctx, e.request("sandbox-b")); !errors.Is(err, pay.ErrForbidden) {
		t.Errorf("paying through a channel the user switched off: %v", err)
	}
	if e.a.Accepted()+e.b.Accepted() != 0 {
		t.Error("a refused payment reached a provider")
	}
}

func TestWebhookEndpointsOverHTTP(t *testing.T) {
	ctx := context.Background()
	srv, err := paytest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	eps := pay.NewWebhookEndpoints(srv.Client)
	if _, err := pay.NewWebhookEndpoints(srv.DeviceClient).Create(ctx, "https://shop.example/hooks"); !errors.Is(err, pay.ErrForbidden) {
		t.Errorf("device key registering an endpoint: %v, want forbidden", err)
	}
	ep, err := eps.Create(ctx, "https://shop.example/hooks")
	if err != nil || ep.Secret == "" {
		t.Fatalf("Create = %+v, %v", ep, err)
	}
	if _, err := eps.Create(ctx, "ftp://shop.example"); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("ftp URL: %v", err)
	}
	list, err := eps.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != ep.ID || list[0].Secret != "" {
		t.Errorf("List = %+v, %v; want the endpoint without its secret", list, err)
	}
	if err := eps.Delete(ctx, ep.ID); err != nil {
		t.Fatal(err)
	}
	if err := eps.Delete(ctx, ep.ID); !errors.Is(err, pay.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if list, _ := eps.List(ctx); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}
