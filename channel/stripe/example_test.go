package stripe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/stripe"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// A minimal local stand-in for Stripe answers the PaymentIntent create
// call; the channel is pointed at it with WithBaseURL.
func ExampleChannel_CreateCharge() {
	var idemKey string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk_test_example" || r.URL.Path != "/v1/payment_intents" || r.ParseForm() != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}`))
			return
		}
		idemKey = r.Header.Get("Idempotency-Key")
		amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "pi_example1", "object": "payment_intent", "amount": amount, "currency": r.PostForm.Get("currency"),
			"status": "requires_payment_method", "client_secret": "pi_example1_secret_abc", "livemode": false,
			"metadata": map[string]string{"charge_id": r.PostForm.Get("metadata[charge_id]")},
		})
	}))
	defer fake.Close()

	ch, err := stripe.New("sk_test_example", stripe.WithBaseURL(fake.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	charge, err := ch.CreateCharge(context.Background(), channel.ChargeRequest{
		ChargeID: "pay_example1", Scenario: channel.ScenarioInApp, Amount: pay.Money{Amount: 1234, Currency: "USD"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(charge.Status, charge.ProviderID, charge.Amount)
	fmt.Println("client_secret:", charge.Action.AppParams["client_secret"])
	fmt.Println("Idempotency-Key:", idemKey)
	// Output:
	// pending pi_example1 12.34 USD
	// client_secret: pi_example1_secret_abc
	// Idempotency-Key: paykit-charge-pay_example1
}

// ParseCallback verifies Stripe-Signature and maps the event; Acknowledge
// answers Stripe. A tampered delivery is refused with 400.
func ExampleChannel_ParseCallback() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ch, err := stripe.New("sk_test_example", stripe.WithWebhookSecrets("whsec_example"), stripe.WithClock(clock.NewFake(now)))
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"id":"evt_1","object":"event","type":"payment_intent.succeeded","created":1772366400,"livemode":false,` +
		`"data":{"object":{"id":"pi_example1","object":"payment_intent","amount":1234,"amount_received":1234,"currency":"usd",` +
		`"status":"succeeded","livemode":false,"metadata":{"charge_id":"pay_example1"}}}}`)
	header, _ := stripe.SignWebhook(body, now, "whsec_example") // what Stripe sends

	deliver := func(body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v1/callbacks/stripe", bytes.NewReader(body))
		r.Header.Set(stripe.SignatureHeader, header)
		ev, err := ch.ParseCallback(r)
		if err == nil {
			fmt.Println(ev.ID, ev.Type, ev.ChargeID, ev.Amount)
		}
		w := httptest.NewRecorder()
		ch.Acknowledge(w, err)
		fmt.Println(w.Code, w.Body.String())
	}
	deliver(body)
	deliver(bytes.Replace(body, []byte(`"amount":1234`), []byte(`"amount":1`), 1))
	// Output:
	// evt_1 charge.succeeded pay_example1 12.34 USD
	// 200 {"received":true}
	// 400 {"received":false,"error":"channel_bad_signature"}
}

// SignWebhook produces the header Stripe would send, for testing a webhook
// endpoint end to end.
func ExampleSignWebhook() {
	h, err := stripe.SignWebhook([]byte(`{"id":"evt_test","object":"event"}`), time.Unix(1495999758, 0), "whsec_test_secret")
	fmt.Println(h, err)
	// Output:
	// t=1495999758,v1=b2d7def75132b725b44e54778762c83f837c1f2d1130164f29c6efc21a361533 <nil>
}
