package ble_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/ble"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/paytest"
)

func hgCNY(minor int64) pay.Money { return pay.Money{Amount: minor, Currency: "CNY"} }

// hgPayment is a payment as the aggregator reports it in a webhook.
func hgPayment() channel.Payment {
	return channel.Payment{
		ID: "pay_7f3kq2m9xw4ab6cd8efgh2jk5n", MerchantID: "acct_shop", UserID: "+86 138-0013-8000",
		Channel: "wechatpay", Scenario: channel.ScenarioQR, Amount: hgCNY(68_00), Status: channel.StatusSucceeded,
		Refunded: hgCNY(0), CreatedAt: time.Unix(1_767_225_600, 0).UTC(), UpdatedAt: time.Unix(1_767_225_660, 0).UTC(),
	}
}

func hgEvent(t testing.TB, typ string, created time.Time, data any) pay.Event {
	t.Helper()
	e, err := pay.NewEvent(typ, created, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A payment.succeeded event becomes a paid receipt, a payment.refunded one
// a refunded receipt for the succeeded refund; every field comes from the
// event as documented.
func TestReceiptFromEvent(t *testing.T) {
	at := time.Date(2026, 1, 1, 8, 1, 0, 0, time.UTC)
	p := hgPayment()
	r, err := ble.ReceiptFromEvent(hgEvent(t, channel.WebhookPaymentSucceeded, at.Add(400*time.Millisecond), p), 7)
	if err != nil {
		t.Fatal(err)
	}
	want := ble.Receipt{Kind: ble.KindPaid, PaymentID: "fgh2jk5n", Amount: hgCNY(68_00), Channel: "wechatpay", Payer: "8000", Time: at, Terminal: 7}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("paid receipt (-want +got):\n%s", d)
	}

	p.Refunds = []channel.RefundRecord{
		{ID: "rf_1", Amount: hgCNY(10_00), Status: channel.RefundSucceeded},
		{ID: "rf_2", Amount: hgCNY(5_00), Status: channel.RefundFailed},
		{ID: "rf_3", Amount: hgCNY(18_00), Status: channel.RefundSucceeded},
		{ID: "rf_4", Amount: hgCNY(1_00), Status: channel.RefundPending},
	}
	p.Refunded = hgCNY(28_00)
	r, err = ble.ReceiptFromEvent(hgEvent(t, channel.WebhookPaymentRefunded, at, p), 65535)
	if err != nil {
		t.Fatal(err)
	}
	want.Kind, want.Amount, want.Terminal = ble.KindRefunded, hgCNY(18_00), 65535
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("refunded receipt (-want +got):\n%s", d)
	}
	// The receipt is one a handheld can send.
	if _, err := ble.EncodeReceipt(r, 1, bytes.Repeat([]byte{1}, 32)); err != nil {
		t.Errorf("the receipt does not encode: %v", err)
	}
}

// Events that report no payment or refund are ErrNotReceipt; events whose
// data makes no receipt are pay.ErrInvalidRequest naming the field.
func TestReceiptFromEventRefuses(t *testing.T) {
	at := time.Unix(1_767_225_600, 0)
	for _, typ := range []string{channel.WebhookPaymentFailed, channel.WebhookPaymentClosed, channel.WebhookRefundFailed, channel.WebhookAgreementSigned, "bill.paid"} {
		if _, err := ble.ReceiptFromEvent(hgEvent(t, typ, at, hgPayment()), 1); !errors.Is(err, ble.ErrNotReceipt) {
			t.Errorf("%s: %v; want ErrNotReceipt", typ, err)
		}
	}
	mod := func(f func(*channel.Payment)) channel.Payment { p := hgPayment(); f(&p); return p }
	cases := []struct {
		name, typ string
		data      any
		param     string
	}{
		{"not an object", channel.WebhookPaymentSucceeded, []int{1}, "data"},
		{"no ID", channel.WebhookPaymentSucceeded, mod(func(p *channel.Payment) { p.ID = "" }), "data.id"},
		{"not a payment ID", channel.WebhookPaymentSucceeded, mod(func(p *channel.Payment) { p.ID = "rf_7f3kq2m9xw4ab6cd8efgh2jk5n" }), "data.id"},
		{"still pending", channel.WebhookPaymentSucceeded, mod(func(p *channel.Payment) { p.Status = channel.StatusPending }), "data.status"},
		{"zero amount", channel.WebhookPaymentSucceeded, mod(func(p *channel.Payment) { p.Amount = hgCNY(0) }), "data.amount"},
		{"no currency", channel.WebhookPaymentSucceeded, mod(func(p *channel.Payment) { p.Amount.Currency = "" }), "data.amount"},
		{"no channel", channel.WebhookPaymentSucceeded, mod(func(p *channel.Payment) { p.Channel = "" }), "data.channel"},
		{"no refund", channel.WebhookPaymentRefunded, hgPayment(), "data.refunds"},
		{"only a failed refund", channel.WebhookPaymentRefunded, mod(func(p *channel.Payment) {
			p.Refunds = []channel.RefundRecord{{ID: "rf_1", Amount: hgCNY(1_00), Status: channel.RefundFailed}}
		}), "data.refunds"},
		{"negative refund", channel.WebhookPaymentRefunded, mod(func(p *channel.Payment) {
			p.Refunds = []channel.RefundRecord{{ID: "rf_1", Amount: hgCNY(-1_00), Status: channel.RefundSucceeded}}
		}), "data.amount"},
	}
	for _, c := range cases {
		_, err := ble.ReceiptFromEvent(hgEvent(t, c.typ, at, c.data), 1)
		pe, ok := errors.AsType[*pay.Error](err)
		if !errors.Is(err, pay.ErrInvalidRequest) || !ok || pe.Param != c.param {
			t.Errorf("%s: %v; want invalid_request naming %s", c.name, err, c.param)
		}
	}
	trailing := hgEvent(t, channel.WebhookPaymentSucceeded, at, hgPayment())
	trailing.Data = append(append(json.RawMessage(nil), trailing.Data...), []byte(" {}")...)
	if _, err := ble.ReceiptFromEvent(trailing, 1); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("trailing data: %v", err)
	}
}

func TestMaskPayer(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"8613800138000":      "8000",
		"+86 138-0013-8000":  "8000",
		"(021) 6888.1234":    "1234",
		"123":                "123",
		"0":                  "0",
		"cus_k2m7x4q9":       "", // an opaque ID: its digits mean nothing to the payer
		"li.lei@example.com": "",
		"138+0013":           "", // '+' only leads
		"１２３４":               "", // not ASCII digits
	} {
		if got := ble.MaskPayer(in); got != want {
			t.Errorf("MaskPayer(%q) = %q; want %q", in, got, want)
		}
	}
}

// hgSink records the receipts it is handed, failing with fail when set.
type hgSink struct {
	mu   sync.Mutex
	got  []ble.Receipt
	fail []error // returned in turn, then nil
	ch   chan ble.Receipt
}

func newHGSink() *hgSink { return &hgSink{ch: make(chan ble.Receipt, 16)} }

func (s *hgSink) send(_ context.Context, r ble.Receipt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, r)
	s.ch <- r
	if len(s.fail) > 0 {
		err := s.fail[0]
		s.fail = s.fail[1:]
		return err
	}
	return nil
}

func (s *hgSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func (s *hgSink) next(t *testing.T) ble.Receipt {
	t.Helper()
	select {
	case r := <-s.ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no receipt reached the sink")
		return ble.Receipt{}
	}
}

// hgPost posts body signed with sig to url and returns the status and
// reply.
func hgPost(t *testing.T, url string, body []byte, sig string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sig != "" {
		req.Header.Set(pay.SignatureHeader, sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	reply, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(reply)
}

// The whole path against the reference backend: the handheld's endpoint is
// registered with the backend's webhook API; a channel payment in the QR
// scenario, paid through the sandbox, reaches the sink as a paid receipt,
// and its partial refund as a refunded one. Forged, unsigned and stale
// deliveries of a payment are refused and reach nothing.
func TestWebhookHandlerWithBackend(t *testing.T) {
	srv, err := paytest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	demo, err := srv.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin, device, merchant := channel.NewClient(srv.AdminClient), channel.NewClient(srv.DeviceClient), channel.NewClient(srv.Client)
	if _, err := admin.SetEnabled(ctx, "sandbox-a", true); err != nil {
		t.Fatal(err)
	}

	sink := newHGSink()
	endpoint := httptest.NewUnstartedServer(nil)
	url := "http://" + endpoint.Listener.Addr().String() + "/paykit/webhooks"
	ep, err := pay.NewWebhookEndpoints(srv.Client).Create(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ble.NewWebhookHandler(12, sink.send, pay.WithWebhookSecrets(ep.Secret), pay.WithWebhookClock(srv))
	if err != nil {
		t.Fatal(err)
	}
	endpoint.Config.Handler = h
	endpoint.Start()
	defer endpoint.Close()

	const payer = "8613800138000" // the merchant knows this payer by phone number
	p, err := device.CreatePayment(ctx, channel.PaymentRequest{
		MerchantID: demo.MerchantID, UserID: payer, Channel: "sandbox-a", Scenario: channel.ScenarioQR,
		Amount: hgCNY(56_80), Description: "2 croissants, 1 flat white",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Sandboxes["sandbox-a"].Pay(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	got := sink.next(t)
	want := ble.Receipt{
		Kind: ble.KindPaid, PaymentID: p.ID[len(p.ID)-8:], Amount: hgCNY(56_80), Channel: "sandbox-a",
		Payer: "8000", Time: srv.Now().Truncate(time.Second).UTC(), Terminal: 12,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("paid receipt (-want +got):\n%s", d)
	}

	if _, err := merchant.Refund(ctx, p.ID, channel.RefundParams{Amount: hgCNY(6_80), Reason: "one croissant short"}); err != nil {
		t.Fatal(err)
	}
	got = sink.next(t)
	want.Kind, want.Amount = ble.KindRefunded, hgCNY(6_80)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("refunded receipt (-want +got):\n%s", d)
	}

	// Forgeries of a second, larger payment: nothing reaches the sink.
	paid, err := merchant.Payment(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	paid.Amount, paid.Refunds, paid.Refunded = hgCNY(999_00), nil, hgCNY(0)
	body, err := hgEvent(t, channel.WebhookPaymentSucceeded, srv.Now(), paid).Payload()
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := pay.SignWebhook(body, srv.Now(), "whsec_attacker_guess")
	stale, _ := pay.SignWebhook(body, srv.Now().Add(-10*time.Minute), ep.Secret)
	future, _ := pay.SignWebhook(body, srv.Now().Add(10*time.Minute), ep.Secret)
	for _, c := range []struct {
		what, sig string
		status    int
	}{
		{"signed with a wrong secret", forged, http.StatusUnauthorized},
		{"unsigned", "", http.StatusBadRequest},
		{"signed 10 minutes ago", stale, http.StatusUnauthorized},
		{"signed 10 minutes ahead", future, http.StatusUnauthorized},
		{"a malformed signature", "t=1,v1=zz", http.StatusBadRequest},
	} {
		if status, reply := hgPost(t, url, body, c.sig); status != c.status {
			t.Errorf("%s: %d %s; want %d", c.what, status, reply, c.status)
		}
	}
	// A real signature over other bytes: the amount altered in transit.
	good, _ := pay.SignWebhook(body, srv.Now(), ep.Secret)
	altered := bytes.Replace(body, []byte("99900"), []byte("99901"), 1)
	if bytes.Equal(altered, body) {
		t.Fatal("the alteration changed nothing")
	}
	if status, _ := hgPost(t, url, altered, good); status != http.StatusUnauthorized {
		t.Errorf("altered body: %d; want 401", status)
	}
	if n := sink.count(); n != 2 {
		t.Errorf("the sink got %d receipts; want the 2 genuine ones", n)
	}
}

// How the handler answers what the sink says: other events are
// acknowledged without a receipt; ErrUndelivered is acknowledged (and a
// redelivery is not sent again); any other error answers 500 and the
// redelivery is sent again; the sink's context outlives the request.
func TestWebhookHandlerSinkOutcomes(t *testing.T) {
	const secret = "whsec_hg_test_secret"
	clk := clock.NewFake(time.Unix(1_767_225_600, 0))
	sink := newHGSink()
	h, err := ble.NewWebhookHandler(3, sink.send, pay.WithWebhookSecrets(secret), pay.WithWebhookClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	deliver := func(e pay.Event) (int, string) {
		body, err := e.Payload()
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := pay.SignWebhook(body, clk.Now(), secret)
		return hgPost(t, srv.URL, body, sig)
	}

	failed := hgPayment()
	failed.Status = channel.StatusFailed
	if status, _ := deliver(hgEvent(t, channel.WebhookPaymentFailed, clk.Now(), failed)); status != http.StatusOK || sink.count() != 0 {
		t.Errorf("payment.failed: %d, sink called %d times; want 200 and no receipt", status, sink.count())
	}

	sink.fail = []error{errors.New("persisting the counter failed")}
	e := hgEvent(t, channel.WebhookPaymentSucceeded, clk.Now(), hgPayment())
	if status, reply := deliver(e); status != http.StatusInternalServerError || !strings.Contains(reply, "internal_error") {
		t.Errorf("a failing sink: %d %s; want 500", status, reply)
	}
	if status, _ := deliver(e); status != http.StatusOK || sink.count() != 2 {
		t.Errorf("the redelivery: %d, sink called %d times; want 200 after a second try", status, sink.count())
	}

	sink.fail = []error{ble.ErrUndelivered.Wrap(context.DeadlineExceeded)}
	e2 := hgEvent(t, channel.WebhookPaymentSucceeded, clk.Now(), hgPayment())
	if status, _ := deliver(e2); status != http.StatusOK {
		t.Errorf("an undelivered receipt: %d; want 200 (the handheld reported it)", status)
	}
	if status, reply := deliver(e2); status != http.StatusOK || !strings.Contains(reply, "duplicate") || sink.count() != 3 {
		t.Errorf("its redelivery: %d %s, sink called %d times; want a duplicate, not sent again", status, reply, sink.count())
	}

	bad := hgPayment()
	bad.Status = channel.StatusPending
	if status, _ := deliver(hgEvent(t, channel.WebhookPaymentSucceeded, clk.Now(), bad)); status != http.StatusInternalServerError || sink.count() != 3 {
		t.Errorf("a succeeded event for a pending payment: %d; want 500 and no receipt", status)
	}

	if _, err := ble.NewWebhookHandler(1, nil, pay.WithWebhookSecrets(secret)); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("no sink: %v", err)
	}
	if _, err := ble.NewWebhookHandler(1, sink.send); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("no secret: %v", err)
	}
}

// A backend that stops waiting does not cancel the delivery in progress:
// the sink's context is not cancelled with the request.
func TestWebhookHandlerOutlivesRequest(t *testing.T) {
	const secret = "whsec_hg_test_secret"
	started, finished := make(chan struct{}), make(chan error, 1)
	h, err := ble.NewWebhookHandler(3, func(ctx context.Context, _ ble.Receipt) error {
		close(started)
		time.Sleep(100 * time.Millisecond) // the backend hangs up meanwhile
		finished <- ctx.Err()
		return nil
	}, pay.WithWebhookSecrets(secret))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	body, _ := hgEvent(t, channel.WebhookPaymentSucceeded, time.Now(), hgPayment()).Payload()
	sig, _ := pay.SignWebhook(body, time.Now(), secret)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, bytes.NewReader(body))
	req.Header.Set(pay.SignatureHeader, sig)
	go func() {
		<-started
		cancel()
	}()
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("the request was not cancelled")
	}
	select {
	case err := <-finished:
		if err != nil {
			t.Errorf("the sink's context ended with the request: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sink never finished")
	}
}

// Concurrent deliveries of one event reach the sink exactly once; distinct
// events each once.
func TestWebhookHandlerConcurrentDeliveries(t *testing.T) {
	const secret = "whsec_hg_test_secret"
	var calls atomic.Int64
	h, err := ble.NewWebhookHandler(3, func(context.Context, ble.Receipt) error {
		calls.Add(1)
		time.Sleep(5 * time.Millisecond)
		return nil
	}, pay.WithWebhookSecrets(secret))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	const events, copies = 8, 8
	var wg sync.WaitGroup
	statuses := make(chan int, events*copies)
	for range events {
		body, _ := hgEvent(t, channel.WebhookPaymentSucceeded, time.Now(), hgPayment()).Payload()
		for range copies {
			wg.Go(func() {
				sig, _ := pay.SignWebhook(body, time.Now(), secret)
				for {
					status, _ := hgPost(t, srv.URL, body, sig)
					if status != http.StatusConflict { // in flight: the sender retries later
						statuses <- status
						return
					}
					time.Sleep(2 * time.Millisecond)
				}
			})
		}
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("a delivery answered %d", s)
		}
	}
	if n := calls.Load(); n != events {
		t.Errorf("the sink ran %d times for %d events delivered %d times each; want %d", n, events, copies, events)
	}
}

// Whatever data a signed event carries, ReceiptFromEvent neither panics
// nor returns a receipt a handheld could not describe: a known kind, a
// short ID, a positive amount, a channel, at most 4 payer digits.
func FuzzReceiptFromEvent(f *testing.F) {
	p := hgPayment()
	ok, _ := json.Marshal(p)
	p.Refunds = []channel.RefundRecord{{ID: "rf_1", Amount: hgCNY(1), Status: channel.RefundSucceeded}}
	refunded, _ := json.Marshal(p)
	f.Add(channel.WebhookPaymentSucceeded, ok)
	f.Add(channel.WebhookPaymentRefunded, refunded)
	f.Add(channel.WebhookPaymentSucceeded, []byte(`{"id":"pay_x","amount":{"amount":-1}}`))
	f.Add("bill.paid", []byte(`null`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		r, err := ble.ReceiptFromEvent(pay.Event{ID: "evt_fuzz", Type: typ, Created: 1_767_225_600, Data: data}, 9)
		if err != nil {
			if (r != ble.Receipt{}) {
				t.Fatalf("an error with a receipt: %+v", r)
			}
			return
		}
		if (r.Kind != ble.KindPaid && r.Kind != ble.KindRefunded) || len(r.PaymentID) != ble.ShortIDLen || r.Amount.Amount <= 0 ||
			r.Amount.Currency == "" || r.Channel == "" || len(r.Payer) > 4 || r.Terminal != 9 || r.Counter != 0 {
			t.Fatalf("receipt %+v", r)
		}
	})
}

// A payment.succeeded webhook, as the backend sends it, becomes the
// receipt the handheld relays to its host.
func ExampleReceiptFromEvent() {
	created := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	e, _ := pay.NewEvent(channel.WebhookPaymentSucceeded, created, channel.Payment{
		ID: "pay_7f3kq2m9xw4ab6cd8efgh2jk5n", UserID: "+86 138-0013-8000", Channel: "alipay",
		Amount: pay.Money{Amount: 56_80, Currency: "CNY"}, Status: channel.StatusSucceeded,
	})
	r, err := ble.ReceiptFromEvent(e, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %s via %s, payment …%s, payer …%s, terminal %d, %s\n",
		r.Kind, r.Amount, r.Channel, r.PaymentID, r.Payer, r.Terminal, r.Time.Format(time.RFC3339))
	// Output:
	// paid 56.80 CNY via alipay, payment …fgh2jk5n, payer …8000, terminal 3, 2026-03-14T09:26:53Z
}
