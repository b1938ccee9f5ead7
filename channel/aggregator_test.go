package channel_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

type env struct {
	agg *channel.Aggregator
	rec *recorder
	clk *clock.Fake
}

func newEnv(t *testing.T, chs ...channel.Channel) env {
	t.Helper()
	e := env{rec: &recorder{}, clk: clock.NewFake(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))}
	var err error
	e.agg, err = channel.New(channel.WithClock(e.clk), channel.WithNotifier(e.rec.notifier()))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.agg.Register(chs...); err != nil {
		t.Fatal(err)
	}
	return e
}

func cny(n int64) pay.Money { return pay.Money{Amount: n, Currency: "CNY"} }

func qrRequest(ch string) channel.PaymentRequest {
	return channel.PaymentRequest{MerchantID: "mch_1", UserID: "u1", Channel: ch, Scenario: channel.ScenarioQR, Amount: cny(1250), Description: "VR game"}
}

// merchantBalance is the merchant's posted balance in the ledger.
func (e env) merchantBalance(t *testing.T) int64 {
	t.Helper()
	a, err := e.agg.Ledger().LookupAccount(context.Background(), "merchant:mch_1:CNY")
	if err != nil {
		return 0
	}
	return a.Balance()
}

func (e env) pay(t *testing.T, req channel.PaymentRequest) channel.Payment {
	t.Helper()
	p, err := e.agg.CreatePayment(context.Background(), req)
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	return p
}

func event(id, ch string, typ channel.EventType, p channel.Payment) channel.Event {
	return channel.Event{ID: id, Channel: ch, Type: typ, ChargeID: p.ID, Amount: p.Amount}
}

func TestRegisterRejectsBadAndDuplicateNames(t *testing.T) {
	e := newEnv(t, newFake("wx"))
	for _, ch := range []channel.Channel{newFake("wx"), newFake("Bad Name"), newFake(""), nil} {
		if err := e.agg.Register(ch); err == nil {
			t.Errorf("Register(%v) succeeded", ch)
		}
	}
}

func TestSwitchesDecideWhatAUserMayChoose(t *testing.T) {
	ctx := context.Background()
	wx, ali := newFake("wx"), newFake("ali")
	ali.caps.Scenarios = []channel.Scenario{channel.ScenarioQR}
	e := newEnv(t, wx, ali)
	names := func(userID string, s channel.Scenario) []string {
		cs, err := e.agg.Choices(ctx, userID, s, "CNY")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	if d := cmp.Diff([]string{"wx", "ali"}, names("u1", channel.ScenarioQR)); d != "" {
		t.Errorf("all on (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"wx"}, names("u1", channel.ScenarioInApp)); d != "" {
		t.Errorf("capabilities filter (-want +got):\n%s", d)
	}
	if err := e.agg.SetUserEnabled(ctx, "u1", "wx", false); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"ali"}, names("u1", channel.ScenarioQR)); d != "" {
		t.Errorf("user switch (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"wx", "ali"}, names("u2", channel.ScenarioQR)); d != "" {
		t.Errorf("another user unaffected (-want +got):\n%s", d)
	}
	if _, err := e.agg.CreatePayment(ctx, qrRequest("wx")); !errors.Is(err, channel.ErrDisabled) || !errors.Is(err, pay.ErrForbidden) {
		t.Errorf("user-disabled channel: err = %v, want ErrDisabled", err)
	}
	if err := e.agg.SetEnabled(ctx, "ali", false); err != nil {
		t.Fatal(err)
	}
	if got := names("u1", channel.ScenarioQR); len(got) != 0 {
		t.Errorf("system switch: choices = %v, want none", got)
	}
	if _, err := e.agg.CreatePayment(ctx, qrRequest("ali")); !errors.Is(err, channel.ErrDisabled) {
		t.Errorf("disabled channel: err = %v, want ErrDisabled", err)
	}
	req := qrRequest("wx")
	req.UserID, req.Scenario = "u2", channel.ScenarioWeb
	if _, err := e.agg.CreatePayment(ctx, req); !errors.Is(err, channel.ErrUnsupported) {
		t.Errorf("unsupported scenario: err = %v", err)
	}
	if _, err := e.agg.CreatePayment(ctx, channel.PaymentRequest{MerchantID: "m", Channel: "nope", Scenario: channel.ScenarioQR, Amount: cny(1)}); !errors.Is(err, channel.ErrUnknownChannel) {
		t.Errorf("unknown channel: err = %v", err)
	}
	if wx.createCount()+ali.createCount() != 0 {
		t.Error("a refused payment reached a channel")
	}
}

func TestPaymentRequestValidation(t *testing.T) {
	e := newEnv(t, newFake("wx"))
	for name, mut := range map[string]func(*channel.PaymentRequest){
		"no merchant":      func(r *channel.PaymentRequest) { r.MerchantID = "" },
		"bad scenario":     func(r *channel.PaymentRequest) { r.Scenario = "tap" },
		"zero amount":      func(r *channel.PaymentRequest) { r.Amount = cny(0) },
		"bad currency":     func(r *channel.PaymentRequest) { r.Amount.Currency = "XXY" },
		"scanned no code":  func(r *channel.PaymentRequest) { r.Scenario = channel.ScenarioScanned },
		"agreement no id":  func(r *channel.PaymentRequest) { r.Scenario = channel.ScenarioAgreement },
		"bad user":         func(r *channel.PaymentRequest) { r.UserID = "a b" },
		"long description": func(r *channel.PaymentRequest) { r.Description = string(make([]byte, 129)) },
	} {
		req := qrRequest("wx")
		mut(&req)
		if _, err := e.agg.CreatePayment(context.Background(), req); !errors.Is(err, pay.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want invalid_request", name, err)
		}
	}
}

func TestCallbackDrivesPaymentToSuccessOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, newFake("wx"))
	p := e.pay(t, qrRequest("wx"))
	if p.Status != channel.StatusPending || p.Action.QRCode == "" || p.ProviderID == "" {
		t.Fatalf("created payment = %+v", p)
	}
	if err := e.agg.ApplyEvent(ctx, event("ev1", "wx", channel.EventChargeSucceeded, p)); err != nil {
		t.Fatal(err)
	}
	if err := e.agg.ApplyEvent(ctx, event("ev1", "wx", channel.EventChargeSucceeded, p)); !errors.Is(err, channel.ErrDuplicate) {
		t.Errorf("duplicate: err = %v, want ErrDuplicate", err)
	}
	// The same outcome under another event ID (e.g. a query result) changes nothing.
	if err := e.agg.ApplyEvent(ctx, event("ev2", "wx", channel.EventChargeSucceeded, p)); err != nil {
		t.Fatal(err)
	}
	got, _ := e.agg.Payment(ctx, p.ID)
	if got.Status != channel.StatusSucceeded {
		t.Errorf("status = %s", got.Status)
	}
	if b := e.merchantBalance(t); b != 1250 {
		t.Errorf("merchant balance = %d, want 1250 (booked once)", b)
	}
	if d := cmp.Diff([]string{channel.WebhookPaymentSucceeded}, e.rec.types()); d != "" {
		t.Errorf("webhooks (-want +got):\n%s", d)
	}
}

func TestBadCallbacksChangeNothing(t *testing.T) {
	ctx := context.Background()
	wx, ali := newFake("wx"), newFake("ali")
	e := newEnv(t, wx, ali)
	p := e.pay(t, qrRequest("wx"))
	wrongAmount := event("e1", "wx", channel.EventChargeSucceeded, p)
	wrongAmount.Amount = cny(1)
	wrongCurrency := event("e2", "wx", channel.EventChargeSucceeded, p)
	wrongCurrency.Amount = pay.Money{Amount: 1250, Currency: "USD"}
	noAmount := event("e3", "wx", channel.EventChargeSucceeded, p)
	noAmount.Amount = pay.Money{}
	unknown := event("e4", "wx", channel.EventChargeSucceeded, p)
	unknown.ChargeID = "pay_nosuchpayment"
	otherChannel := event("e5", "ali", channel.EventChargeSucceeded, p)
	for name, tc := range map[string]struct {
		ev   channel.Event
		want error
	}{
		"amount":        {wrongAmount, channel.ErrAmountMismatch},
		"currency":      {wrongCurrency, channel.ErrAmountMismatch},
		"no amount":     {noAmount, channel.ErrMalformed},
		"unknown":       {unknown, channel.ErrUnknownCharge},
		"other channel": {otherChannel, channel.ErrUnknownCharge},
		"no id":         {channel.Event{Channel: "wx", Type: channel.EventChargeSucceeded, ChargeID: p.ID}, channel.ErrMalformed},
		"type":          {channel.Event{ID: "e6", Channel: "wx", Type: "charge.exploded", ChargeID: p.ID}, channel.ErrUnsupported},
	} {
		if err := e.agg.ApplyEvent(ctx, tc.ev); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
	got, _ := e.agg.Payment(ctx, p.ID)
	if got.Status != channel.StatusPending || e.merchantBalance(t) != 0 || len(e.rec.types()) != 0 {
		t.Errorf("state changed: %s, balance %d, webhooks %v", got.Status, e.merchantBalance(t), e.rec.types())
	}
	// A rejected event ID is not burnt: the genuine one with that ID still applies.
	good := event("e1", "wx", channel.EventChargeSucceeded, p)
	if err := e.agg.ApplyEvent(ctx, good); err != nil {
		t.Errorf("genuine event after a rejected one: %v", err)
	}
}

func TestStateMachineHandlesOutOfOrderAndLateCallbacks(t *testing.T) {
	ctx := context.Background()
	type step struct {
		typ  channel.EventType
		want channel.Status
	}
	for name, steps := range map[string][]step{
		"failed then succeeded (payer retried)": {{channel.EventChargeFailed, channel.StatusFailed}, {channel.EventChargeSucceeded, channel.StatusSucceeded}},
		"succeeded then failed (stale)":         {{channel.EventChargeSucceeded, channel.StatusSucceeded}, {channel.EventChargeFailed, channel.StatusSucceeded}},
		"succeeded then closed (stale)":         {{channel.EventChargeSucceeded, channel.StatusSucceeded}, {channel.EventChargeClosed, channel.StatusSucceeded}},
		"failed then closed":                    {{channel.EventChargeFailed, channel.StatusFailed}, {channel.EventChargeClosed, channel.StatusClosed}},
		"closed then failed (stale)":            {{channel.EventChargeClosed, channel.StatusClosed}, {channel.EventChargeFailed, channel.StatusClosed}},
	} {
		e := newEnv(t, newFake("wx"))
		p := e.pay(t, qrRequest("wx"))
		for i, s := range steps {
			ev := event(string(rune('a'+i)), "wx", s.typ, p)
			if err := e.agg.ApplyEvent(ctx, ev); err != nil {
				t.Fatalf("%s: step %d: %v", name, i, err)
			}
			got, _ := e.agg.Payment(ctx, p.ID)
			if got.Status != s.want {
				t.Errorf("%s: after %s status = %s, want %s", name, s.typ, got.Status, s.want)
			}
		}
		want := int64(0)
		if steps[len(steps)-1].want == channel.StatusSucceeded {
			want = 1250
		}
		if b := e.merchantBalance(t); b != want {
			t.Errorf("%s: merchant balance = %d, want %d", name, b, want)
		}
	}
}

func TestLateSuccessAfterCloseIsRefundedInFull(t *testing.T) {
	ctx := context.Background()
	wx := newFake("wx")
	wx.refundStatus = channel.RefundSucceeded
	e := newEnv(t, wx)
	p := e.pay(t, qrRequest("wx"))
	if p, _ = e.agg.ClosePayment(ctx, p.ID); p.Status != channel.StatusClosed {
		t.Fatalf("closed status = %s", p.Status)
	}
	if err := e.agg.ApplyEvent(ctx, event("late", "wx", channel.EventChargeSucceeded, p)); err != nil {
		t.Fatal(err)
	}
	got, _ := e.agg.Payment(ctx, p.ID)
	if got.Status != channel.StatusSucceeded || !got.LateSuccess || got.Refunded != p.Amount || len(got.Refunds) != 1 {
		t.Fatalf("late success: %+v", got)
	}
	if len(wx.refunds) != 1 || wx.refunds[0].Amount != p.Amount {
		t.Errorf("provider refunds = %+v", wx.refunds)
	}
	if b := e.merchantBalance(t); b != 0 {
		t.Errorf("merchant balance = %d, want 0 (credited then refunded)", b)
	}
	want := []string{channel.WebhookPaymentClosed, channel.WebhookPaymentSucceeded, channel.WebhookPaymentRefunded}
	if d := cmp.Diff(want, e.rec.types()); d != "" {
		t.Errorf("webhooks (-want +got):\n%s", d)
	}
}

func TestSyncRetriesTheRefundOfALateSuccess(t *testing.T) {
	ctx := context.Background()
	wx := newFake("wx")
	wx.refundErr = channel.Errorf(channel.ErrUnavailable, "", "refunds down")
	e := newEnv(t, wx)
	p := e.pay(t, qrRequest("wx"))
	if _, err := e.agg.ClosePayment(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.agg.ApplyEvent(ctx, event("late", "wx", channel.EventChargeSucceeded, p)); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.agg.Payment(ctx, p.ID); !got.LateSuccess || got.Refundable() != p.Amount {
		t.Fatalf("with refunds down: %+v", got)
	}
	wx.set(func(f *fakeChannel) {
		f.refundErr, f.refundStatus = nil, channel.RefundSucceeded
		f.query = channel.Charge{Status: channel.StatusSucceeded, Amount: p.Amount}
	})
	got, err := e.agg.SyncPayment(ctx, p.ID)
	if err != nil || got.Refunded != p.Amount || e.merchantBalance(t) != 0 {
		t.Errorf("after sync: refunded %v, balance %d, %v; want refunded in full", got.Refunded, e.merchantBalance(t), err)
	}
}
