package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/clock"
)

// TestLifecycle runs every scenario over a real HTTP server: create → pay →
// verified callback → query → partial refund → refund callback.
func TestLifecycle(t *testing.T) {
	for _, s := range channel.Scenarios {
		t.Run(string(s), func(t *testing.T) {
			h := newHarness(t, nil)
			id := "ord_" + string(s)
			req := chargeReq(id, s)

			if s == channel.ScenarioAgreement {
				ag, err := h.ch.SignAgreement(bg, channel.AgreementRequest{AgreementID: req.AgreementID, UserID: "user-1", DisplayName: "VR arcade"})
				if err != nil {
					t.Fatal(err)
				}
				if ag.Status != channel.AgreementPending || !strings.HasPrefix(ag.Action.RedirectURL, h.srv.URL+"/sign/sbag_") {
					t.Fatalf("agreement = %+v", ag)
				}
				if err := h.p.SignAgreement(bg, req.AgreementID); err != nil {
					t.Fatal(err)
				}
				e := h.rc.wait(t, channel.EventAgreementSigned, req.AgreementID)
				if e.ProviderAgreementID != ag.ProviderID {
					t.Fatalf("signed event %+v, agreement %+v", e, ag)
				}
				if got, err := h.ch.QueryAgreement(bg, req.AgreementID); err != nil || got.Status != channel.AgreementSigned {
					t.Fatalf("QueryAgreement = %+v, %v", got, err)
				}
			}

			created, err := h.ch.CreateCharge(bg, req)
			if err != nil {
				t.Fatal(err)
			}
			sync := s == channel.ScenarioScanned || s == channel.ScenarioAgreement
			checkAction(t, h, s, created)
			if sync {
				if created.Status != channel.StatusSucceeded || created.PaidAt.IsZero() {
					t.Fatalf("%s charge = %+v, want succeeded at once", s, created)
				}
			} else {
				if created.Status != channel.StatusPending {
					t.Fatalf("%s charge = %+v, want pending", s, created)
				}
				if err := h.p.Pay(bg, id); err != nil {
					t.Fatal(err)
				}
			}

			e := h.rc.wait(t, channel.EventChargeSucceeded, id)
			want := channel.Event{Channel: "sandbox", Type: channel.EventChargeSucceeded, ChargeID: id, ProviderChargeID: created.ProviderID, Amount: req.Amount}
			if diff := cmp.Diff(want, e, cmpopts.IgnoreFields(channel.Event{}, "ID", "Created")); diff != "" {
				t.Fatalf("callback (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(e.ID, "sbevt_") || time.Since(e.Created) > time.Minute {
				t.Fatalf("callback id %q created %v", e.ID, e.Created)
			}

			got, err := h.ch.QueryCharge(bg, id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != channel.StatusSucceeded || got.ProviderID != created.ProviderID || got.PaidAt.IsZero() {
				t.Fatalf("QueryCharge = %+v", got)
			}

			rf, err := h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_" + id, ChargeID: id, Amount: cny(250), ChargeAmount: req.Amount, Reason: "ended early"})
			if err != nil {
				t.Fatal(err)
			}
			if rf.Status != channel.RefundPending || !strings.HasPrefix(rf.ProviderID, "sbrf_") {
				t.Fatalf("refund = %+v, want pending", rf)
			}
			re := h.rc.wait(t, channel.EventRefundSucceeded, rf.RefundID)
			wantRefund := channel.Event{Channel: "sandbox", Type: channel.EventRefundSucceeded, ChargeID: id, ProviderChargeID: created.ProviderID, RefundID: rf.RefundID, Amount: cny(250)}
			if diff := cmp.Diff(wantRefund, re, cmpopts.IgnoreFields(channel.Event{}, "ID", "Created")); diff != "" {
				t.Fatalf("refund callback (-want +got):\n%s", diff)
			}
			if q, err := h.ch.QueryRefund(bg, id, rf.RefundID); err != nil || q.Status != channel.RefundSucceeded {
				t.Fatalf("QueryRefund = %+v, %v", q, err)
			}

			// The rest (1000) may be refunded, no more.
			_, err = h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf2_" + id, ChargeID: id, Amount: cny(1001)})
			assertIs(t, err, channel.ErrDeclined)
			if _, err := h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf3_" + id, ChargeID: id, Amount: cny(1000)}); err != nil {
				t.Fatalf("refunding the rest: %v", err)
			}
		})
	}
}

// checkAction asserts the scenario's action shape.
func checkAction(t *testing.T, h *harness, s channel.Scenario, c channel.Charge) {
	t.Helper()
	a := c.Action
	switch s {
	case channel.ScenarioQR:
		if a.QRCode != "sandbox://pay/"+c.ProviderID || a.RedirectURL != "" || a.AppParams != nil {
			t.Fatalf("qr action = %+v", a)
		}
	case channel.ScenarioWeb:
		if a.RedirectURL != h.srv.URL+"/pay/"+c.ProviderID || a.QRCode != "" {
			t.Fatalf("web action = %+v", a)
		}
	case channel.ScenarioInApp:
		if a.AppParams["provider_id"] != c.ProviderID || !strings.HasPrefix(a.AppParams["client_secret"], "sbcs_") || len(a.AppParams) != 2 {
			t.Fatalf("in_app action = %+v", a)
		}
	default:
		if a.QRCode != "" || a.RedirectURL != "" || a.AppParams != nil {
			t.Fatalf("%s action = %+v, want none", s, a)
		}
	}
}

func TestScannedDeclineAndUnsignedAgreement(t *testing.T) {
	h := newHarness(t, nil)
	req := chargeReq("ord_scan_bad", channel.ScenarioScanned)
	req.AuthCode = DeclineAuthCode
	_, err := h.ch.CreateCharge(bg, req)
	assertIs(t, err, channel.ErrDeclined)
	e := h.rc.wait(t, channel.EventChargeFailed, req.ChargeID)
	if e.Reason == "" {
		t.Fatal("failed callback has no reason")
	}
	if got, err := h.ch.QueryCharge(bg, req.ChargeID); err != nil || got.Status != channel.StatusFailed || got.FailureReason == "" {
		t.Fatalf("QueryCharge = %+v, %v", got, err)
	}
	// Retrying the same create answers the same decline.
	_, err = h.ch.CreateCharge(bg, req)
	assertIs(t, err, channel.ErrDeclined)

	for name, setup := range map[string]func(t *testing.T, agreementID string){
		"unknown": func(*testing.T, string) {},
		"pending": func(t *testing.T, id string) {
			if _, err := h.ch.SignAgreement(bg, channel.AgreementRequest{AgreementID: id, UserID: "u"}); err != nil {
				t.Fatal(err)
			}
		},
		"terminated": func(t *testing.T, id string) {
			if _, err := h.ch.SignAgreement(bg, channel.AgreementRequest{AgreementID: id, UserID: "u"}); err != nil {
				t.Fatal(err)
			}
			if err := h.p.SignAgreement(bg, id); err != nil {
				t.Fatal(err)
			}
			if err := h.ch.TerminateAgreement(bg, id, "user left"); err != nil {
				t.Fatal(err)
			}
			e := h.rc.wait(t, channel.EventAgreementTerminated, id)
			if e.Reason != "user left" {
				t.Fatalf("terminated event %+v", e)
			}
			if err := h.ch.TerminateAgreement(bg, id, "again"); err != nil {
				t.Fatalf("terminating twice: %v", err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			req := chargeReq("ord_ag_"+name, channel.ScenarioAgreement)
			setup(t, req.AgreementID)
			_, err := h.ch.CreateCharge(bg, req)
			assertIs(t, err, channel.ErrDeclined)
			if c, ok := h.p.Charge(req.ChargeID); !ok || c.Status != channel.StatusFailed {
				t.Fatalf("provider charge = %+v, %v", c, ok)
			}
		})
	}
}

func TestCloseDeclineAndPayLate(t *testing.T) {
	h := newHarness(t, nil)
	id := "ord_close"
	if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioQR)); err != nil {
		t.Fatal(err)
	}
	if err := h.ch.CloseCharge(bg, id); err != nil {
		t.Fatal(err)
	}
	if err := h.ch.CloseCharge(bg, id); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
	h.rc.wait(t, channel.EventChargeClosed, id)
	assertIs(t, h.p.Pay(bg, id), channel.ErrDeclined)
	if err := h.p.PayLate(bg, id); err != nil {
		t.Fatal(err)
	}
	h.rc.wait(t, channel.EventChargeSucceeded, id)
	assertIs(t, h.ch.CloseCharge(bg, id), channel.ErrDeclined)
	assertIs(t, h.p.PayLate(bg, id), channel.ErrDeclined)

	id2 := "ord_decline"
	if _, err := h.ch.CreateCharge(bg, chargeReq(id2, channel.ScenarioWeb)); err != nil {
		t.Fatal(err)
	}
	if err := h.p.Decline(bg, id2, "card frozen"); err != nil {
		t.Fatal(err)
	}
	if e := h.rc.wait(t, channel.EventChargeFailed, id2); e.Reason != "card frozen" {
		t.Fatalf("failed event %+v", e)
	}
	_, err := h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_decline", ChargeID: id2, Amount: cny(1)})
	assertIs(t, err, channel.ErrDeclined)
	_, err = h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_nothing", ChargeID: "ord_missing", Amount: cny(1)})
	assertIs(t, err, channel.ErrUnknownCharge)

	assertIs(t, h.p.Pay(bg, "ord_missing"), channel.ErrUnknownCharge)
	_, err = h.ch.QueryCharge(bg, "ord_missing")
	assertIs(t, err, channel.ErrUnknownCharge)
	_, err = h.ch.QueryCharge(bg, "../../x")
	assertIs(t, err, channel.ErrUnknownCharge)
	_, err = h.ch.QueryRefund(bg, id, "rf_missing")
	assertIs(t, err, channel.ErrUnknownCharge)
	_, err = h.ch.QueryAgreement(bg, "agr_missing")
	assertIs(t, err, channel.ErrUnknownCharge)
}

func TestRefundInOtherCurrencyDeclined(t *testing.T) {
	h := newHarness(t, nil)
	id := "ord_cur"
	if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioScanned)); err != nil {
		t.Fatal(err)
	}
	_, err := h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_cur", ChargeID: id, Amount: usd(100)})
	assertIs(t, err, channel.ErrDeclined)
}

// TestExpiry: an unpaid charge closes itself at expires_at (seen on the
// next look), with a charge.closed callback.
func TestExpiry(t *testing.T) {
	clk := clock.NewFake(time.Now())
	h := newHarness(t, []ProviderOption{WithProviderClock(clk)}, WithClock(clk))
	req := chargeReq("ord_expiring", channel.ScenarioQR)
	req.ExpiresAt = clk.Now().Add(time.Minute)
	if c, err := h.ch.CreateCharge(bg, req); err != nil || c.Status != channel.StatusPending {
		t.Fatalf("CreateCharge = %+v, %v", c, err)
	}
	clk.Advance(59 * time.Second)
	if c, err := h.ch.QueryCharge(bg, req.ChargeID); err != nil || c.Status != channel.StatusPending {
		t.Fatalf("before expiry: %+v, %v", c, err)
	}
	clk.Advance(time.Second)
	c, err := h.ch.QueryCharge(bg, req.ChargeID)
	if err != nil || c.Status != channel.StatusClosed || c.FailureReason != "expired" {
		t.Fatalf("after expiry: %+v, %v", c, err)
	}
	h.rc.wait(t, channel.EventChargeClosed, req.ChargeID)
	assertIs(t, h.p.Pay(bg, req.ChargeID), channel.ErrDeclined)
}

// TestRefundNotifyURLPerRequest checks that a refund's callback goes to the
// request's NotifyURL rather than the WithNotifyURL default.
func TestRefundNotifyURLPerRequest(t *testing.T) {
	h := newHarness(t, nil)
	other := newReceiver(t)
	other.ch = h.ch
	id := "ord_rfnotify"
	if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioScanned)); err != nil {
		t.Fatal(err)
	}
	h.rc.wait(t, channel.EventChargeSucceeded, id)

	rf, err := h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_" + id, ChargeID: id, Amount: cny(100), NotifyURL: other.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	e := other.wait(t, channel.EventRefundSucceeded, rf.RefundID)
	if e.ChargeID != id || e.Amount != cny(100) {
		t.Fatalf("refund callback = %+v", e)
	}
	for _, e := range h.rc.Events() {
		if e.Type == channel.EventRefundSucceeded {
			t.Fatalf("default receiver got refund callback %+v", e)
		}
	}
	for _, e := range other.Events() {
		if e.Type != channel.EventRefundSucceeded {
			t.Fatalf("per-refund receiver got %+v", e)
		}
	}
}
