package vrauth_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/sandbox"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

// TestProxyDebitPassword: with a signed agreement and the password the
// headset pays at once; a wrong password is refused with the attempts
// left, charges nothing and never echoes the password.
func TestProxyDebitPassword(t *testing.T) {
	e := vtNew(t)
	u, g := e.proxyUser(300_00, 700_00)
	err := e.dev.SetPassword(e.ctx, u.ID, vtPassword2)
	vtIs(t, "setting the password twice", err, pay.ErrConflict)

	st, err := e.proxy(u, 88_00, vtPassword)
	if err != nil {
		t.Fatal(err)
	}
	e.wantProxyPaid(st, g, 88_00, 1, verify.MethodPassword)

	_, err = e.proxy(u, 88_00, vtWrongPass)
	vtIs(t, "wrong password", err, verify.ErrFailed)
	if !strings.Contains(err.Error(), "4 attempts left") || strings.Contains(err.Error(), vtWrongPass) {
		t.Fatalf("wrong password: %v; want the attempts left and no password", err)
	}
	_, err = e.proxy(u, 88_00, "")
	vtIs(t, "empty password", err, pay.ErrInvalidRequest)
	// Without the password the debit waits for it (as a proof), uncharged.
	nopw, err := e.dev.Checkout(e.ctx, vrauth.CheckoutRequest{UserID: u.ID, HeadsetID: u.Headset, Order: vtOrder(88_00), Mode: vrauth.ModeProxyDebit})
	if err != nil {
		t.Fatalf("proxy debit without a password: %v", err)
	}
	if nopw.Authorization.Status != vrauth.StatusPending || nopw.Authorization.PaymentID != "" {
		t.Fatalf("proxy debit without a password = %+v; want pending, uncharged", nopw.Authorization)
	}
	if n := e.charges(); n != 1 {
		t.Fatalf("%d charges after refused debits, want 1", n)
	}
	gg, err := e.dev.Agreement(e.ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gg.SpentToday != 88_00 {
		t.Fatalf("spent today = %d, want 8800 (refused debits count nothing)", gg.SpentToday)
	}
}

// TestProxyDebitLockout: five wrong passwords lock the password for 15
// minutes; during the lock the right one is refused unevaluated and
// nothing is charged; afterwards it works.
func TestProxyDebitLockout(t *testing.T) {
	e := vtNew(t)
	u, g := e.proxyUser(300_00, 700_00)
	for k := 1; k <= 5; k++ {
		_, err := e.proxy(u, 10_00, vtWrongPass)
		vtIs(t, "wrong password", err, verify.ErrFailed)
		left := fmt.Sprintf("%d attempts left", 5-k)
		if k == 4 {
			left = "1 attempt left"
		}
		if !strings.Contains(err.Error(), left) {
			t.Fatalf("wrong password %d: %v; want %q", k, err, left)
		}
	}
	until := vtStart.Add(15 * time.Minute).Format(time.RFC3339)
	_, err := e.proxy(u, 10_00, vtPassword)
	vtIs(t, "right password while locked", err, verify.ErrLocked)
	if !strings.Contains(err.Error(), "locked until "+until) {
		t.Fatalf("locked: %v; want it to say until %s", err, until)
	}
	e.advance(15*time.Minute - time.Second)
	_, err = e.proxy(u, 10_00, vtPassword)
	vtIs(t, "right password a second before the lock ends", err, verify.ErrLocked)
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges during the lock, want 0", n)
	}
	e.advance(time.Second)
	st, err := e.proxy(u, 10_00, vtPassword)
	if err != nil {
		t.Fatalf("right password after the lock: %v", err)
	}
	e.wantProxyPaid(st, g, 10_00, 1, verify.MethodPassword)
}

// TestProxyDebitLimits: the per-payment and per-day limits refuse a debit
// before the password is looked at, charge nothing, and the day's total
// starts again on the next UTC day.
func TestProxyDebitLimits(t *testing.T) {
	e := vtNew(t)
	u, g := e.proxyUser(300_00, 700_00)
	spent := func(want int64) {
		t.Helper()
		gg, err := e.dev.Agreement(e.ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gg.SpentToday != want {
			t.Fatalf("spent today = %d, want %d", gg.SpentToday, want)
		}
	}
	_, err := e.proxy(u, 300_01, vtPassword)
	vtIs(t, "over the per-payment limit", err, vrauth.ErrLimit)
	if !strings.Contains(err.Error(), "per-payment limit of 300.00 CNY") {
		t.Fatalf("per-payment: %v", err)
	}
	_, err = e.dev.Checkout(e.ctx, vrauth.CheckoutRequest{UserID: u.ID, HeadsetID: u.Headset, Mode: vrauth.ModeProxyDebit,
		Order: vrauth.Order{MerchantID: "m_x", Items: []vrauth.Item{{Name: "x", Quantity: 1, UnitPrice: pay.Money{Amount: 100, Currency: "USD"}}},
			Amount: pay.Money{Amount: 100, Currency: "USD"}}})
	vtIs(t, "another currency", err, vrauth.ErrLimit)
	for i, fen := range []int64{300_00, 300_00} {
		st, err := e.proxy(u, fen, vtPassword)
		if err != nil {
			t.Fatal(err)
		}
		e.wantProxyPaid(st, g, fen, i+1, verify.MethodPassword)
	}
	spent(600_00)
	_, err = e.proxy(u, 100_01, vtPassword)
	vtIs(t, "over the per-day limit", err, vrauth.ErrLimit)
	if !strings.Contains(err.Error(), "100.00 CNY left today") {
		t.Fatalf("per-day: %v", err)
	}
	spent(600_00)
	if n := e.charges(); n != 2 {
		t.Fatalf("%d charges, want 2", n)
	}
	// Next UTC day (the clock started at 09:00).
	e.advance(15 * time.Hour)
	spent(0)
	st, err := e.proxy(u, 300_00, vtPassword)
	if err != nil {
		t.Fatalf("debit on the next day: %v", err)
	}
	e.wantProxyPaid(st, g, 300_00, 3, verify.MethodPassword)
	spent(300_00)
}

// TestProxyDebitNoAgreement: no agreement, an unsigned one, one
// terminated here, and one terminated in the channel (its callback) all
// refuse the debit with ErrNoAgreement and charge nothing.
func TestProxyDebitNoAgreement(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	try := func(what string) {
		t.Helper()
		_, err := e.proxy(u, 10_00, vtPassword)
		vtIs(t, what, err, vrauth.ErrNoAgreement)
		if n := e.charges(); n != 0 {
			t.Fatalf("%s: %d charges", what, n)
		}
	}
	try("no agreement")
	pending, err := e.dev.SignAgreement(e.ctx, u.ID, vrauth.AgreementRequest{Channel: vtChannel, PerPayment: vtCNY(100_00), PerDay: vtCNY(100_00)})
	if err != nil {
		t.Fatal(err)
	}
	try("unsigned agreement")

	terminated := e.signedAgreement(u, 100_00, 100_00)
	gg, err := e.dev.TerminateAgreement(e.ctx, terminated.ID, "moving abroad")
	if err != nil {
		t.Fatal(err)
	}
	if gg.Status != string(channel.AgreementTerminated) {
		t.Fatalf("terminated agreement is %s", gg.Status)
	}
	try("agreement terminated here")

	// The user ends the agreement inside the channel's app: the provider
	// posts agreement.terminated, which ends it here too.
	g := e.signedAgreement(u, 100_00, 100_00)
	e.sandboxTerminate(g.ChannelAgreementID)
	e.agreementStatus(g.ID, channel.AgreementTerminated)
	try("agreement terminated in the channel")

	gs, err := e.dev.Agreements(e.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, x := range gs {
		states[x.ID] = x.Status
	}
	want := map[string]string{pending.ID: "pending", terminated.ID: "terminated", g.ID: "terminated"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Fatalf("agreements (-want +got):\n%s", diff)
	}
}

// sandboxTerminate is the payer ending an agreement at the provider: a
// signed terminate call straight to the sandbox, which then posts its
// agreement.terminated callback to the aggregator.
func (e *vtEnv) sandboxTerminate(agreementID string) {
	e.t.Helper()
	target := "/sandbox/" + vtChannel + "/v1/agreements/" + url.PathEscape(agreementID) + "/terminate"
	body := []byte(`{"reason":"cancelled in the wallet app"}`)
	sig, err := pay.SignWebhook(append([]byte("POST\n"+target+"\n"), body...), e.srv.Now(), e.srv.Sandboxes[vtChannel].Secret())
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set(sandbox.SignatureHeader, sig)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("sandbox terminate: status %d", resp.StatusCode)
	}
}

// TestPasswordChangeAndReset: a change needs the old password, a reset a
// fresh SMS code (single use); refused attempts change nothing.
func TestPasswordChangeAndReset(t *testing.T) {
	e := vtNew(t)
	u, g := e.proxyUser(300_00, 700_00)

	err := e.dev.ChangePassword(e.ctx, u.ID, vtWrongPass, vtPassword2)
	vtIs(t, "change with a wrong old password", err, verify.ErrFailed)
	if !strings.Contains(err.Error(), "4 attempts left") {
		t.Fatalf("a wrong old password must count as a failure: %v", err)
	}
	err = e.dev.ChangePassword(e.ctx, u.ID, vtPassword, "123456")
	vtIs(t, "change to a weak password", err, pay.ErrInvalidRequest)
	if err := e.dev.ChangePassword(e.ctx, u.ID, vtPassword, vtPassword2); err != nil {
		t.Fatalf("change with the old password: %v", err)
	}
	_, err = e.proxy(u, 10_00, vtPassword)
	vtIs(t, "the old password after the change", err, verify.ErrFailed)
	if !strings.Contains(err.Error(), "4 attempts left") {
		t.Fatalf("the change must reset the failures: %v", err)
	}

	rc, err := e.dev.SendResetCode(e.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code := e.code(u.Mobile)
	_, err = e.dev.SendResetCode(e.ctx, u.ID)
	vtIs(t, "a second reset code at once", err, verify.ErrThrottled)
	err = e.dev.ResetPassword(e.ctx, u.ID, rc.CodeID, vtWrongCode(code), vtPassword3)
	vtIs(t, "reset with a wrong code", err, verify.ErrFailed)
	err = e.dev.ResetPassword(e.ctx, u.ID, rc.CodeID, code, "111111")
	vtIs(t, "reset to a weak password", err, pay.ErrInvalidRequest)
	if err := e.dev.ResetPassword(e.ctx, u.ID, rc.CodeID, code, vtPassword3); err != nil {
		t.Fatalf("reset with the code: %v", err)
	}
	err = e.dev.ResetPassword(e.ctx, u.ID, rc.CodeID, code, vtPassword)
	vtIs(t, "reset with the used code", err, verify.ErrReplayed)
	// An enrollment-purpose or payment-purpose code never resets.
	err = e.dev.ResetPassword(e.ctx, u.ID, "otp_unknown", "123456", vtPassword)
	vtIs(t, "reset with an unknown code", err, verify.ErrFailed)

	st, err := e.proxy(u, 10_00, vtPassword3)
	if err != nil {
		t.Fatalf("the reset password: %v", err)
	}
	e.wantProxyPaid(st, g, 10_00, 1, verify.MethodPassword)
}

// TestProxyDebitLargeNeedsSecondFactor: under DefaultPolicy a proxy debit
// from 500.00 CNY needs two factors, so the password alone leaves it
// pending (nothing charged); an SMS code — or the trusted terminal's
// approval — completes it. 499.99 needs the password alone.
func TestProxyDebitLargeNeedsSecondFactor(t *testing.T) {
	e := vtNew(t)
	u, g := e.proxyUser(2000_00, 5000_00)

	pm := verify.Payment{Amount: vtCNY(500_00), Flow: string(vrauth.ModeProxyDebit)}
	vtIs(t, "policy with the password alone", e.srv.VR.Engine().Satisfied(pm, []verify.Method{verify.MethodPassword}), verify.ErrInsufficient)
	if err := e.srv.VR.Engine().Satisfied(pm, []verify.Method{verify.MethodPassword, verify.MethodSMS}); err != nil {
		t.Fatalf("policy with password and SMS: %v", err)
	}

	st, err := e.proxy(u, 500_00, vtPassword)
	if err != nil {
		t.Fatal(err)
	}
	a := st.Authorization
	if a.Status != vrauth.StatusPending || a.PaymentID != "" || a.Requirement.Factors != 2 ||
		!cmp.Equal(a.Methods, []verify.Method{verify.MethodPassword}) {
		t.Fatalf("large debit with the password = %+v; want pending, 2 factors, methods [password]", a)
	}
	_, err = e.dev.Poll(e.ctx, st.DeviceCode)
	vtIs(t, "poll", err, vrauth.ErrAuthorizationPending)
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges with one factor, want 0", n)
	}

	_, err = e.dev.AddProof(e.ctx, st.DeviceCode, verify.Proof{Method: verify.MethodTrustedTerminal})
	vtIs(t, "trusted terminal as a proof", err, pay.ErrInvalidRequest)
	_, err = e.dev.AddProof(e.ctx, st.DeviceCode, verify.Proof{Method: verify.MethodSecurityQuestion, Secret: "x"})
	vtIs(t, "a method the policy doesn't take", err, verify.ErrUnsupported)

	ch, err := e.dev.Challenge(e.ctx, st.DeviceCode, verify.MethodSMS)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Method != verify.MethodSMS || ch.ID == "" {
		t.Fatalf("challenge = %+v", ch)
	}
	code := e.code(u.Mobile)
	_, err = e.dev.AddProof(e.ctx, st.DeviceCode, verify.Proof{Method: verify.MethodSMS, ChallengeID: ch.ID, Secret: vtWrongCode(code)})
	vtIs(t, "wrong SMS code", err, verify.ErrFailed)
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges after a wrong code, want 0", n)
	}
	a, err = e.dev.AddProof(e.ctx, st.DeviceCode, verify.Proof{Method: verify.MethodSMS, ChallengeID: ch.ID, Secret: code})
	if err != nil {
		t.Fatalf("right SMS code: %v", err)
	}
	st.Authorization = a
	e.wantProxyPaid(st, g, 500_00, 1, verify.MethodPassword, verify.MethodSMS)
	_, err = e.dev.AddProof(e.ctx, st.DeviceCode, verify.Proof{Method: verify.MethodSMS, ChallengeID: ch.ID, Secret: code})
	vtIs(t, "proof after the result", err, vrauth.ErrAlreadyDecided)

	st, err = e.proxy(u, 499_99, vtPassword)
	if err != nil {
		t.Fatal(err)
	}
	e.wantProxyPaid(st, g, 499_99, 2, verify.MethodPassword)

	// A trusted terminal is not a second factor for a proxy debit: it is
	// added with the device key alone, so it would let someone holding a
	// device key and a stolen password pass the rule.
	e.terminal(u, "Phone")
	vtIs(t, "policy with password and terminal", e.srv.VR.Engine().Satisfied(pm, []verify.Method{verify.MethodPassword, verify.MethodTrustedTerminal}), verify.ErrInsufficient)
	st, err = e.proxy(u, 600_00, vtPassword)
	if err != nil {
		t.Fatal(err)
	}
	if st.Authorization.Status != vrauth.StatusPending || st.UserCode != "" {
		t.Fatalf("large debit of a user with a terminal = %+v (code %q); want pending without a user code", st.Authorization, st.UserCode)
	}
	if n := e.charges(); n != 2 {
		t.Fatalf("%d charges, want the earlier 2", n)
	}
}

// TestProxyDebitTerminatedWhilePending: an agreement terminated between
// the order and its second factor is checked again before charging.
func TestProxyDebitTerminatedWhilePending(t *testing.T) {
	e := vtNew(t)
	u, g := e.proxyUser(2000_00, 5000_00)
	st, err := e.proxy(u, 800_00, vtPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.dev.TerminateAgreement(e.ctx, g.ID, ""); err != nil {
		t.Fatal(err)
	}
	ch, err := e.dev.Challenge(e.ctx, st.DeviceCode, verify.MethodSMS)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.dev.AddProof(e.ctx, st.DeviceCode, verify.Proof{Method: verify.MethodSMS, ChallengeID: ch.ID, Secret: e.code(u.Mobile)})
	vtIs(t, "second factor after termination", err, vrauth.ErrNoAgreement)
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges, want 0", n)
	}
	if s := e.status(st.Authorization.ID); s != vrauth.StatusPending {
		t.Fatalf("status = %s, want pending", s)
	}
	gg, err := e.dev.Agreement(e.ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gg.SpentToday != 0 {
		t.Fatalf("spent today = %d after a refused debit, want 0", gg.SpentToday)
	}
}

// TestProxyDebitSendsNoApprovalLinks: under DefaultPolicy a proxy debit
// is never approved on a trusted terminal (a terminal is not one of its
// factors), so none of its approval links go out, and the password alone
// completes a small one.
func TestProxyDebitSendsNoApprovalLinks(t *testing.T) {
	e := vtNew(t)
	u, g := e.proxyUser(2000_00, 5000_00)
	term, _ := e.terminal(u, "Phone")
	before := len(e.srv.Outbox.Messages())
	st, err := e.dev.Checkout(e.ctx, vrauth.CheckoutRequest{UserID: u.ID, HeadsetID: u.Headset, Order: vtOrder(600_00), Mode: vrauth.ModeProxyDebit})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range e.srv.Outbox.Messages()[before:] {
		if m.To == term.Address && m.Kind == vrauth.KindApproval {
			t.Fatalf("a proxy debit sent an approval link to the terminal")
		}
	}
	if st.Authorization.Status != vrauth.StatusPending || st.UserCode != "" || e.charges() != 0 {
		t.Fatalf("proxy debit without proofs = %+v (code %q, %d charges); want pending, no code, 0", st.Authorization, st.UserCode, e.charges())
	}
	st, err = e.proxy(u, 100_00, vtPassword)
	if err != nil {
		t.Fatal(err)
	}
	e.wantProxyPaid(st, g, 100_00, 1, verify.MethodPassword)
}
