package channel_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/sandbox"
	"github.com/paykit-go/paykit/pay"
)

// live is an aggregator serving callbacks over HTTP with two sandbox
// providers, each on its own server: the fault-injection bench.
type live struct {
	agg  *channel.Aggregator
	a, b *sandbox.Provider
	cb   *httptest.Server
}

func newLive(t *testing.T) *live {
	t.Helper()
	l := &live{}
	var h http.Handler
	l.cb = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(l.cb.Close)
	var err error
	l.agg, err = channel.New(channel.WithCallbackURL(func(ch string) string { return l.cb.URL + "/v1/callbacks/" + ch }))
	if err != nil {
		t.Fatal(err)
	}
	h = channel.Handler(l.agg)
	for i, name := range []string{"sandbox-a", "sandbox-b"} {
		p, err := sandbox.NewProvider(sandbox.WithCallbackRetries(3, 10*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(p)
		t.Cleanup(func() { srv.Close(); p.Close() })
		ch, err := sandbox.New(srv.URL, p.Secret(), sandbox.WithName(name),
			sandbox.WithHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}),
			sandbox.WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.agg.Register(ch); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			l.a = p
		} else {
			l.b = p
		}
	}
	return l
}

func (l *live) create(t *testing.T, failover bool) channel.Payment {
	t.Helper()
	req := channel.PaymentRequest{MerchantID: "mch_1", UserID: "u1", Channel: "sandbox-a", Scenario: channel.ScenarioQR, Amount: cny(1250), Failover: failover}
	p, err := l.agg.CreatePayment(context.Background(), req)
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	return p
}

func (l *live) wait(t *testing.T, id string) channel.Payment {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := l.agg.WaitPayment(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (l *live) merchantBalance(t *testing.T) int64 {
	return env{agg: l.agg}.merchantBalance(t)
}

func TestSandboxServerErrorRetriedOnTheSameCharge(t *testing.T) {
	l := newLive(t)
	l.a.Inject(sandbox.OpCreate, sandbox.Fault{Kind: sandbox.FaultServerError, Times: 2})
	p := l.create(t, true)
	if p.Status != channel.StatusPending || p.Channel != "sandbox-a" || l.a.Accepted() != 1 || l.b.Accepted() != 0 {
		t.Fatalf("payment %s on %s; accepted a=%d b=%d", p.Status, p.Channel, l.a.Accepted(), l.b.Accepted())
	}
	if err := l.a.Pay(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	if got := l.wait(t, p.ID); got.Status != channel.StatusSucceeded {
		t.Errorf("status = %s", got.Status)
	}
}

func TestSandboxAmbiguousFailuresNeverFailOver(t *testing.T) {
	for name, f := range map[string]sandbox.Fault{
		"5xx every attempt":   {Kind: sandbox.FaultServerError, Times: 3},
		"accepted, then slow": {Kind: sandbox.FaultTimeout, Times: 3, Delay: 2 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			l := newLive(t)
			l.a.Inject(sandbox.OpCreate, f)
			p := l.create(t, true)
			if p.Status != channel.StatusPending || p.Channel != "sandbox-a" || l.b.Accepted() != 0 {
				t.Fatalf("payment %s on %s, b accepted %d: want pending on a, b untouched", p.Status, p.Channel, l.b.Accepted())
			}
			if len(p.Attempts) != 1 || p.Attempts[0].Error != "channel_outcome_unknown" {
				t.Errorf("attempts = %+v", p.Attempts)
			}
			if l.a.Accepted() != 1 {
				t.Errorf("provider a accepted %d charges, want 1", l.a.Accepted())
			}
			if err := l.a.Pay(context.Background(), p.ID); err != nil {
				t.Fatal(err)
			}
			if got := l.wait(t, p.ID); got.Status != channel.StatusSucceeded || l.merchantBalance(t) != 1250 {
				t.Errorf("status %s, balance %d", got.Status, l.merchantBalance(t))
			}
		})
	}
}

func TestSandboxUnavailableFailsOverToTheSecondChannelOnce(t *testing.T) {
	l := newLive(t)
	l.a.Inject(sandbox.OpCreate, sandbox.Fault{Kind: sandbox.FaultUnavailable, Times: 3})
	p := l.create(t, true)
	if p.Channel != "sandbox-b" || l.a.Accepted() != 0 || l.b.Accepted() != 1 {
		t.Fatalf("payment on %s; accepted a=%d b=%d; want b once", p.Channel, l.a.Accepted(), l.b.Accepted())
	}
	if err := l.b.Pay(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	if got := l.wait(t, p.ID); got.Status != channel.StatusSucceeded {
		t.Errorf("status = %s", got.Status)
	}
}

func TestSandboxDuplicateCallbacksApplyOnce(t *testing.T) {
	ctx := context.Background()
	l := newLive(t)
	l.a.HoldCallbacks(true)
	p := l.create(t, false)
	if err := l.a.Pay(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	cbs := l.a.Callbacks()
	if len(cbs) != 1 {
		t.Fatalf("callbacks = %+v", cbs)
	}
	for range 3 {
		if err := l.a.Deliver(ctx, cbs[0].EventID); err != nil {
			t.Fatalf("deliver: %v", err)
		}
	}
	if got, _ := l.agg.Payment(ctx, p.ID); got.Status != channel.StatusSucceeded {
		t.Errorf("status = %s", got.Status)
	}
	if b := l.merchantBalance(t); b != 1250 {
		t.Errorf("merchant balance = %d, want 1250 (applied once)", b)
	}
	if d := l.a.Callbacks()[0].Delivered; d != 3 {
		t.Errorf("delivered %d times, want 3 (duplicates acknowledged)", d)
	}
}

func TestSandboxOutOfOrderCallbacksEndInTheRightState(t *testing.T) {
	ctx := context.Background()
	l := newLive(t)
	l.a.HoldCallbacks(true)
	p := l.create(t, false)
	if err := l.a.Pay(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := l.agg.SyncPayment(ctx, p.ID); err != nil || got.Status != channel.StatusSucceeded {
		t.Fatalf("sync: %s, %v", got.Status, err)
	}
	got, err := l.agg.Refund(ctx, p.ID, channel.RefundParams{Amount: cny(250)})
	if err != nil {
		t.Fatal(err)
	}
	cbs := l.a.Callbacks() // [charge.succeeded, refund.succeeded]
	if len(cbs) != 2 || cbs[0].Type != channel.EventChargeSucceeded || cbs[1].Type != channel.EventRefundSucceeded {
		t.Fatalf("callbacks = %+v", cbs)
	}
	for _, i := range []int{1, 0} { // refund first, then the success it depends on
		if err := l.a.Deliver(ctx, cbs[i].EventID); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = l.agg.Payment(ctx, p.ID)
	if got.Status != channel.StatusSucceeded || got.Refunded != cny(250) || got.Refunds[0].Status != channel.RefundSucceeded {
		t.Errorf("final = %s, refunded %v, refund %s", got.Status, got.Refunded, got.Refunds[0].Status)
	}
	if b := l.merchantBalance(t); b != 1000 {
		t.Errorf("merchant balance = %d, want 1000", b)
	}
}

func TestSandboxLateSuccessAfterCloseIsRefunded(t *testing.T) {
	ctx := context.Background()
	l := newLive(t)
	l.a.HoldCallbacks(true)
	p := l.create(t, false)
	if got, err := l.agg.ClosePayment(ctx, p.ID); err != nil || got.Status != channel.StatusClosed {
		t.Fatalf("close: %s, %v", got.Status, err)
	}
	if err := l.a.PayLate(ctx, p.ID); err != nil { // the payer paid just as it closed
		t.Fatal(err)
	}
	l.a.HoldCallbacks(false)
	cbs := l.a.Callbacks() // [charge.closed, charge.succeeded], both held
	for i := len(cbs) - 1; i >= 0; i-- {
		if err := l.a.Deliver(ctx, cbs[i].EventID); err != nil {
			t.Fatal(err)
		}
	}
	got := l.wait(t, p.ID)
	if got.Status != channel.StatusSucceeded || !got.LateSuccess || len(got.Refunds) != 1 {
		t.Fatalf("late success: %+v", got)
	}
	// The automatic refund settles by its own callback.
	deadline := time.Now().Add(5 * time.Second)
	for got.Refunded != got.Amount && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		got, _ = l.agg.Payment(ctx, p.ID)
	}
	if got.Refunded != got.Amount || l.merchantBalance(t) != 0 {
		t.Errorf("refunded %v, merchant balance %d; want all back", got.Refunded, l.merchantBalance(t))
	}
}

func TestSandboxCallbackBeforeCreateReturned(t *testing.T) {
	l := newLive(t)
	l.a.Inject(sandbox.OpCreate, sandbox.Fault{Kind: sandbox.FaultCallbackFirst})
	p := l.create(t, false)
	if p.Status != channel.StatusSucceeded || l.merchantBalance(t) != 1250 {
		t.Errorf("status %s, balance %d", p.Status, l.merchantBalance(t))
	}
}

func TestSandboxDeclineFailsThePayment(t *testing.T) {
	l := newLive(t)
	l.a.Inject(sandbox.OpCreate, sandbox.Fault{Kind: sandbox.FaultDecline, Reason: "card frozen"})
	p := l.create(t, true)
	if p.Status != channel.StatusFailed || p.Channel != "sandbox-a" || l.b.Accepted() != 0 {
		t.Errorf("payment %s on %s, b accepted %d", p.Status, p.Channel, l.b.Accepted())
	}
}

func TestSandboxForgedCallbacksAreRejected(t *testing.T) {
	l := newLive(t)
	p := l.create(t, false)
	body := []byte(`{"id":"sbevt_forged","type":"charge.succeeded","created":` + strconv.FormatInt(time.Now().Unix(), 10) +
		`,"data":{"charge_id":"` + p.ID + `","amount":{"amount":1250,"currency":"CNY"}}}`)
	stale, _ := pay.SignWebhook(body, time.Now().Add(-time.Hour), l.a.Secret())
	forged, _ := pay.SignWebhook(body, time.Now(), "whsec_not_the_providers")
	for name, tc := range map[string]struct {
		path, sig string
		want      int
	}{
		"no signature":  {"/v1/callbacks/sandbox-a", "", http.StatusBadRequest},
		"wrong secret":  {"/v1/callbacks/sandbox-a", forged, http.StatusBadRequest},
		"stale":         {"/v1/callbacks/sandbox-a", stale, http.StatusBadRequest},
		"wrong channel": {"/v1/callbacks/sandbox-b", forged, http.StatusBadRequest},
		"no channel":    {"/v1/callbacks/paypal", forged, http.StatusNotFound},
	} {
		req, _ := http.NewRequest("POST", l.cb.URL+tc.path, bytes.NewReader(body))
		if tc.sig != "" {
			req.Header.Set("Sandbox-Signature", tc.sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, tc.want)
		}
	}
	if got, _ := l.agg.Payment(context.Background(), p.ID); got.Status != channel.StatusPending || l.merchantBalance(t) != 0 {
		t.Errorf("forged callbacks changed the payment: %s", got.Status)
	}
}
