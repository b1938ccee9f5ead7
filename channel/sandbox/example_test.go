package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/sandbox"
	"github.com/paykit-go/paykit/pay"
)

// The whole life cycle offline: a simulated provider behind httptest, the
// adapter creating a QR charge, the payer paying it, and the merchant's
// endpoint verifying the callback.
func Example() {
	ctx := context.Background()
	provider, err := sandbox.NewProvider()
	if err != nil {
		panic(err)
	}
	defer provider.Close()
	srv := httptest.NewServer(provider)
	defer srv.Close()

	events := make(chan channel.Event, 1)
	var ch *sandbox.Channel
	notify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := ch.ParseCallback(r)
		ch.Acknowledge(w, err)
		if err == nil {
			events <- e
		}
	}))
	defer notify.Close()

	ch, err = sandbox.New(srv.URL, provider.Secret(), sandbox.WithNotifyURL(notify.URL))
	if err != nil {
		panic(err)
	}
	c, err := ch.CreateCharge(ctx, channel.ChargeRequest{
		ChargeID: "ord_20260301_0001",
		Scenario: channel.ScenarioQR,
		Amount:   pay.Money{Amount: 1250, Currency: "CNY"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Status, strings.HasPrefix(c.Action.QRCode, "sandbox://pay/sbch_"))

	if err := provider.Pay(ctx, c.ChargeID); err != nil { // the payer scans and pays
		panic(err)
	}
	e := <-events
	fmt.Println(e.Channel, e.Type, e.ChargeID, e.Amount)

	c, err = ch.QueryCharge(ctx, c.ChargeID)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Status, provider.Accepted())
	// Output:
	// pending true
	// sandbox charge.succeeded ord_20260301_0001 12.50 CNY
	// succeeded 1
}

// fixedClock is a pay.Clock that always says t.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// Verifying a callback by hand: what a merchant endpoint gets from the
// provider, and what a forged or stale copy yields.
func ExampleChannel_ParseCallback() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	secret := "sbsec_example_0123456789"
	ch, err := sandbox.New("http://127.0.0.1:9", secret, sandbox.WithClock(fixedClock(now)))
	if err != nil {
		panic(err)
	}
	body := `{"id":"sbevt_example1","type":"refund.succeeded","created":1772366400,` +
		`"data":{"charge_id":"ord_20260301_0001","refund_id":"rf_0001","amount":{"amount":250,"currency":"CNY"}}}`
	post := func(secret string, at time.Time) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/callbacks/sandbox", strings.NewReader(body))
		sig, _ := pay.SignWebhook([]byte(body), at, secret)
		r.Header.Set(sandbox.SignatureHeader, sig)
		return r
	}

	e, err := ch.ParseCallback(post(secret, now))
	fmt.Println(e.ID, e.Type, e.RefundID, e.Amount, err)

	_, err = ch.ParseCallback(post("forged-secret-0123456789", now))
	w := httptest.NewRecorder()
	ch.Acknowledge(w, err)
	fmt.Println(w.Code, w.Body)

	_, err = ch.ParseCallback(post(secret, now.Add(-time.Hour)))
	fmt.Println(err)
	// Output:
	// sbevt_example1 refund.succeeded rf_0001 2.50 CNY <nil>
	// 400 {"received":false,"error":"channel_bad_signature"}
	// paykit: unauthorized: callback signature is outside the freshness window (param Sandbox-Signature)
}

// Injecting a fault: the provider stores the charge, then answers 500 on
// every attempt, so the adapter reports an unknown outcome and the charge
// must be queried before anything is retried elsewhere.
func ExampleProvider_Inject() {
	ctx := context.Background()
	provider, _ := sandbox.NewProvider()
	defer provider.Close()
	srv := httptest.NewServer(provider)
	defer srv.Close()
	ch, _ := sandbox.New(srv.URL, provider.Secret(),
		sandbox.WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))

	provider.Inject(sandbox.OpCreate, sandbox.Fault{Kind: sandbox.FaultServerError, Times: 2})
	_, err := ch.CreateCharge(ctx, channel.ChargeRequest{
		ChargeID: "ord_20260301_0002", Scenario: channel.ScenarioWeb,
		Amount: pay.Money{Amount: 990, Currency: "JPY"},
	})
	fmt.Println(errors.Is(err, channel.ErrOutcomeUnknown), provider.Accepted())

	c, err := ch.QueryCharge(ctx, "ord_20260301_0002")
	fmt.Println(c.Status, c.Amount, err)
	// Output:
	// true 1
	// pending 990 JPY <nil>
}
