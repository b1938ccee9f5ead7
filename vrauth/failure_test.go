package vrauth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel/sandbox"
	"github.com/paykit-go/paykit/vrauth"
)

// TestChannelDeclinesCrossTerminal: the payer's bank declines on the
// channel's page; the failure callback reaches the waiting headset as
// ErrPaymentFailed with the channel's reason, once.
func TestChannelDeclinesCrossTerminal(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Phone")
	st := e.checkout(u, 42_00)
	if ans := vtNewBrowser(t).approve(e.link(term.Address, vrauth.KindApproval), vtChannel); ans.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", ans.Status)
	}
	a, err := e.merchant.Authorization(e.ctx, st.Authorization.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Sandboxes[vtChannel].Decline(e.ctx, a.PaymentID, "insufficient balance"); err != nil {
		t.Fatal(err)
	}
	_, err = e.await(st.DeviceCode)
	vtIs(t, "Await after a decline", err, vrauth.ErrPaymentFailed)
	if !strings.Contains(err.Error(), "insufficient balance") {
		t.Fatalf("the failure doesn't give the channel's reason: %v", err)
	}
	_, err = e.await(st.DeviceCode)
	vtIs(t, "second Await", err, vrauth.ErrDelivered)
	if a, err = e.merchant.Authorization(e.ctx, a.ID); err != nil || a.Status != vrauth.StatusFailed || a.FailureReason != "insufficient balance" {
		t.Fatalf("authorization = %s (%q), %v; want failed with the reason", a.Status, a.FailureReason, err)
	}
}

// TestChannelDeclinesProxyDebit: a proxy debit the channel refuses is
// reported to the headset and gives its amount back to the day's limit.
func TestChannelDeclinesProxyDebit(t *testing.T) {
	e := vtNew(t)
	u, g := e.proxyUser(300_00, 300_00)
	e.srv.Sandboxes[vtChannel].Inject(sandbox.OpCreate, sandbox.Fault{Kind: sandbox.FaultDecline, Reason: "account frozen"})
	st, err := e.proxy(u, 300_00, vtPassword)
	if err != nil {
		t.Fatal(err)
	}
	if a := st.Authorization; a.Status != vrauth.StatusFailed || !strings.Contains(a.FailureReason, "account frozen") {
		t.Fatalf("declined proxy debit = %s (%q); want failed with the channel's reason", a.Status, a.FailureReason)
	}
	_, err = e.await(st.DeviceCode)
	vtIs(t, "Await after the decline", err, vrauth.ErrPaymentFailed)
	gg, err := e.dev.Agreement(e.ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gg.SpentToday != 0 {
		t.Fatalf("spent today = %d after a declined debit, want 0 (released)", gg.SpentToday)
	}
	// The whole day's limit is still there.
	st, err = e.proxy(u, 300_00, vtPassword)
	if err != nil {
		t.Fatalf("the full amount after the decline: %v", err)
	}
	e.wantProxyPaid(st, g, 300_00, 2, "password")
}

// TestApprovedButNeverPaid: the user approves but never pays on the
// channel's page, and the channel sends nothing. Once the payment window
// (and the charge's own expiry) has passed, the headset's next call closes
// the charge and gets ErrPaymentFailed instead of waiting forever; the
// charge can't be paid afterwards.
func TestApprovedButNeverPaid(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Phone")
	polled, awaited := e.checkout(u, 7_00), e.checkout(u, 8_00)
	b := vtNewBrowser(t)
	var links []string
	for _, m := range e.srv.Outbox.Messages() {
		if m.To == term.Address && m.Kind == vrauth.KindApproval {
			links = append(links, m.Link)
		}
	}
	if len(links) != 2 {
		t.Fatalf("%d approval links, want 2", len(links))
	}
	var payPages []string
	for _, l := range links {
		ans := b.approve(l, vtChannel)
		if ans.Status != http.StatusSeeOther {
			t.Fatalf("approve: %d", ans.Status)
		}
		payPages = append(payPages, ans.Location)
	}
	e.advance(vrauth.DefaultAuthorizationTTL)
	_, err := e.dev.Poll(e.ctx, polled.DeviceCode)
	vtIs(t, "poll at the end of the window (charge still payable)", err, vrauth.ErrAuthorizationPending)
	e.advance(time.Minute + time.Second)
	_, err = e.dev.Poll(e.ctx, polled.DeviceCode)
	vtIs(t, "poll after the window and the charge's expiry", err, vrauth.ErrPaymentFailed)
	start := time.Now()
	_, err = e.await(awaited.DeviceCode)
	vtIs(t, "await after the window", err, vrauth.ErrPaymentFailed)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Await took %v to learn the lapse", d)
	}
	for i, id := range []string{polled.Authorization.ID, awaited.Authorization.ID} {
		a, err := e.merchant.Authorization(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != vrauth.StatusFailed {
			t.Fatalf("authorization %d is %s, want failed", i, a.Status)
		}
		p, err := e.srv.Channels.Payment(e.ctx, a.PaymentID)
		if err != nil || p.Status != "closed" {
			t.Fatalf("payment %d: %s, %v; want closed", i, p.Status, err)
		}
		vtWantPage(t, "pay page after the lapse", b.get(payPages[i]), http.StatusOK, "closed")
	}
}
