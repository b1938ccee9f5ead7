package sandbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
)

// TestHeldCallbacks delivers held callbacks out of order and twice.
func TestHeldCallbacks(t *testing.T) {
	h := newHarness(t, nil)
	h.p.HoldCallbacks(true)
	ids := []string{"ord_held_1", "ord_held_2"}
	for _, id := range ids {
		if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioQR)); err != nil {
			t.Fatal(err)
		}
		if err := h.p.Pay(bg, id); err != nil {
			t.Fatal(err)
		}
	}
	cbs := h.p.Callbacks()
	if len(cbs) != 2 {
		t.Fatalf("callbacks = %+v", cbs)
	}
	for i, cb := range cbs {
		if !cb.Held || cb.Delivered != 0 || cb.Attempts != 0 || cb.ChargeID != ids[i] || cb.Type != channel.EventChargeSucceeded {
			t.Fatalf("callback %d = %+v, want held and undelivered", i, cb)
		}
	}
	// Held means held: stopping the hold releases nothing by itself.
	h.p.HoldCallbacks(false)
	time.Sleep(20 * time.Millisecond)
	if evs := h.rc.Events(); len(evs) != 0 {
		t.Fatalf("held callbacks were sent: %+v", evs)
	}

	// Out of order: the second charge's callback first.
	for _, i := range []int{1, 0, 1} {
		if err := h.p.Deliver(bg, cbs[i].EventID); err != nil {
			t.Fatal(err)
		}
	}
	evs := h.rc.Events()
	var got []string
	for _, e := range evs {
		got = append(got, e.ID)
	}
	want := []string{cbs[1].EventID, cbs[0].EventID, cbs[1].EventID}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("receiver saw %v, want %v (the same event ID twice)", got, want)
	}
	after := h.p.Callbacks()
	if after[0].Delivered != 1 || after[1].Delivered != 2 || after[0].Held || after[1].Held {
		t.Fatalf("callbacks after delivery = %+v", after)
	}
}

// TestCallbackRetries: 5xx and unreachable receivers are retried, a 4xx
// answer ends the retries.
func TestCallbackRetries(t *testing.T) {
	t.Run("500 then 200", func(t *testing.T) {
		h := newHarness(t, nil)
		var refusals atomic.Int32
		h.rc.fail = func(channel.Event) error {
			if refusals.Add(1) <= 2 {
				return errors.New("database down")
			}
			return nil
		}
		id := "ord_retry"
		if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioScanned)); err != nil {
			t.Fatal(err)
		}
		h.rc.wait(t, channel.EventChargeSucceeded, id)
		eventually(t, "the provider saw the 200", func() bool { return h.p.Callbacks()[0].Delivered == 1 })
		h.p.Close()
		cb := h.p.Callbacks()[0]
		if cb.Attempts != 3 || cb.Delivered != 1 || cb.LastStatus != http.StatusOK {
			t.Fatalf("callback = %+v, want 3 attempts, delivered once", cb)
		}
	})
	t.Run("400 stops", func(t *testing.T) {
		h := newHarness(t, nil)
		wrong, err := New(h.srv.URL, "another-secret-0123456789")
		if err != nil {
			t.Fatal(err)
		}
		h.rc.ch = wrong // verifies with the wrong secret: ErrBadSignature → 400
		if _, err := h.ch.CreateCharge(bg, chargeReq("ord_400", channel.ScenarioScanned)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the callback was posted", func() bool { return h.p.Callbacks()[0].Attempts > 0 })
		h.p.Close() // waits for any further attempt
		cb := h.p.Callbacks()[0]
		if cb.Attempts != 1 || cb.Delivered != 0 || cb.LastStatus != http.StatusBadRequest {
			t.Fatalf("callback = %+v, want one refused attempt", cb)
		}
		if errs := h.rc.Errs(); len(errs) != 1 || !errors.Is(errs[0], channel.ErrBadSignature) {
			t.Fatalf("receiver errors = %v", errs)
		}
	})
	t.Run("unreachable, then Close", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		h := newHarness(t, []ProviderOption{WithCallbackRetries(1000, 10*time.Millisecond)}, WithNotifyURL(dead.URL))
		if _, err := h.ch.CreateCharge(bg, chargeReq("ord_dead", channel.ScenarioScanned)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "two attempts", func() bool { return h.p.Callbacks()[0].Attempts >= 2 })
		start := time.Now()
		h.p.Close()
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Close took %v", d)
		}
		n := h.p.Callbacks()[0].Attempts
		time.Sleep(30 * time.Millisecond)
		if m := h.p.Callbacks()[0].Attempts; m != n || m >= 1000 {
			t.Fatalf("attempts went on after Close: %d → %d", n, m)
		}
	})
}

func TestCallbackDelayAndAutoPay(t *testing.T) {
	h := newHarness(t, []ProviderOption{WithCallbackDelay(80 * time.Millisecond), WithAutoPay(10 * time.Millisecond)})
	id := "ord_auto"
	start := time.Now()
	c, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioInApp))
	if err != nil || c.Status != channel.StatusPending {
		t.Fatalf("CreateCharge = %+v, %v", c, err)
	}
	h.rc.wait(t, channel.EventChargeSucceeded, id)
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("callback after %v, want the auto-pay delay plus the callback delay", d)
	}
	if c, _ := h.p.Charge(id); c.Status != channel.StatusSucceeded {
		t.Fatalf("auto-paid charge = %+v", c)
	}
}

func TestDeliverErrors(t *testing.T) {
	h := newHarness(t, nil)
	assertIs(t, h.p.Deliver(bg, "sbevt_nosuchevent"), channel.ErrUnknownCharge)

	h.p.HoldCallbacks(true)
	id := "ord_deliver"
	if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioScanned)); err != nil {
		t.Fatal(err)
	}
	ev := h.p.Callbacks()[0].EventID
	h.rc.fail = func(channel.Event) error { return errors.New("busy") }
	assertIs(t, h.p.Deliver(bg, ev), channel.ErrDeclined)
	h.rc.fail = nil
	if err := h.p.Deliver(bg, ev); err != nil {
		t.Fatal(err)
	}

	// A charge without any notify URL records its callback but posts nothing.
	bare, err := New(h.srv.URL, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.CreateCharge(bg, chargeReq("ord_nourl", channel.ScenarioScanned)); err != nil {
		t.Fatal(err)
	}
	cbs := h.p.Callbacks()
	last := cbs[len(cbs)-1]
	if last.ChargeID != "ord_nourl" || last.Held {
		t.Fatalf("callback = %+v", last)
	}
	assertIs(t, h.p.Deliver(bg, last.EventID), channel.ErrUnknownCharge)
}
