package stripe

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
)

func TestAgreementLifecycle(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	ag, err := c.SignAgreement(ctx, channel.AgreementRequest{AgreementID: "agr_life001", UserID: "usr_42", DisplayName: "Coffee club"})
	if err != nil {
		t.Fatal(err)
	}
	seti := ag.ProviderID
	cus := f.object(seti)["customer"].(string)
	want := channel.Agreement{AgreementID: "agr_life001", ProviderID: seti, Status: channel.AgreementPending,
		Action: channel.Action{AppParams: map[string]string{"client_secret": seti + "_secret_Se56", "setup_intent": seti, "customer": cus}}}
	if diff := cmp.Diff(want, ag); diff != "" {
		t.Errorf("signing (-want +got):\n%s", diff)
	}
	if r := f.lastRequest("POST", "/v1/customers"); r.Form.Get("metadata[agreement_id]") != "agr_life001" || r.Form.Get("metadata[user_id]") != "usr_42" {
		t.Errorf("customer request %+v", r.Form)
	}
	if r := f.lastRequest("POST", "/v1/setup_intents"); r.Form.Get("usage") != "off_session" || r.Form.Get("customer") != cus || r.IdemKey != "paykit-agreement-agr_life001" {
		t.Errorf("setup intent request %+v %q", r.Form, r.IdemKey)
	}

	pm := f.confirmSetup(seti, false)
	for name, ch := range map[string]*Channel{"creator": c, "fresh": f.channel()} {
		got, err := ch.QueryAgreement(ctx, "agr_life001")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(channel.Agreement{AgreementID: "agr_life001", ProviderID: seti, Status: channel.AgreementSigned}, got); diff != "" {
			t.Errorf("%s query (-want +got):\n%s", name, diff)
		}
	}

	// The aggregator charges with the agreement's ProviderID.
	for i, ch := range []*Channel{c, f.channel()} {
		id := []string{"pay_agr0001", "pay_agr0002"}[i]
		got, err := ch.CreateCharge(ctx, channel.ChargeRequest{ChargeID: id, Scenario: channel.ScenarioAgreement, Amount: usd(300), AgreementID: seti})
		if err != nil || got.Status != channel.StatusSucceeded {
			t.Fatalf("charge #%d = %+v, %v", i+1, got, err)
		}
		r := f.lastRequest("POST", "/v1/payment_intents")
		if r.Form.Get("payment_method") != pm || r.Form.Get("customer") != cus || r.Form.Get("metadata[agreement_id]") != "agr_life001" {
			t.Errorf("charge #%d form %v", i+1, r.Form)
		}
	}

	fresh := f.channel()
	if err := fresh.TerminateAgreement(ctx, "agr_life001", "user cancelled"); err != nil {
		t.Fatal(err)
	}
	if f.object(pm)["customer"] != nil {
		t.Fatal("payment method still attached")
	}
	if err := c.TerminateAgreement(ctx, "agr_life001", ""); err != nil {
		t.Fatalf("second terminate: %v", err)
	}
	got, err := c.QueryAgreement(ctx, "agr_life001")
	if err != nil || got.Status != channel.AgreementTerminated {
		t.Fatalf("after terminate: %+v, %v", got, err)
	}
	_, err = c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_agr0003", Scenario: channel.ScenarioAgreement, Amount: usd(300), AgreementID: seti})
	if !errors.Is(err, channel.ErrDeclined) {
		t.Fatalf("charge after terminate err = %v, want ErrDeclined", err)
	}
}

func TestTerminatePendingAgreement(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	ag, err := c.SignAgreement(ctx, channel.AgreementRequest{AgreementID: "agr_pend001", UserID: "usr_1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.TerminateAgreement(ctx, ag.ProviderID, ""); err != nil {
		t.Fatal(err)
	}
	if st := f.object(ag.ProviderID)["status"]; st != "canceled" {
		t.Fatalf("setup intent %v", st)
	}
	got, err := f.channel().QueryAgreement(ctx, "agr_pend001")
	if err != nil || got.Status != channel.AgreementTerminated {
		t.Fatalf("query = %+v, %v", got, err)
	}
	_, err = c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_pend001", Scenario: channel.ScenarioAgreement, Amount: usd(1), AgreementID: ag.ProviderID})
	if !errors.Is(err, channel.ErrDeclined) {
		t.Fatalf("charging an unsigned agreement: %v", err)
	}
}

func TestAgreementCardDeclines(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	ag, err := c.SignAgreement(ctx, channel.AgreementRequest{AgreementID: "agr_decl001", UserID: "usr_2"})
	if err != nil {
		t.Fatal(err)
	}
	f.confirmSetup(ag.ProviderID, true)
	got, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_adecl01", Scenario: channel.ScenarioAgreement, Amount: usd(300), AgreementID: ag.ProviderID})
	if !errors.Is(err, channel.ErrDeclined) || got.Status != channel.StatusFailed || got.FailureReason != "Your card was declined." {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestAgreementUnknown(t *testing.T) {
	f := newFake(t)
	if _, err := f.channel().QueryAgreement(ctx, "agr_nothing"); !errors.Is(err, channel.ErrUnknownCharge) {
		t.Fatalf("err = %v, want ErrUnknownCharge", err)
	}
	if _, err := f.channel().QueryAgreement(ctx, "agr with space"); !errors.Is(err, channel.ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
	if _, err := f.channel().SignAgreement(ctx, channel.AgreementRequest{AgreementID: "agr_x", UserID: ""}); !errors.Is(err, channel.ErrUnsupported) {
		t.Fatalf("sign without user: %v", err)
	}
}
