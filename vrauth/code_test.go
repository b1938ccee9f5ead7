package vrauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/vrauth"
)

// TestCodeEntry: an activated terminal types the headset's code (any
// case, with or without the dash) and is sent to a fresh approval link
// that approves like an e-mailed one.
func TestCodeEntry(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	phone, term := e.activatedBrowser(u, "Phone")
	st := e.checkout(u, 15_00)
	emailed := e.link(term.Address, vrauth.KindApproval)

	// The QR's URL pre-fills the code.
	vtWantPage(t, "code page from the QR", phone.get(st.VerificationURIComplete), http.StatusOK, `value="`+st.UserCode+`"`)

	ans := e.enterCode(phone, strings.ToLower(strings.ReplaceAll(st.UserCode, "-", " ")))
	if ans.Status != http.StatusSeeOther || !strings.HasPrefix(ans.Location, "/vr/approve/") {
		t.Fatalf("right code: status %d, Location %q; want 303 to /vr/approve/…", ans.Status, ans.Location)
	}
	fresh := e.srv.URL + ans.Location
	if fresh == emailed {
		t.Fatal("the code page redirected to the e-mailed link, not a fresh one")
	}
	vtWantPage(t, "fresh link", phone.get(fresh), http.StatusOK, "m_dragonforge", "15.00 CNY", "This terminal: Phone", `id="approve"`)
	if ans := phone.approve(fresh, vtChannel); ans.Status != http.StatusSeeOther {
		t.Fatalf("approve through the fresh link: %d:\n%s", ans.Status, ans.Body)
	}
	a, err := e.merchant.Authorization(e.ctx, st.Authorization.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != vrauth.StatusApproved || a.ApprovedBy != term.ID || e.charges() != 1 {
		t.Fatalf("after approval: %s by %s, %d charges", a.Status, a.ApprovedBy, e.charges())
	}
	// A decided authorization's code no longer works.
	vtWantPage(t, "code of a decided authorization", e.enterCode(phone, st.UserCode), http.StatusForbidden, "wrong or expired code")
}

// TestCodeEntryLocksAfterFiveWrong: five wrong codes lock the pending
// authorization's code (the right one is then refused) while the link
// e-mailed to the terminal still approves.
func TestCodeEntryLocksAfterFiveWrong(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	phone, term := e.activatedBrowser(u, "Phone")
	st := e.checkout(u, 15_00)
	emailed := e.link(term.Address, vrauth.KindApproval)
	for i := 1; i <= vrauth.MaxUserCodeFailures; i++ {
		vtWantPage(t, "wrong code", e.enterCode(phone, vtWrongUserCode(st.UserCode)), http.StatusForbidden, "wrong or expired code")
	}
	p := e.enterCode(phone, st.UserCode)
	vtWantPage(t, "right code after 5 wrong", p, http.StatusForbidden, "locked after too many wrong entries")
	if p.Location != "" {
		t.Fatalf("the locked code redirected to %s", p.Location)
	}
	if s := e.status(st.Authorization.ID); s != vrauth.StatusPending {
		t.Fatalf("status = %s, want pending", s)
	}
	if ans := phone.approve(emailed, vtChannel); ans.Status != http.StatusSeeOther {
		t.Fatalf("the e-mailed link after the code locked: %d:\n%s", ans.Status, ans.Body)
	}
	if n := e.charges(); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
}

// TestCodeEntryMalformed: a code that can't be one is a wrong entry too
// (it counts), and the page says so without detail.
func TestCodeEntryMalformed(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	phone, _ := e.activatedBrowser(u, "Phone")
	st := e.checkout(u, 15_00)
	for _, c := range []string{"", "AEIO-UAEI", "BCDF", strings.Repeat("B", 40), "BCDF-GHJ1"} {
		vtWantPage(t, "malformed code "+c, e.enterCode(phone, c), http.StatusForbidden, "wrong or expired code")
	}
	// Five counted: the right code is now locked.
	vtWantPage(t, "right code after 5 malformed", e.enterCode(phone, st.UserCode), http.StatusForbidden, "locked")
}

// TestCodeEntryOtherUsersTerminal: an activated terminal of another user
// can't reach the authorization with its code, and its failure doesn't
// count against the owner.
func TestCodeEntryOtherUsersTerminal(t *testing.T) {
	e := vtNew(t)
	ada, bob := e.user("Ada"), e.user("Bob")
	adaPhone, _ := e.activatedBrowser(ada, "Ada's phone")
	bobPhone, _ := e.activatedBrowser(bob, "Bob's phone")
	st := e.checkout(ada, 15_00)
	for i := 0; i < vrauth.MaxUserCodeFailures; i++ {
		vtWantPage(t, "Bob typing Ada's code", e.enterCode(bobPhone, st.UserCode), http.StatusForbidden, "wrong or expired code")
	}
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges", n)
	}
	ans := e.enterCode(adaPhone, st.UserCode)
	if ans.Status != http.StatusSeeOther {
		t.Fatalf("Ada's own code after Bob's tries: %d:\n%s", ans.Status, ans.Body)
	}
}

// TestCodeEntryNeedsActivatedTerminal: no terminal cookie, a forged one,
// an unactivated or removed terminal — all refused; an activation link
// works once.
func TestCodeEntryNeedsActivatedTerminal(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	st := e.orderWithTerminal(u)

	stranger := vtNewBrowser(t)
	vtWantPage(t, "no terminal cookie", e.enterCode(stranger, st.UserCode), http.StatusForbidden, "not an activated trusted terminal")

	forged := vtNewBrowser(t)
	su, _ := url.Parse(e.srv.URL + "/vr/")
	forged.hc.Jar.SetCookies(su, []*http.Cookie{{Name: "vr_terminal", Value: strings.Repeat("A", 43), Path: "/vr/"}})
	vtWantPage(t, "forged terminal cookie", e.enterCode(forged, st.UserCode), http.StatusForbidden, "not an activated trusted terminal")

	// Activation is single use.
	term, activation := e.terminal(u, "Tablet")
	tablet := vtNewBrowser(t)
	tablet.activate(activation)
	other := vtNewBrowser(t)
	csrf := other.open(activation)
	vtWantPage(t, "second activation", other.post(activation, url.Values{"csrf": {csrf}}), http.StatusNotFound, "unknown, used or expired")
	if other.cookie(e.srv.URL+"/vr/code", "vr_terminal") != "" {
		t.Fatal("a refused activation set a terminal cookie")
	}
	// Removing the terminal ends its browser's right to enter codes.
	if err := e.dev.RemoveTerminal(e.ctx, u.ID, term.ID); err != nil {
		t.Fatal(err)
	}
	vtWantPage(t, "removed terminal", e.enterCode(tablet, st.UserCode), http.StatusForbidden, "not an activated trusted terminal")

	// Activation links expire after 24 hours.
	_, late := e.terminal(u, "Laptop")
	e.advance(24 * time.Hour)
	laptop := vtNewBrowser(t)
	vtWantPage(t, "activation after 24 h", laptop.post(late, url.Values{"csrf": {laptop.open(late)}}), http.StatusNotFound)
}

// orderWithTerminal places an order for a user who needs a terminal to approve on.
func (e *vtEnv) orderWithTerminal(u vtUser) vrauth.Started {
	e.t.Helper()
	e.terminal(u, "Phone")
	return e.checkout(u, 15_00)
}

// TestCodeEntryRateLimit: one client may enter 10 codes a minute; the
// 11th is refused with 429 whatever it holds, and a token comes back
// after 6 s.
func TestCodeEntryRateLimit(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	phone, _ := e.activatedBrowser(u, "Phone")
	st := e.checkout(u, 15_00)
	stranger := vtNewBrowser(t)
	for i := 1; i <= 10; i++ {
		vtWantPage(t, "entry within the limit", e.enterCode(stranger, st.UserCode), http.StatusForbidden)
	}
	p := e.enterCode(phone, st.UserCode)
	vtWantPage(t, "11th entry (the right code)", p, http.StatusTooManyRequests, "too many requests")
	if p.Location != "" {
		t.Fatal("a rate-limited entry redirected")
	}
	e.advance(6 * time.Second)
	if p := e.enterCode(phone, st.UserCode); p.Status != http.StatusSeeOther {
		t.Fatalf("after 6 s: %d:\n%s", p.Status, p.Body)
	}
	vtWantPage(t, "12th entry", e.enterCode(phone, st.UserCode), http.StatusTooManyRequests)
}
