package sandbox

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
)

func TestCreateIsIdempotent(t *testing.T) {
	h := newHarness(t, nil)
	req := chargeReq("ord_idem", channel.ScenarioQR)
	first, err := h.ch.CreateCharge(bg, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.ch.CreateCharge(bg, req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Fatalf("same request, different charge (-first +again):\n%s", diff)
	}
	if n := h.p.Accepted(); n != 1 {
		t.Fatalf("Accepted() = %d, want 1", n)
	}

	for name, mutate := range map[string]func(*channel.ChargeRequest){
		"amount":      func(r *channel.ChargeRequest) { r.Amount.Amount++ },
		"currency":    func(r *channel.ChargeRequest) { r.Amount.Currency = "USD" },
		"scenario":    func(r *channel.ChargeRequest) { r.Scenario = channel.ScenarioWeb },
		"description": func(r *channel.ChargeRequest) { r.Description = "other" },
	} {
		t.Run(name, func(t *testing.T) {
			other := req
			mutate(&other)
			_, err := h.ch.CreateCharge(bg, other)
			assertIs(t, err, channel.ErrDeclined)
			if n := h.p.Accepted(); n != 1 {
				t.Fatalf("Accepted() = %d, want 1", n)
			}
		})
	}

	// Paid in between, the same create shows the charge as it is now.
	if err := h.p.Pay(bg, req.ChargeID); err != nil {
		t.Fatal(err)
	}
	if c, err := h.ch.CreateCharge(bg, req); err != nil || c.Status != channel.StatusSucceeded || c.ProviderID != first.ProviderID {
		t.Fatalf("create after pay = %+v, %v", c, err)
	}
}

func TestRefundAndAgreementAreIdempotent(t *testing.T) {
	h := newHarness(t, nil)
	id := "ord_rf_idem"
	if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioScanned)); err != nil {
		t.Fatal(err)
	}
	rreq := channel.RefundRequest{RefundID: "rf_idem", ChargeID: id, Amount: cny(1000)}
	r1, err := h.ch.Refund(bg, rreq)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := h.ch.Refund(bg, rreq)
	if err != nil {
		t.Fatal(err)
	}
	if r1.ProviderID != r2.ProviderID {
		t.Fatalf("same refund twice made two: %s, %s", r1.ProviderID, r2.ProviderID)
	}
	// Repeating did not count the amount twice: 250 is still refundable.
	if _, err := h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_idem2", ChargeID: id, Amount: cny(250)}); err != nil {
		t.Fatalf("refunding the rest: %v", err)
	}
	rreq.Amount = cny(1)
	_, err = h.ch.Refund(bg, rreq)
	assertIs(t, err, channel.ErrDeclined)

	areq := channel.AgreementRequest{AgreementID: "agr_idem", UserID: "u1", DisplayName: "arcade"}
	a1, err := h.ch.SignAgreement(bg, areq)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := h.ch.SignAgreement(bg, areq)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a1, a2); diff != "" {
		t.Fatalf("same agreement twice (-1 +2):\n%s", diff)
	}
	areq.UserID = "u2"
	_, err = h.ch.SignAgreement(bg, areq)
	assertIs(t, err, channel.ErrDeclined)
}
