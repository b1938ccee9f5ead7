package vrauth_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

func TestEnrollSMSRightCode(t *testing.T) {
	e := vtNew(t)
	en := e.register("Ada")
	if en.User.Status != vrauth.UserPendingSMS || en.CodeID == "" || !en.CodeExpiresAt.Equal(vtStart.Add(10*time.Minute)) {
		t.Fatalf("enrollment = %+v; want pending_sms with a code expiring at %v", en, vtStart.Add(10*time.Minute))
	}
	if !en.User.PaymentsEnabled || len(en.User.Headsets) != 0 || en.User.Verification != vrauth.VerifySMS {
		t.Fatalf("new user = %+v; want payments on, no headsets, sms verification", en.User)
	}
	m, _ := e.srv.Outbox.Last(en.User.Mobile)
	if m.Kind != verify.MessageKindOTP || !strings.Contains(m.Body, "valid 10 minutes") {
		t.Fatalf("enrollment SMS = %+v", m)
	}
	code := e.code(en.User.Mobile)
	// A code of the wrong shape is refused without counting: with 4 wrong
	// codes after it the real one still works.
	_, err := e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, "12345")
	vtIs(t, "5-digit code", err, verify.ErrFailed)
	for k := 1; k <= 4; k++ {
		_, err := e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, vtWrongCode(code))
		vtIs(t, "wrong code", err, verify.ErrFailed)
		if want := fmt.Sprintf("wrong one-time code; %d attempts left", 5-k); !strings.Contains(err.Error(), want) {
			t.Fatalf("wrong code %d: %v; want it to say %q", k, err, want)
		}
		if strings.Contains(err.Error(), code) {
			t.Fatal("the error quotes the code")
		}
		e.wantUserStatus(en.User.ID, vrauth.UserPendingSMS)
	}
	u, err := e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, code)
	if err != nil {
		t.Fatalf("right code after 4 wrong ones: %v", err)
	}
	if u.Status != vrauth.UserVerified {
		t.Fatalf("status after the right code = %s, want verified", u.Status)
	}
	// The code answered once: answering again is refused and changes
	// nothing.
	_, err = e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, code)
	vtIs(t, "reused code", err, pay.ErrConflict)
	e.wantUserStatus(en.User.ID, vrauth.UserVerified)
}

func TestEnrollSMSFiveWrongCodesKillIt(t *testing.T) {
	e := vtNew(t)
	en := e.register("Ada")
	code := e.code(en.User.Mobile)
	for i := 1; i <= 4; i++ {
		_, err := e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, vtWrongCode(code))
		vtIs(t, "wrong code", err, verify.ErrFailed)
	}
	_, err := e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, vtWrongCode(code))
	vtIs(t, "5th wrong code", err, verify.ErrLocked)
	_, err = e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, code)
	vtIs(t, "right code after 5 wrong", err, verify.ErrLocked)
	e.wantUserStatus(en.User.ID, vrauth.UserPendingSMS)

	// A new code (after the resend interval) works.
	e.advance(time.Minute)
	en2, err := e.dev.ResendCode(e.ctx, en.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.dev.VerifyMobile(e.ctx, en.User.ID, en2.CodeID, e.code(en.User.Mobile)); err != nil {
		t.Fatalf("fresh code: %v", err)
	}
	e.wantUserStatus(en.User.ID, vrauth.UserVerified)
}

func TestEnrollSMSCodeExpires(t *testing.T) {
	e := vtNew(t)
	en := e.register("Ada")
	code := e.code(en.User.Mobile)
	e.advance(10*time.Minute - time.Second)
	other := e.register("Bob") // still answerable one second before expiry
	if _, err := e.dev.VerifyMobile(e.ctx, other.User.ID, other.CodeID, e.code(other.User.Mobile)); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Second)
	_, err := e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, code)
	vtIs(t, "code after 10 minutes", err, verify.ErrExpired)
	e.wantUserStatus(en.User.ID, vrauth.UserPendingSMS)
}

func TestEnrollSMSCodeOfAnotherUser(t *testing.T) {
	e := vtNew(t)
	ada, bob := e.register("Ada"), e.register("Bob")
	adaCode := e.code(ada.User.Mobile)
	// Bob answers with Ada's code ID and code: refused, and it counts
	// against Ada's code, not for Bob.
	_, err := e.dev.VerifyMobile(e.ctx, bob.User.ID, ada.CodeID, adaCode)
	vtIs(t, "another user's code", err, verify.ErrFailed)
	e.wantUserStatus(bob.User.ID, vrauth.UserPendingSMS)
	if _, err := e.dev.VerifyMobile(e.ctx, ada.User.ID, ada.CodeID, adaCode); err != nil {
		t.Fatalf("Ada's own code: %v", err)
	}
}

func TestEnrollResendThrottled(t *testing.T) {
	e := vtNew(t)
	en := e.register("Ada")
	first := e.code(en.User.Mobile)
	sent := func() int {
		n := 0
		for _, m := range e.srv.Outbox.Messages() {
			if m.To == en.User.Mobile {
				n++
			}
		}
		return n
	}
	_, err := e.dev.ResendCode(e.ctx, en.User.ID)
	vtIs(t, "resend at once", err, verify.ErrThrottled)
	e.advance(59 * time.Second)
	_, err = e.dev.ResendCode(e.ctx, en.User.ID)
	vtIs(t, "resend after 59 s", err, verify.ErrThrottled)
	if n := sent(); n != 1 {
		t.Fatalf("%d messages after throttled resends, want 1", n)
	}
	var last vrauth.Enrollment
	for i := 2; i <= 5; i++ {
		e.advance(time.Minute)
		if last, err = e.dev.ResendCode(e.ctx, en.User.ID); err != nil {
			t.Fatalf("resend %d: %v", i, err)
		}
	}
	if n := sent(); n != 5 {
		t.Fatalf("%d messages, want 5", n)
	}
	// Five codes an hour to one number: the sixth is refused however long
	// after the previous one.
	e.advance(5 * time.Minute)
	_, err = e.dev.ResendCode(e.ctx, en.User.ID)
	vtIs(t, "6th code in an hour", err, verify.ErrThrottled)
	if n := sent(); n != 5 {
		t.Fatalf("%d messages after the 6th was refused, want 5", n)
	}
	// The first code was replaced; the latest works.
	_, err = e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, first)
	vtIs(t, "replaced code", err, verify.ErrExpired)
	if _, err := e.dev.VerifyMobile(e.ctx, en.User.ID, last.CodeID, e.code(en.User.Mobile)); err != nil {
		t.Fatalf("latest code: %v", err)
	}
	// A verified user has nothing to resend.
	_, err = e.dev.ResendCode(e.ctx, en.User.ID)
	vtIs(t, "resend after verification", err, pay.ErrConflict)
}

func TestEnrollReview(t *testing.T) {
	e := vtNew(t)
	mobile := vtMobile()
	en, err := e.dev.Register(e.ctx, vrauth.RegisterRequest{Name: "Ada", Mobile: mobile, Verification: vrauth.VerifyReview})
	if err != nil {
		t.Fatal(err)
	}
	if en.User.Status != vrauth.UserPendingReview || en.CodeID != "" {
		t.Fatalf("review enrollment = %+v; want pending_review without a code", en)
	}
	if _, ok := e.srv.Outbox.Last(mobile); ok {
		t.Fatal("a review enrollment sent an SMS")
	}
	// The device key may not review; nothing changes.
	_, err = e.dev.Review(e.ctx, en.User.ID, vrauth.ReviewRequest{Approve: true})
	vtIs(t, "review with the device key", err, pay.ErrForbidden)
	_, err = e.merchant.Review(e.ctx, en.User.ID, vrauth.ReviewRequest{Approve: true})
	vtIs(t, "review with the merchant key", err, pay.ErrForbidden)
	e.wantUserStatus(en.User.ID, vrauth.UserPendingReview)
	// Nor may it be answered with an SMS code.
	_, err = e.dev.VerifyMobile(e.ctx, en.User.ID, "otp_x", "123456")
	vtIs(t, "SMS code for a review user", err, pay.ErrConflict)

	u, err := e.admin.Review(e.ctx, en.User.ID, vrauth.ReviewRequest{Approve: true, Note: "ID card checked"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != vrauth.UserVerified || u.ReviewNote != "ID card checked" {
		t.Fatalf("approved user = %+v", u)
	}
	_, err = e.admin.Review(e.ctx, en.User.ID, vrauth.ReviewRequest{Approve: false})
	vtIs(t, "second review", err, pay.ErrConflict)
	e.wantUserStatus(en.User.ID, vrauth.UserVerified)

	rej, err := e.dev.Register(e.ctx, vrauth.RegisterRequest{Name: "Eve", Mobile: vtMobile(), Verification: vrauth.VerifyReview})
	if err != nil {
		t.Fatal(err)
	}
	if u, err = e.admin.Review(e.ctx, rej.User.ID, vrauth.ReviewRequest{Approve: false, Note: "number not hers"}); err != nil {
		t.Fatal(err)
	}
	if u.Status != vrauth.UserRejected {
		t.Fatalf("rejected user is %s", u.Status)
	}
	eve := e.headset(rej.User.ID)
	_, err = e.dev.Checkout(e.ctx, vrauth.CheckoutRequest{UserID: eve.ID, HeadsetID: eve.Headset, Order: vtOrder(1_00)})
	vtIs(t, "checkout of a rejected user", err, vrauth.ErrNotVerified)
	_, err = e.dev.AddTerminal(e.ctx, eve.ID, vrauth.TerminalRequest{Name: "Phone", Address: "eve@example.com"})
	vtIs(t, "terminal of a rejected user", err, vrauth.ErrNotVerified)
}

func TestEnrollBadInput(t *testing.T) {
	e := vtNew(t)
	for _, tc := range []struct {
		name string
		req  vrauth.RegisterRequest
	}{
		{"no name", vrauth.RegisterRequest{Mobile: vtMobile()}},
		{"local number", vrauth.RegisterRequest{Name: "Ada", Mobile: "13800138000"}},
		{"letters", vrauth.RegisterRequest{Name: "Ada", Mobile: "+86138abc0000"}},
		{"too long", vrauth.RegisterRequest{Name: "Ada", Mobile: "+8613800138000123"}},
		{"control char in name", vrauth.RegisterRequest{Name: "A\x00da", Mobile: vtMobile()}},
		{"unknown verification", vrauth.RegisterRequest{Name: "Ada", Mobile: vtMobile(), Verification: "email"}},
	} {
		before := len(e.srv.Outbox.Messages())
		_, err := e.dev.Register(e.ctx, tc.req)
		vtIs(t, tc.name, err, pay.ErrInvalidRequest)
		if n := len(e.srv.Outbox.Messages()); n != before {
			t.Fatalf("%s: a refused registration sent %d messages", tc.name, n-before)
		}
	}
}

// TestEligibility: each missing condition refuses a checkout with its own
// error and changes nothing; Eligibility lists them all.
func TestEligibility(t *testing.T) {
	e := vtNew(t)
	ok := e.user("Ada")
	term, _ := e.terminal(ok, "Phone")
	msgs := func() int { return len(e.srv.Outbox.Messages()) }

	el, err := e.dev.Eligibility(e.ctx, ok.ID, ok.Headset)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(vrauth.Eligibility{Eligible: true, Missing: []string{}}, el); diff != "" {
		t.Fatalf("eligibility of a ready user (-want +got):\n%s", diff)
	}

	// A user who is not verified, switched payments off and whose only
	// headset is switched off misses three things.
	en := e.register("Bob")
	bob := e.headset(en.User.ID)
	if _, err := e.dev.SetPayments(e.ctx, bob.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.dev.SetHeadset(e.ctx, bob.ID, bob.Headset, false); err != nil {
		t.Fatal(err)
	}
	el, err = e.dev.Eligibility(e.ctx, bob.ID, bob.Headset)
	if err != nil {
		t.Fatal(err)
	}
	want := vrauth.Eligibility{Missing: []string{"not_verified", "payments_off", "headset_off"}}
	if diff := cmp.Diff(want, el); diff != "" {
		t.Fatalf("eligibility of Bob (-want +got):\n%s", diff)
	}
	el, err = e.dev.Eligibility(e.ctx, "vru_nobody", "quest-x")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(vrauth.Eligibility{Missing: []string{"not_enrolled"}}, el); diff != "" {
		t.Fatalf("eligibility of nobody (-want +got):\n%s", diff)
	}

	try := func(what string, userID, headset string, want error) {
		t.Helper()
		before, out := e.charges(), msgs()
		_, err := e.dev.Checkout(e.ctx, vrauth.CheckoutRequest{UserID: userID, HeadsetID: headset, Order: vtOrder(1_00)})
		vtIs(t, what, err, want)
		if e.charges() != before || msgs() != out {
			t.Fatalf("%s: a refused checkout charged or sent something", what)
		}
	}
	try("unknown user", "vru_nobody", ok.Headset, vrauth.ErrNotEnrolled)
	try("malformed user ID", "", ok.Headset, vrauth.ErrNotEnrolled)
	try("unverified user", bob.ID, bob.Headset, vrauth.ErrNotVerified)

	if _, err := e.dev.SetPayments(e.ctx, ok.ID, false); err != nil {
		t.Fatal(err)
	}
	try("payments off", ok.ID, ok.Headset, vrauth.ErrPaymentsOff)
	if _, err := e.dev.SetPayments(e.ctx, ok.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.dev.SetHeadset(e.ctx, ok.ID, ok.Headset, false); err != nil {
		t.Fatal(err)
	}
	try("headset off", ok.ID, ok.Headset, vrauth.ErrHeadsetOff)
	el, _ = e.dev.Eligibility(e.ctx, ok.ID, ok.Headset)
	if diff := cmp.Diff(vrauth.Eligibility{Missing: []string{"headset_off"}}, el); diff != "" {
		t.Fatalf("eligibility with the headset off (-want +got):\n%s", diff)
	}
	try("unregistered headset", ok.ID, "quest-unknown", vrauth.ErrHeadsetOff)
	_, err = e.dev.SetHeadset(e.ctx, ok.ID, "quest-unknown", true)
	vtIs(t, "switching an unregistered headset", err, vrauth.ErrHeadsetOff)

	// Switched back on, the same order goes through.
	if _, err := e.dev.SetHeadset(e.ctx, ok.ID, ok.Headset, true); err != nil {
		t.Fatal(err)
	}
	st := e.checkout(ok, 1_00)
	if st.Authorization.Status != vrauth.StatusPending {
		t.Fatalf("checkout after switching on: %s", st.Authorization.Status)
	}
	e.link(term.Address, vrauth.KindApproval)

	// A verified user without trusted terminals can't order cross-terminal.
	lone := e.user("Cy")
	try("no trusted terminal", lone.ID, lone.Headset, vrauth.ErrNoTerminal)
}
