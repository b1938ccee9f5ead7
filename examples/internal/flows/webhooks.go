package flows

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Webhooks runs a merchant's webhook endpoint: a signed event is delivered
// and handled once; the same delivery replayed, a forged one, and one
// signed with a retired secret are refused or ignored.
func Webhooks(ctx context.Context) error {
	const secret = "whsec_demo_current_secret"
	handled := 0
	h, err := pay.NewWebhookHandler(func(_ context.Context, e pay.Event) error {
		handled++
		fmt.Printf("merchant: handled %s %s\n", e.Type, e.Data)
		return nil
	}, pay.WithWebhookSecrets(secret))
	if err != nil {
		return err
	}
	endpoint := httptest.NewServer(h)
	defer endpoint.Close()

	ev, err := pay.NewEvent("bill.paid", time.Now(), map[string]any{"bill": "bill_demo", "amount": pay.Money{Amount: 45_80, Currency: "CNY"}})
	if err != nil {
		return err
	}
	body, err := ev.Payload()
	if err != nil {
		return err
	}
	deliver := func(what string, sig string) error {
		req, err := http.NewRequestWithContext(ctx, "POST", endpoint.URL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set(pay.SignatureHeader, sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		reply, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Printf("%-28s → %d %s", what, res.StatusCode, reply)
		return nil
	}
	good, err := pay.SignWebhook(body, time.Now(), secret)
	if err != nil {
		return err
	}
	forged, _ := pay.SignWebhook(body, time.Now(), "whsec_attacker_guess")
	stale, _ := pay.SignWebhook(body, time.Now().Add(-10*time.Minute), secret)
	for _, d := range []struct{ what, sig string }{
		{"signed delivery", good}, {"same delivery replayed", good}, {"forged signature", forged}, {"captured 10 minutes ago", stale},
	} {
		if err := deliver(d.what, d.sig); err != nil {
			return err
		}
	}
	if handled != 1 {
		return fmt.Errorf("webhooks: handled %d times, want exactly once", handled)
	}
	fmt.Println("merchant: the event was handled exactly once")
	return nil
}
