package channel_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func TestAgreementSignDebitTerminate(t *testing.T) {
	ctx := context.Background()
	l := newLive(t)
	ag, err := l.agg.SignAgreement(ctx, channel.AgreementParams{Channel: "sandbox-a", UserID: "u1", DisplayName: "VR proxy debit"})
	if err != nil {
		t.Fatal(err)
	}
	if ag.Status != channel.AgreementPending || ag.Action.RedirectURL == "" {
		t.Fatalf("agreement = %+v", ag)
	}
	debit := channel.PaymentRequest{MerchantID: "mch_1", UserID: "u1", Channel: "sandbox-a", Scenario: channel.ScenarioAgreement,
		AgreementID: ag.ID, Amount: cny(300)}
	if _, err := l.agg.CreatePayment(ctx, debit); !errors.Is(err, channel.ErrDeclined) {
		t.Errorf("debit before signing: %v, want declined", err)
	}
	if err := l.a.SignAgreement(ctx, ag.ID); err != nil { // the user confirms in the provider's app
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ag.Status != channel.AgreementSigned && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		ag, _ = l.agg.AgreementByID(ctx, ag.ID)
	}
	if ag.Status != channel.AgreementSigned || ag.ProviderID == "" {
		t.Fatalf("after the signing callback: %+v", ag)
	}
	p, err := l.agg.CreatePayment(ctx, debit)
	if err != nil || p.Status != channel.StatusSucceeded {
		t.Fatalf("proxy debit: %+v, %v", p, err)
	}
	other := debit
	other.UserID = "u2"
	if _, err := l.agg.CreatePayment(ctx, other); !errors.Is(err, pay.ErrForbidden) {
		t.Errorf("another user's agreement: %v", err)
	}
	if ag, err = l.agg.TerminateAgreement(ctx, ag.ID, "user request"); err != nil || ag.Status != channel.AgreementTerminated {
		t.Fatalf("terminate: %+v, %v", ag, err)
	}
	if _, err := l.agg.CreatePayment(ctx, debit); !errors.Is(err, channel.ErrDeclined) {
		t.Errorf("debit after termination: %v", err)
	}
	if _, err := l.agg.SignAgreement(ctx, channel.AgreementParams{Channel: "sandbox-a", UserID: "bad user"}); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("bad user id: %v", err)
	}
}
