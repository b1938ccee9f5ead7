package pay_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// A sender signs a webhook body with every active secret: here the old and
// the new one, while a secret is being rolled.
func ExampleSignWebhook() {
	body := []byte(`{"id":"evt_0example","type":"payment.succeeded","created":1700000000,"data":{"amount":1234,"currency":"CNY"}}`)
	sent := time.Unix(1700000000, 0)

	header, err := pay.SignWebhook(body, sent, "whsec_example_old", "whsec_example_new")
	if err != nil {
		panic(err)
	}
	for part := range strings.SplitSeq(header, ",") {
		fmt.Println(part)
	}
	// Output:
	// t=1700000000
	// v1=460cf5622412d14e60683b86080e0ab66d342fda1fc662d235ac07b5c9cbdae7
	// v1=71c784e30757bd0e7af9b1d97bdd747bea2fff0d6922669b9bcf7193f1de83b8
}

// A receiver checks the header against the raw body, its clock and its
// secret. It knows only the new secret, and still accepts the delivery
// signed with both.
func ExampleVerifyWebhook() {
	body := []byte(`{"id":"evt_0example","type":"payment.succeeded","created":1700000000,"data":{"amount":1234,"currency":"CNY"}}`)
	header := "t=1700000000," +
		"v1=460cf5622412d14e60683b86080e0ab66d342fda1fc662d235ac07b5c9cbdae7," +
		"v1=71c784e30757bd0e7af9b1d97bdd747bea2fff0d6922669b9bcf7193f1de83b8"
	now := time.Unix(1700000042, 0)

	t, err := pay.VerifyWebhook(header, body, now, pay.DefaultWebhookTolerance, "whsec_example_new")
	fmt.Println(t.UTC().Format(time.RFC3339), err)

	tampered := []byte(strings.Replace(string(body), "1234", "9999", 1))
	_, err = pay.VerifyWebhook(header, tampered, now, pay.DefaultWebhookTolerance, "whsec_example_new")
	fmt.Println(errors.Is(err, pay.ErrUnauthorized), errors.Is(err, pay.ErrWebhookSignature))

	_, err = pay.VerifyWebhook(header, body, now.Add(time.Hour), pay.DefaultWebhookTolerance, "whsec_example_new")
	fmt.Println(errors.Is(err, pay.ErrUnauthorized), errors.Is(err, pay.ErrWebhookTooOld))
	// Output:
	// 2023-11-14T22:13:20Z <nil>
	// true true
	// true true
}

// A merchant mounts a WebhookHandler; the backend delivers an event with
// SignedWebhookRequest. A redelivery of the same event is acknowledged
// without calling onEvent again.
func ExampleNewWebhookHandler() {
	const secret = "whsec_example_new"
	h, err := pay.NewWebhookHandler(func(ctx context.Context, e pay.Event) error {
		fmt.Printf("onEvent: %s %s %s\n", e.ID, e.Type, e.Data)
		return nil
	}, pay.WithWebhookSecrets(secret))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	ev := pay.Event{ID: "evt_0example", Type: "payment.succeeded", Created: 1700000000, Data: []byte(`{"amount":1234,"currency":"CNY"}`)}
	for range 2 {
		req, err := pay.SignedWebhookRequest(context.Background(), srv.URL, ev, time.Now(), secret)
		if err != nil {
			panic(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(b)))
	}

	// A forged delivery is refused before onEvent sees it.
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"id":"evt_0forged","type":"payment.succeeded","created":1700000000,"data":{}}`))
	req.Header.Set(pay.SignatureHeader, "t=1700000000,v1="+strings.Repeat("0", 64))
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// onEvent: evt_0example payment.succeeded {"amount":1234,"currency":"CNY"}
	// 200 {"received":true}
	// 200 {"received":true,"duplicate":true}
	// 401
}

// A backend delivers signed events to a merchant's endpoint; the merchant
// verifies them with the secret it was given when it registered the URL.
func ExampleWebhookSender() {
	sender, _ := pay.NewWebhookSender()
	defer sender.Close()

	var secret string
	got := make(chan string, 1)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _ := pay.NewWebhookHandler(func(_ context.Context, e pay.Event) error {
			got <- e.Type
			return nil
		}, pay.WithWebhookSecrets(secret))
		h.ServeHTTP(w, r)
	}))
	defer merchant.Close()

	ep, _ := sender.AddEndpoint(merchant.URL)
	secret = ep.Secret
	e, _ := pay.NewEvent("payment.succeeded", time.Now(), map[string]string{"id": "pay_demo"})
	sender.Notify(context.Background(), e)
	fmt.Println(<-got)
	// Output: payment.succeeded
}
