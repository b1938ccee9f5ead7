package channel_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func TestFailoverWhenFirstChannelIsCertainlyUnavailable(t *testing.T) {
	wx, ali := newFake("wx"), newFake("ali")
	wx.createErr = channel.Errorf(channel.ErrUnavailable, "", "wx down")
	e := newEnv(t, wx, ali)
	req := qrRequest("wx")
	req.Failover = true
	p := e.pay(t, req)
	if p.Channel != "ali" || p.Status != channel.StatusPending {
		t.Fatalf("payment = %s on %s, want pending on ali", p.Status, p.Channel)
	}
	want := []channel.ChargeAttempt{{Channel: "wx", Error: "channel_unavailable"}, {Channel: "ali"}}
	if d := cmp.Diff(want, p.Attempts); d != "" {
		t.Errorf("attempts (-want +got):\n%s", d)
	}
	if ali.createCount() != 1 {
		t.Errorf("ali charged %d times, want 1", ali.createCount())
	}
	// The success callback must come from the channel that accepted.
	if err := e.agg.ApplyEvent(context.Background(), event("x", "wx", channel.EventChargeSucceeded, p)); !errors.Is(err, channel.ErrUnknownCharge) {
		t.Errorf("callback from the failed-over channel: %v", err)
	}
}

func TestNoFailoverOnceTheChannelMayHaveAccepted(t *testing.T) {
	wx, ali := newFake("wx"), newFake("ali")
	wx.createErr = channel.Errorf(channel.ErrOutcomeUnknown, "", "timeout after sending")
	e := newEnv(t, wx, ali)
	req := qrRequest("wx")
	req.Failover = true
	p := e.pay(t, req)
	if p.Channel != "wx" || p.Status != channel.StatusPending || ali.createCount() != 0 {
		t.Fatalf("payment %s on %s, ali charged %d times; want pending on wx, ali untouched", p.Status, p.Channel, ali.createCount())
	}
	// Reconciliation learns the truth from the channel.
	wx.set(func(f *fakeChannel) {
		f.query = channel.Charge{ProviderID: "wx1", Status: channel.StatusSucceeded, Amount: p.Amount}
	})
	got, err := e.agg.SyncPayment(context.Background(), p.ID)
	if err != nil || got.Status != channel.StatusSucceeded || got.ProviderID != "wx1" {
		t.Fatalf("SyncPayment = %+v, %v", got, err)
	}
	if b := e.merchantBalance(t); b != 1250 {
		t.Errorf("merchant balance = %d", b)
	}
}

func TestWithoutFailoverAnUnavailableChannelFailsThePayment(t *testing.T) {
	wx, ali := newFake("wx"), newFake("ali")
	wx.createErr = channel.Errorf(channel.ErrUnavailable, "", "wx down")
	e := newEnv(t, wx, ali)
	p, err := e.agg.CreatePayment(context.Background(), qrRequest("wx"))
	if !errors.Is(err, channel.ErrUnavailable) || !errors.Is(err, pay.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if p.Status != channel.StatusFailed || ali.createCount() != 0 {
		t.Errorf("payment %s, ali charged %d", p.Status, ali.createCount())
	}
}

func TestFailoverSkipsChannelsTheUserMayNotChoose(t *testing.T) {
	ctx := context.Background()
	wx, ali, st := newFake("wx"), newFake("ali"), newFake("st")
	wx.createErr = channel.Errorf(channel.ErrUnavailable, "", "down")
	e := newEnv(t, wx, ali, st)
	if err := e.agg.SetUserEnabled(ctx, "u1", "ali", false); err != nil {
		t.Fatal(err)
	}
	req := qrRequest("wx")
	req.Failover = true
	if p := e.pay(t, req); p.Channel != "st" || ali.createCount() != 0 || st.createCount() != 1 {
		t.Errorf("went to %s (ali %d, st %d), want st once", p.Channel, ali.createCount(), st.createCount())
	}
}

func TestDeclineFailsWithoutFailover(t *testing.T) {
	wx, ali := newFake("wx"), newFake("ali")
	wx.createErr = channel.Errorf(channel.ErrDeclined, "", "insufficient balance")
	e := newEnv(t, wx, ali)
	req := qrRequest("wx")
	req.Failover = true
	p := e.pay(t, req)
	if p.Status != channel.StatusFailed || p.FailureReason != "insufficient balance" || ali.createCount() != 0 {
		t.Errorf("payment %+v, ali %d", p, ali.createCount())
	}
	if d := cmp.Diff([]string{channel.WebhookPaymentFailed}, e.rec.types()); d != "" {
		t.Errorf("webhooks (-want +got):\n%s", d)
	}
}

func TestCallbackBeforeCreateReturns(t *testing.T) {
	wx := newFake("wx")
	e := newEnv(t, wx)
	wx.onCreate = func(req channel.ChargeRequest) {
		ev := channel.Event{ID: "early", Channel: "wx", Type: channel.EventChargeSucceeded, ChargeID: req.ChargeID, Amount: req.Amount}
		if err := e.agg.ApplyEvent(context.Background(), ev); err != nil {
			t.Errorf("early callback: %v", err)
		}
	}
	p := e.pay(t, qrRequest("wx")) // the create answer says pending; the callback already said succeeded
	if p.Status != channel.StatusSucceeded || p.ProviderID == "" {
		t.Errorf("payment = %s (provider %q), want succeeded", p.Status, p.ProviderID)
	}
	if b := e.merchantBalance(t); b != 1250 {
		t.Errorf("merchant balance = %d", b)
	}
}

func TestSynchronousSuccessFromCreate(t *testing.T) {
	wx := newFake("wx")
	wx.createStatus = channel.StatusSucceeded
	e := newEnv(t, wx)
	req := qrRequest("wx")
	req.Scenario, req.AuthCode = channel.ScenarioScanned, "134567890123456789"
	if p := e.pay(t, req); p.Status != channel.StatusSucceeded || e.merchantBalance(t) != 1250 {
		t.Errorf("scanned payment = %s, balance %d", p.Status, e.merchantBalance(t))
	}
}
