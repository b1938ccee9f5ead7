package stripe

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// paidCharge creates a succeeded off-session charge of amount.
func paidCharge(t *testing.T, c *Channel, chargeID string, amount pay.Money) channel.Charge {
	t.Helper()
	ch, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: chargeID, Scenario: channel.ScenarioAgreement, Amount: amount,
		AgreementID: "pm_seed_visa", Payer: "cus_seed"})
	if err != nil || ch.Status != channel.StatusSucceeded {
		t.Fatalf("paid charge: %+v, %v", ch, err)
	}
	return ch
}

func TestRefund(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	ch := paidCharge(t, c, "pay_refund1", usd(1234))

	got, err := c.Refund(ctx, channel.RefundRequest{RefundID: "ref_0001", ChargeID: "pay_refund1", ProviderChargeID: ch.ProviderID,
		Amount: usd(500), ChargeAmount: usd(1234), Reason: "requested_by_customer"})
	if err != nil {
		t.Fatal(err)
	}
	want := channel.Refund{RefundID: "ref_0001", ChargeID: "pay_refund1", ProviderID: got.ProviderID, Status: channel.RefundSucceeded, Amount: usd(500)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refund (-want +got):\n%s", diff)
	}
	r := f.lastRequest("POST", "/v1/refunds")
	wire := map[string]string{"payment_intent": ch.ProviderID, "amount": "500", "metadata[refund_id]": "ref_0001",
		"metadata[charge_id]": "pay_refund1", "reason": "requested_by_customer"}
	for k, v := range wire {
		if r.Form.Get(k) != v {
			t.Errorf("form %s = %q, want %q", k, r.Form.Get(k), v)
		}
	}
	if r.IdemKey != "paykit-refund-ref_0001" {
		t.Errorf("Idempotency-Key = %q", r.IdemKey)
	}

	// A reason outside Stripe's enum goes to metadata, not to reason.
	if _, err := c.Refund(ctx, channel.RefundRequest{RefundID: "ref_0002", ChargeID: "pay_refund1", Amount: usd(100), Reason: "changed their mind"}); err != nil {
		t.Fatal(err)
	}
	r = f.lastRequest("POST", "/v1/refunds")
	if r.Form.Has("reason") || r.Form.Get("metadata[reason]") != "changed their mind" {
		t.Errorf("free-text reason sent as %q / metadata %q", r.Form.Get("reason"), r.Form.Get("metadata[reason]"))
	}

	// Repeating a refund is safe: same refund, nothing new at Stripe.
	again, err := c.Refund(ctx, channel.RefundRequest{RefundID: "ref_0001", ChargeID: "pay_refund1", ProviderChargeID: ch.ProviderID,
		Amount: usd(500), Reason: "requested_by_customer"})
	if err != nil || again.ProviderID != got.ProviderID || f.count("refund") != 2 {
		t.Fatalf("repeat = %+v, %v; %d refunds", again, err, f.count("refund"))
	}

	// More than is left is Stripe's refusal.
	_, err = c.Refund(ctx, channel.RefundRequest{RefundID: "ref_0003", ChargeID: "pay_refund1", Amount: usd(700)})
	if !errors.Is(err, channel.ErrDeclined) {
		t.Fatalf("over-refund err = %v, want ErrDeclined", err)
	}
}

func TestQueryRefund(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	paidCharge(t, c, "pay_qref001", usd(1000))
	created, err := c.Refund(ctx, channel.RefundRequest{RefundID: "ref_q001", ChargeID: "pay_qref001", Amount: usd(1000)})
	if err != nil {
		t.Fatal(err)
	}
	want := channel.Refund{RefundID: "ref_q001", ChargeID: "pay_qref001", ProviderID: created.ProviderID, Status: channel.RefundSucceeded, Amount: usd(1000)}
	for name, ch := range map[string]*Channel{"creator": c, "fresh": f.channel()} {
		got, err := ch.QueryRefund(ctx, "pay_qref001", "ref_q001")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if r := f.lastRequest("GET", "/v1/refunds"); r.Form.Get("payment_intent") == "" {
		t.Errorf("fresh process did not list refunds by payment_intent: %+v", r)
	}

	f.failRefund(created.ProviderID)
	if got, err := c.QueryRefund(ctx, "pay_qref001", "ref_q001"); err != nil || got.Status != channel.RefundFailed {
		t.Fatalf("after failure: %+v, %v", got, err)
	}
	if _, err := f.channel().QueryRefund(ctx, "pay_qref001", "ref_none"); !errors.Is(err, channel.ErrUnknownCharge) {
		t.Fatalf("unknown refund err = %v", err)
	}
}

func TestQueryRefundPaginates(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	paidCharge(t, c, "pay_page001", usd(100000))
	ids := []string{}
	for i := range 120 {
		id := "ref_p" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		ids = append(ids, id)
		if _, err := c.Refund(ctx, channel.RefundRequest{RefundID: id, ChargeID: "pay_page001", Amount: usd(10)}); err != nil {
			t.Fatal(err)
		}
	}
	// The oldest refund is on the second page (Stripe lists newest first).
	got, err := f.channel().QueryRefund(ctx, "pay_page001", ids[0])
	if err != nil || got.RefundID != ids[0] {
		t.Fatalf("got %+v, %v", got, err)
	}
	if n := f.requestCount("GET", "/v1/refunds"); n != 2 {
		t.Fatalf("%d list pages fetched, want 2", n)
	}
}

func TestRefundWebChargeFromItsSession(t *testing.T) {
	f := newFake(t)
	created, err := f.channel().CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_webr001", Scenario: channel.ScenarioWeb, Amount: usd(990), ReturnURL: "https://s.example/"})
	if err != nil {
		t.Fatal(err)
	}
	pi := f.completeSession(created.ProviderID, "pm_seed_visa")
	// The aggregator stored the cs_ ID; a fresh process resolves the intent.
	got, err := f.channel().Refund(ctx, channel.RefundRequest{RefundID: "ref_web01", ChargeID: "pay_webr001", ProviderChargeID: created.ProviderID, Amount: usd(990)})
	if err != nil || got.Status != channel.RefundSucceeded {
		t.Fatalf("refund = %+v, %v", got, err)
	}
	if r := f.lastRequest("POST", "/v1/refunds"); r.Form.Get("payment_intent") != pi {
		t.Fatalf("refunded %q, want %q", r.Form.Get("payment_intent"), pi)
	}
}

func TestRefundShapeIsVerified(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	paidCharge(t, c, "pay_rshape1", usd(1000))
	f.mutate = func(path string, o map[string]any) {
		if path == "/v1/refunds" {
			o["amount"] = 999
		}
	}
	if _, err := c.Refund(ctx, channel.RefundRequest{RefundID: "ref_s001", ChargeID: "pay_rshape1", Amount: usd(1000)}); !errors.Is(err, channel.ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
}
