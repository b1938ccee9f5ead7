package channel_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func succeeded(t *testing.T, e env, amount int64) channel.Payment {
	t.Helper()
	req := qrRequest("wx")
	req.Amount = cny(amount)
	p := e.pay(t, req)
	if err := e.agg.ApplyEvent(context.Background(), event("paid-"+p.ID, "wx", channel.EventChargeSucceeded, p)); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRefundPendingThenSettledByCallback(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, newFake("wx"))
	p := succeeded(t, e, 1000)
	got, err := e.agg.Refund(ctx, p.ID, channel.RefundParams{Amount: cny(400), Reason: "one item back"})
	if err != nil {
		t.Fatal(err)
	}
	r := got.Refunds[0]
	if r.Status != channel.RefundPending || got.Refundable() != cny(600) || got.Refunded != cny(0) {
		t.Fatalf("after refund call: %+v", got)
	}
	ev := channel.Event{ID: "r1", Channel: "wx", Type: channel.EventRefundSucceeded, ChargeID: p.ID, RefundID: r.ID, Amount: cny(399)}
	if err := e.agg.ApplyEvent(ctx, ev); !errors.Is(err, channel.ErrAmountMismatch) {
		t.Errorf("refund callback with wrong amount: %v", err)
	}
	ev.Amount = cny(400)
	if err := e.agg.ApplyEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := e.agg.ApplyEvent(ctx, ev); !errors.Is(err, channel.ErrDuplicate) {
		t.Errorf("duplicate refund callback: %v", err)
	}
	got, _ = e.agg.Payment(ctx, p.ID)
	if got.Refunded != cny(400) || got.Refunds[0].Status != channel.RefundSucceeded {
		t.Errorf("after callback: %+v", got)
	}
	if b := e.merchantBalance(t); b != 600 {
		t.Errorf("merchant balance = %d, want 600", b)
	}
}

func TestRefundRules(t *testing.T) {
	ctx := context.Background()
	wx := newFake("wx")
	e := newEnv(t, wx)
	pending := e.pay(t, qrRequest("wx"))
	if _, err := e.agg.Refund(ctx, pending.ID, channel.RefundParams{Amount: cny(1)}); !errors.Is(err, pay.ErrConflict) {
		t.Errorf("refund of a pending payment: %v", err)
	}
	p := succeeded(t, e, 1000)
	for name, amt := range map[string]pay.Money{"too much": cny(1001), "currency": {Amount: 1, Currency: "USD"}, "zero": cny(0)} {
		if _, err := e.agg.Refund(ctx, p.ID, channel.RefundParams{Amount: amt}); !errors.Is(err, pay.ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	wx.set(func(f *fakeChannel) {
		f.refundErr = channel.Errorf(channel.ErrDeclined, "", "not enough merchant balance")
	})
	if _, err := e.agg.Refund(ctx, p.ID, channel.RefundParams{Amount: cny(500)}); !errors.Is(err, channel.ErrDeclined) {
		t.Errorf("declined refund: %v", err)
	}
	got, _ := e.agg.Payment(ctx, p.ID)
	if got.Refunds[0].Status != channel.RefundFailed || got.Refundable() != cny(1000) || e.merchantBalance(t) != 1000 {
		t.Errorf("declined refund left: %+v, balance %d", got, e.merchantBalance(t))
	}
	wx.set(func(f *fakeChannel) { f.refundErr = nil })
	if len(e.rec.types()) == 0 || e.rec.types()[len(e.rec.types())-1] != channel.WebhookRefundFailed {
		t.Errorf("webhooks = %v", e.rec.types())
	}
}

func TestConcurrentDuplicateCallbacksApplyOnce(t *testing.T) {
	const n = 64
	e := newEnv(t, newFake("wx"))
	p := e.pay(t, qrRequest("wx"))
	var ok, dup atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := e.agg.ApplyEvent(context.Background(), event("same", "wx", channel.EventChargeSucceeded, p))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, channel.ErrDuplicate):
				dup.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || dup.Load() != n-1 {
		t.Errorf("applied %d, duplicates %d; want 1 and %d", ok.Load(), dup.Load(), n-1)
	}
	if b := e.merchantBalance(t); b != 1250 {
		t.Errorf("merchant balance = %d, want 1250", b)
	}
	if got := len(e.rec.types()); got != 1 {
		t.Errorf("%d webhooks, want 1", got)
	}
}

func TestConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	const n = 64
	wx := newFake("wx")
	wx.refundStatus = channel.RefundSucceeded
	e := newEnv(t, wx)
	p := succeeded(t, e, 40)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := e.agg.Refund(context.Background(), p.ID, channel.RefundParams{Amount: cny(1)}); err == nil {
				ok.Add(1)
			} else if !errors.Is(err, pay.ErrInvalidRequest) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := e.agg.Payment(context.Background(), p.ID)
	if ok.Load() != 40 || got.Refunded != cny(40) || len(got.Refunds) != 40 || e.merchantBalance(t) != 0 {
		t.Errorf("refunds ok %d, refunded %v, records %d, balance %d; want 40, 40, 40, 0", ok.Load(), got.Refunded, len(got.Refunds), e.merchantBalance(t))
	}
}

func TestConcurrentPaymentsAreAllBooked(t *testing.T) {
	const n = 64
	e := newEnv(t, newFake("wx"))
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := qrRequest("wx")
			req.Amount = cny(int64(i + 1))
			p, err := e.agg.CreatePayment(context.Background(), req)
			if err != nil {
				t.Error(err)
				return
			}
			if err := e.agg.ApplyEvent(context.Background(), event("ok-"+p.ID, "wx", channel.EventChargeSucceeded, p)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if b := e.merchantBalance(t); b != n*(n+1)/2 {
		t.Errorf("merchant balance = %d, want %d", b, n*(n+1)/2)
	}
}
