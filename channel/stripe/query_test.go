package stripe

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func TestQueryCharge(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	created, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_query01", Scenario: channel.ScenarioInApp, Amount: usd(1234)})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := c.QueryCharge(ctx, "pay_query01")
	if err != nil || pending.Status != channel.StatusPending || pending.Action.AppParams["payment_intent"] != created.ProviderID {
		t.Fatalf("pending query = %+v, %v", pending, err)
	}
	f.clock.Advance(time.Minute)
	f.pay(created.ProviderID, "pm_seed_visa")
	want := channel.Charge{ChargeID: "pay_query01", ProviderID: created.ProviderID, Status: channel.StatusSucceeded, Amount: usd(1234),
		PaidAt: fakeStart.Add(time.Minute)}
	got, err := c.QueryCharge(ctx, "pay_query01")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cached query (-want +got):\n%s", diff)
	}

	// A fresh process has no memory: it finds the intent with the Search API.
	fresh := f.channel()
	got, err = fresh.QueryCharge(ctx, "pay_query01")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("searched query (-want +got):\n%s", diff)
	}
	r := f.lastRequest("GET", "/v1/payment_intents/search")
	if q := r.Form.Get("query"); q != "metadata['charge_id']:'pay_query01'" {
		t.Errorf("search query = %q", q)
	}
}

func TestQueryChargeSearchLag(t *testing.T) {
	f := newFake(t)
	f.searchLag = time.Minute
	creator := f.channel()
	if _, err := creator.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_lag0001", Scenario: channel.ScenarioInApp, Amount: usd(1)}); err != nil {
		t.Fatal(err)
	}
	// The creating process remembers the intent and needs no search.
	if got, err := creator.QueryCharge(ctx, "pay_lag0001"); err != nil || got.Status != channel.StatusPending {
		t.Fatalf("creator query: %+v, %v", got, err)
	}
	if n := f.requestCount("GET", "/v1/payment_intents/search"); n != 0 {
		t.Fatalf("creator searched %d times", n)
	}
	fresh := f.channel()
	if _, err := fresh.QueryCharge(ctx, "pay_lag0001"); !errors.Is(err, channel.ErrUnknownCharge) || !errors.Is(err, pay.ErrNotFound) {
		t.Fatalf("err = %v, want ErrUnknownCharge while search lags", err)
	}
	f.clock.Advance(2 * time.Minute)
	if got, err := fresh.QueryCharge(ctx, "pay_lag0001"); err != nil || got.Status != channel.StatusPending {
		t.Fatalf("after the lag: %+v, %v", got, err)
	}
}

func TestQueryWebCharge(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	created, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_webq001", Scenario: channel.ScenarioWeb, Amount: usd(990), ReturnURL: "https://shop.example/r"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.channel().QueryCharge(ctx, "pay_webq001"); !errors.Is(err, channel.ErrUnknownCharge) {
		t.Fatalf("an unsubmitted Checkout session is not searchable; err = %v", err)
	}
	pi := f.completeSession(created.ProviderID, "pm_seed_visa")
	want := channel.Charge{ChargeID: "pay_webq001", ProviderID: pi, Status: channel.StatusSucceeded, Amount: usd(990), PaidAt: fakeStart}
	for name, ch := range map[string]*Channel{"creator": c, "fresh": f.channel()} {
		got, err := ch.QueryCharge(ctx, "pay_webq001")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestCloseCharge(t *testing.T) {
	t.Run("cancels the intent, twice, from any process", func(t *testing.T) {
		f := newFake(t)
		c := f.channel()
		created, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_close01", Scenario: channel.ScenarioInApp, Amount: usd(100)})
		if err != nil {
			t.Fatal(err)
		}
		for i, ch := range []*Channel{c, c, f.channel()} {
			if err := ch.CloseCharge(ctx, "pay_close01"); err != nil {
				t.Fatalf("close #%d: %v", i+1, err)
			}
		}
		if st := f.object(created.ProviderID)["status"]; st != "canceled" {
			t.Fatalf("intent status %v", st)
		}
		if got, _ := c.QueryCharge(ctx, "pay_close01"); got.Status != channel.StatusClosed {
			t.Fatalf("query after close: %v", got.Status)
		}
		if r := f.lastRequest("POST", "/v1/payment_intents/"+created.ProviderID+"/cancel"); r.IdemKey != "paykit-close-pay_close01" || r.Form.Get("cancellation_reason") != "abandoned" {
			t.Fatalf("cancel request %+v", r)
		}
	})
	t.Run("a paid charge is declined", func(t *testing.T) {
		f := newFake(t)
		c := f.channel()
		if _, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_close02", Scenario: channel.ScenarioAgreement, Amount: usd(100),
			AgreementID: "pm_seed_visa", Payer: "cus_seed"}); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseCharge(ctx, "pay_close02"); !errors.Is(err, channel.ErrDeclined) {
			t.Fatalf("err = %v, want ErrDeclined", err)
		}
	})
	t.Run("expires a web charge's session", func(t *testing.T) {
		f := newFake(t)
		c := f.channel()
		created, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_close03", Scenario: channel.ScenarioWeb, Amount: usd(100), ReturnURL: "https://s.example/"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CloseCharge(ctx, "pay_close03"); err != nil {
			t.Fatal(err)
		}
		if st := f.object(created.ProviderID)["status"]; st != "expired" {
			t.Fatalf("session status %v", st)
		}
		if err := c.CloseCharge(ctx, "pay_close03"); err != nil {
			t.Fatalf("second close: %v", err)
		}
	})
	t.Run("a fresh process expires the session behind a searched intent", func(t *testing.T) {
		f := newFake(t)
		created, err := f.channel().CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_close04", Scenario: channel.ScenarioWeb, Amount: usd(100), ReturnURL: "https://s.example/"})
		if err != nil {
			t.Fatal(err)
		}
		pi := f.completeSession(created.ProviderID, "pm_card_chargeDeclined") // payer tried, was declined
		if err := f.channel().CloseCharge(ctx, "pay_close04"); err != nil {
			t.Fatal(err)
		}
		if f.object(created.ProviderID)["status"] != "expired" || f.object(pi)["status"] != "canceled" {
			t.Fatalf("session %v, intent %v", f.object(created.ProviderID)["status"], f.object(pi)["status"])
		}
	})
}

// After the 24-hour idempotency window a repeated create can leave two
// intents with one charge_id; the search prefers a succeeded one, else
// the newest.
func TestSearchPrefersSucceededThenNewest(t *testing.T) {
	f := newFake(t)
	if _, err := f.channel().CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_twin001", Scenario: channel.ScenarioInApp, Amount: usd(100)}); err != nil {
		t.Fatal(err)
	}
	twin := func(status string, age time.Duration) string {
		f.mu.Lock()
		defer f.mu.Unlock()
		id := f.nextID("pi")
		f.put(map[string]any{"id": id, "object": "payment_intent", "amount": int64(100), "amount_received": int64(0), "currency": "usd",
			"status": status, "metadata": map[string]any{"charge_id": "pay_twin001"}, "livemode": false,
			"created": f.clock.Now().Add(age).Unix()})
		return id
	}
	newest := twin("requires_payment_method", time.Hour)
	got, err := f.channel().QueryCharge(ctx, "pay_twin001")
	if err != nil || got.ProviderID != newest {
		t.Fatalf("got %s, %v; want the newest %s", got.ProviderID, err, newest)
	}
	paid := twin("succeeded", -time.Hour)
	got, err = f.channel().QueryCharge(ctx, "pay_twin001")
	if err != nil || got.ProviderID != paid || got.Status != channel.StatusSucceeded {
		t.Fatalf("got %+v, %v; want the succeeded %s", got, err, paid)
	}
}
