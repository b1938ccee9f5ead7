package vrauth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/vrauth"
)

// TestPollSlowDown is RFC 8628 §3.5 over HTTP: pending while the user
// hasn't decided, slow_down (and 5 s more interval, for good) when the
// headset polls before its interval has passed.
func TestPollSlowDown(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	e.terminal(u, "Phone")
	st := e.checkout(u, 9_90)

	poll := func(what string, want error, says string) {
		t.Helper()
		r, err := e.dev.Poll(e.ctx, st.DeviceCode)
		vtIs(t, what, err, want)
		if !strings.Contains(err.Error(), says) {
			t.Fatalf("%s: %v; want it to say %q", what, err, says)
		}
		if r.Status != "" {
			t.Fatalf("%s: a result came with the error: %+v", what, r)
		}
	}
	poll("first poll", vrauth.ErrAuthorizationPending, "pending")
	poll("second poll at once", vrauth.ErrSlowDown, "the interval is now 10 s")
	e.advance(5 * time.Second)
	poll("poll 5 s later (interval 10 s)", vrauth.ErrSlowDown, "the interval is now 15 s")
	e.advance(14 * time.Second)
	poll("poll 14 s later (interval 15 s)", vrauth.ErrSlowDown, "the interval is now 20 s")
	e.advance(20 * time.Second)
	poll("poll 20 s later (interval 20 s)", vrauth.ErrAuthorizationPending, "pending")
	e.advance(20 * time.Second)
	poll("poll another 20 s later", vrauth.ErrAuthorizationPending, "pending")
	if s := e.status(st.Authorization.ID); s != vrauth.StatusPending {
		t.Fatalf("polling changed the status to %s", s)
	}

	_, err := e.dev.Poll(e.ctx, "not-a-device-code")
	vtIs(t, "poll with a malformed device code", err, vrauth.ErrUnknownDevice)
	_, err = e.dev.Poll(e.ctx, strings.Repeat("A", 43))
	vtIs(t, "poll with an unknown device code", err, vrauth.ErrUnknownDevice)
	_, err = e.dev.Wait(e.ctx, strings.Repeat("A", 43), time.Second)
	vtIs(t, "wait with an unknown device code", err, vrauth.ErrUnknownDevice)
}

// TestDenied: Deny on the page ends the authorization; the headset gets
// access_denied once, nothing is charged, and the link can't approve
// afterwards.
func TestDenied(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Phone")
	st := e.checkout(u, 9_90)
	link := e.link(term.Address, vrauth.KindApproval)

	_, err := e.dev.Poll(e.ctx, st.DeviceCode)
	vtIs(t, "poll before the decision", err, vrauth.ErrAuthorizationPending)
	phone := vtNewBrowser(t)
	csrf := phone.open(link)
	vtWantPage(t, "deny", phone.post(link, url.Values{"csrf": {csrf}, "action": {"deny"}}), http.StatusOK,
		"Denied. Nothing was charged.", `<strong id="status">denied</strong>`)
	e.advance(5 * time.Second)
	_, err = e.dev.Poll(e.ctx, st.DeviceCode)
	vtIs(t, "poll after deny", err, vrauth.ErrAccessDenied)
	_, err = e.dev.Poll(e.ctx, st.DeviceCode)
	vtIs(t, "second poll after deny", err, vrauth.ErrDelivered)

	vtWantPage(t, "approve after deny", phone.post(link, url.Values{"csrf": {csrf}, "action": {"approve"}, "channel": {vtChannel}}),
		http.StatusConflict, "already denied")
	vtWantPage(t, "deny again", phone.post(link, url.Values{"csrf": {csrf}, "action": {"deny"}}), http.StatusConflict)
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges, want 0", n)
	}
	if s := e.status(st.Authorization.ID); s != vrauth.StatusDenied {
		t.Fatalf("status = %s, want denied", s)
	}
}

// TestExpired: after the 5-minute window the headset gets expired_token
// and an approval is refused without charging — also an approval through
// a page opened (and a csrf token obtained) before the expiry.
func TestExpired(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Phone")

	// Polled after expiry: expired_token.
	st := e.checkout(u, 9_90)
	e.advance(5 * time.Minute)
	_, err := e.dev.Poll(e.ctx, st.DeviceCode)
	vtIs(t, "poll after 5 minutes", err, vrauth.ErrExpiredToken)
	_, err = e.dev.Poll(e.ctx, st.DeviceCode)
	vtIs(t, "second poll after expiry", err, vrauth.ErrDelivered)
	if s := e.status(st.Authorization.ID); s != vrauth.StatusExpired {
		t.Fatalf("status = %s, want expired", s)
	}

	// Approved after expiry, before anyone polled: refused, not charged.
	st = e.checkout(u, 9_90)
	link := e.link(term.Address, vrauth.KindApproval)
	phone := vtNewBrowser(t)
	csrf := phone.open(link)
	e.advance(5*time.Minute - time.Second)
	if p := phone.get(link); !strings.Contains(p.Body, `id="approve"`) {
		t.Fatalf("one second before expiry the page has no Approve button:\n%s", p.Body)
	}
	e.advance(time.Second)
	page := phone.get(link)
	vtWantPage(t, "page after expiry", page, http.StatusOK, "This request has expired", `<strong id="status">expired</strong>`)
	if strings.Contains(page.Body, "<form") {
		t.Fatalf("an expired authorization's page has a form:\n%s", page.Body)
	}
	vtWantPage(t, "approve after expiry", phone.post(link, url.Values{"csrf": {csrf}, "action": {"approve"}, "channel": {vtChannel}}),
		http.StatusBadRequest, "expired")
	if _, _, err := e.srv.VR.Approve(e.ctx, strings.TrimPrefix(link, e.srv.URL+"/vr/approve/"), vtChannel); err == nil {
		t.Fatal("engine approval after expiry succeeded")
	}
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges after approvals past expiry, want 0", n)
	}
	if s := e.status(st.Authorization.ID); s != vrauth.StatusExpired {
		t.Fatalf("status = %s, want expired", s)
	}
	_, err = e.await(st.DeviceCode)
	vtIs(t, "await after expiry", err, vrauth.ErrExpiredToken)
}

// TestResultPushedWithin100ms: a headset blocked in Wait gets the result
// less than 100 ms after the payer pays (the sandbox posts its signed
// callback asynchronously after Pay returns, so this measures callback
// delivery, the aggregator, the service and the HTTP answer).
func TestResultPushedWithin100ms(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Phone")
	st := e.checkout(u, 9_90)
	if ans := vtNewBrowser(t).approve(e.link(term.Address, vrauth.KindApproval), vtChannel); ans.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", ans.Status)
	}
	type outcome struct {
		r   vrauth.Result
		err error
		at  time.Time
	}
	done := make(chan outcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		defer cancel()
		r, err := e.dev.Wait(ctx, st.DeviceCode, vrauth.MaxWait)
		done <- outcome{r, err, time.Now()}
	}()
	select {
	case o := <-done:
		t.Fatalf("Wait returned before the payment: %+v, %v", o.r, o.err)
	case <-time.After(200 * time.Millisecond):
	}
	e.pay(st.Authorization)
	paid := time.Now()
	o := <-done
	if o.err != nil || o.r.Status != vrauth.StatusSucceeded {
		t.Fatalf("Wait = %+v, %v; want succeeded", o.r, o.err)
	}
	if d := o.at.Sub(paid); d >= 100*time.Millisecond {
		t.Fatalf("the result reached the headset %v after the payment, want < 100 ms", d)
	} else {
		t.Logf("callback to headset: %v", d)
	}
}

// TestWaitTimesOutPending: a long-poll with nothing to report answers
// authorization_pending after its wait, and a cancelled one at once.
func TestWaitTimesOutPending(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	e.terminal(u, "Phone")
	st := e.checkout(u, 9_90)
	start := time.Now()
	_, err := e.dev.Wait(e.ctx, st.DeviceCode, time.Second)
	vtIs(t, "1-second wait", err, vrauth.ErrAuthorizationPending)
	if d := time.Since(start); d < time.Second || d > 3*time.Second {
		t.Fatalf("a 1-second wait took %v", d)
	}
	_, err = e.srv.VR.Wait(e.ctx, st.DeviceCode, 0)
	vtIs(t, "0-second wait", err, vrauth.ErrAuthorizationPending)
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err = e.srv.VR.Wait(ctx, st.DeviceCode, vrauth.MaxWait)
	vtIs(t, "cancelled wait", err, vrauth.ErrAuthorizationPending)
	if s := e.status(st.Authorization.ID); s != vrauth.StatusPending {
		t.Fatalf("status = %s", s)
	}
}
