package vrauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/vrauth"
)

// TestApprovalFromRemovedTerminal: a link sent to a terminal the user
// removed no longer opens or approves — also with a form token obtained
// before the removal — and nothing is charged.
func TestApprovalFromRemovedTerminal(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Old phone")
	st := e.checkout(u, 15_00)
	link := e.link(term.Address, vrauth.KindApproval)
	phone := vtNewBrowser(t)
	csrf := phone.open(link)
	if err := e.dev.RemoveTerminal(e.ctx, u.ID, term.ID); err != nil {
		t.Fatal(err)
	}
	err := e.dev.RemoveTerminal(e.ctx, u.ID, term.ID)
	vtIs(t, "removing it twice", err, pay.ErrNotFound)
	p := phone.get(link)
	vtWantPage(t, "link of a removed terminal", p, http.StatusForbidden, "no longer trusted")
	if strings.Contains(p.Body, "m_dragonforge") || strings.Contains(p.Body, "15.00") {
		t.Fatalf("the refused page shows the order:\n%s", p.Body)
	}
	vtWantPage(t, "approve through it", phone.post(link, url.Values{"csrf": {csrf}, "action": {"approve"}, "channel": {vtChannel}}), http.StatusForbidden)
	vtWantPage(t, "deny through it", phone.post(link, url.Values{"csrf": {csrf}, "action": {"deny"}}), http.StatusForbidden)
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges, want 0", n)
	}
	if s := e.status(st.Authorization.ID); s != vrauth.StatusPending {
		t.Fatalf("status = %s, want pending", s)
	}
	// Another user's terminal can't be removed through this user.
	bob := e.user("Bob")
	bt, _ := e.terminal(bob, "Bob's phone")
	err = e.dev.RemoveTerminal(e.ctx, u.ID, bt.ID)
	vtIs(t, "removing another user's terminal", err, pay.ErrNotFound)
	ts, err := e.dev.Terminals(e.ctx, bob.ID)
	if err != nil || len(ts) != 1 {
		t.Fatalf("Bob's terminals = %v, %v", ts, err)
	}
}

// TestTamperedForms: form posts without the anti-forgery token, with a
// wrong one, with one bound to another browser's cookie or another page,
// and malformed or oversized bodies are refused; nothing changes, and the
// real form still works afterwards.
func TestTamperedForms(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Phone")
	st := e.checkout(u, 15_00)
	link := e.link(term.Address, vrauth.KindApproval)
	phone, attacker := vtNewBrowser(t), vtNewBrowser(t)
	good := phone.open(link)
	theirs := attacker.open(link)
	codeToken := phone.open(e.srv.URL + "/vr/code")
	if good == theirs {
		t.Fatal("two browsers got the same csrf token")
	}
	approve := func(csrf string) url.Values {
		v := url.Values{"action": {"approve"}, "channel": {vtChannel}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		return v
	}
	for _, tc := range []struct {
		name   string
		b      *vtBrowser
		body   string
		status int
		says   string
	}{
		{"no csrf", phone, approve("").Encode(), http.StatusForbidden, "this form has expired"},
		{"empty csrf", phone, approve("").Encode() + "&csrf=", http.StatusForbidden, "this form has expired"},
		{"wrong csrf", phone, approve(strings.Repeat("x", len(good))).Encode(), http.StatusForbidden, "this form has expired"},
		{"csrf of another browser", phone, approve(theirs).Encode(), http.StatusForbidden, "this form has expired"},
		{"stolen csrf without its cookie", vtNewBrowser(t), approve(good).Encode(), http.StatusForbidden, "this form has expired"},
		{"csrf of the code page", phone, approve(codeToken).Encode(), http.StatusForbidden, "this form has expired"},
		{"deny without csrf", phone, "action=deny", http.StatusForbidden, "this form has expired"},
		{"malformed body", phone, "csrf=" + good + "&action=%zz", http.StatusBadRequest, "malformed form"},
		{"oversized body", phone, approve(good).Encode() + "&pad=" + strings.Repeat("a", 5000), http.StatusBadRequest, "malformed form"},
		{"unknown action", phone, "csrf=" + good + "&action=pay", http.StatusBadRequest, "choose Approve or Deny"},
		{"channel not offered", phone, "csrf=" + good + "&action=approve&channel=sandbox-zz", http.StatusBadRequest, "choose one of the offered channels"},
	} {
		vtWantPage(t, tc.name, tc.b.postRaw(link, tc.body), tc.status, tc.says)
		if n := e.charges(); n != 0 {
			t.Fatalf("%s: %d charges", tc.name, n)
		}
		if s := e.status(st.Authorization.ID); s != vrauth.StatusPending {
			t.Fatalf("%s: status %s", tc.name, s)
		}
	}
	// The attacker's token in its own browser is valid for the form, but
	// the code page token never approves; the phone's real form does.
	if p := phone.post(link, approve(good)); p.Status != http.StatusSeeOther {
		t.Fatalf("the real form after the tampered ones: %d:\n%s", p.Status, p.Body)
	}
	if n := e.charges(); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
}

// TestPagesLeakNothing: the code page and refused links show nothing of
// an order; the device code and the user code don't open approval pages.
func TestPagesLeakNothing(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	e.terminal(u, "Phone")
	st := e.checkout(u, 15_00)
	secrets := []string{"m_dragonforge", "Dragonforge", "Obsidian", "15.00", u.Headset, u.ID, st.Authorization.ID, st.DeviceCode}
	leak := func(what string, p vtPage) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(p.Body, s) {
				t.Fatalf("%s shows %q:\n%s", what, s, p.Body)
			}
		}
	}
	b := vtNewBrowser(t)
	p := b.get(e.srv.URL + "/vr/code")
	vtWantPage(t, "code page", p, http.StatusOK, `name="user_code"`)
	leak("the code page", p)
	p = b.get(st.VerificationURIComplete)
	vtWantPage(t, "code page with the code", p, http.StatusOK)
	leak("the code page with the right code", p)
	p = e.enterCode(b, st.UserCode)
	leak("the refused code entry", p)

	for _, path := range []string{
		"/vr/approve/" + strings.Repeat("A", 43), // well-formed, unknown
		"/vr/approve/short",
		"/vr/approve/" + st.DeviceCode, // the headset's secret is not a link
		"/vr/approve/" + strings.ReplaceAll(st.UserCode, "-", ""),
		"/vr/approve/%00%ff",
		"/vr/activate/short",
	} {
		p := b.get(e.srv.URL + path)
		vtWantPage(t, "GET "+path, p, http.StatusNotFound, "unknown")
		leak("GET "+path, p)
		csrf := url.Values{"csrf": {"x"}, "action": {"approve"}}
		p = b.post(e.srv.URL+path, csrf)
		if p.Status != http.StatusForbidden && p.Status != http.StatusNotFound {
			t.Fatalf("POST %s: status %d", path, p.Status)
		}
		leak("POST "+path, p)
	}
	// A well-formed activation token is confirmed before it is looked up
	// (a GET never redeems it); the POST refuses an unknown one.
	act := e.srv.URL + "/vr/activate/" + strings.Repeat("A", 43)
	p = b.post(act, url.Values{"csrf": {b.open(act)}})
	vtWantPage(t, "unknown activation", p, http.StatusNotFound, "unknown, used or expired")
	leak("unknown activation", p)
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges", n)
	}
}

// TestPageHeaders: every page is kept out of frames, caches and Referer
// headers, has a script-free CSP, and the cookies are HttpOnly and
// SameSite.
func TestPageHeaders(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, activation := e.terminal(u, "Phone")
	e.checkout(u, 15_00)
	link := e.link(term.Address, vrauth.KindApproval)
	want := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
	}
	b := vtNewBrowser(t)
	pages := map[string]vtPage{
		"approval":          b.get(link),
		"code":              b.get(e.srv.URL + "/vr/code"),
		"activation":        b.get(activation),
		"done":              b.get(e.srv.URL + "/vr/done"),
		"unknown link":      b.get(e.srv.URL + "/vr/approve/" + strings.Repeat("A", 43)),
		"csrf refusal":      b.post(link, url.Values{"action": {"approve"}}),
		"code refusal":      e.enterCode(b, "BBBB-BBBB"),
		"activation reused": vtNewBrowser(t).post(activation, url.Values{}),
	}
	for name, p := range pages {
		got := map[string]string{}
		for k := range want {
			got[k] = p.Header.Get(k)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s page (status %d) headers (-want +got):\n%s", name, p.Status, diff)
		}
		if strings.Contains(strings.ToLower(p.Body), "<script") {
			t.Errorf("%s page has a script", name)
		}
	}

	// Cookies: the anti-forgery cookie is HttpOnly and SameSite=Strict; the
	// terminal cookie HttpOnly and SameSite=Lax; both scoped to /vr/.
	fresh := vtNewBrowser(t)
	p := fresh.get(link)
	csrfCookie := p.Header.Get("Set-Cookie")
	for _, attr := range []string{"vr_csrf=", "Path=/vr/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(csrfCookie, attr) {
			t.Errorf("csrf cookie %q lacks %s", csrfCookie, attr)
		}
	}
	if p := fresh.get(link); p.Header.Get("Set-Cookie") != "" {
		t.Errorf("a browser with a csrf cookie got another: %q", p.Header.Get("Set-Cookie"))
	}
	_, act := e.terminal(u, "Laptop")
	laptop := vtNewBrowser(t)
	p = laptop.post(act, url.Values{"csrf": {laptop.open(act)}})
	var termCookie string
	for _, c := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "vr_terminal=") {
			termCookie = c
		}
	}
	for _, attr := range []string{"Path=/vr/", "HttpOnly", "SameSite=Lax", "Max-Age="} {
		if !strings.Contains(termCookie, attr) {
			t.Errorf("terminal cookie %q lacks %s", termCookie, attr)
		}
	}

	css := b.get(e.srv.URL + "/vr/assets/style.css")
	if css.Status != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") || len(css.Body) == 0 {
		t.Fatalf("style.css: %d %q (%d bytes)", css.Status, css.Header.Get("Content-Type"), len(css.Body))
	}
}

// TestJSONAccess: each JSON route takes the key its contract names.
func TestJSONAccess(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	e.terminal(u, "Phone")
	st := e.checkout(u, 15_00)
	_, err := e.dev.Authorization(e.ctx, st.Authorization.ID)
	vtIs(t, "authorization with the device key", err, pay.ErrForbidden)
	a, err := e.merchant.Authorization(e.ctx, st.Authorization.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != st.Authorization.ID || a.Order.Amount != vtCNY(15_00) {
		t.Fatalf("merchant view = %+v", a)
	}
	_, err = e.merchant.Authorization(e.ctx, "vra_unknown")
	vtIs(t, "unknown authorization", err, pay.ErrNotFound)

	pc, err := pay.NewClient(e.srv.URL, pay.WithRetryPolicy(pay.NoRetries()))
	if err != nil {
		t.Fatal(err)
	}
	anon := vrauth.NewClient(pc)
	_, err = anon.Poll(e.ctx, st.DeviceCode)
	vtIs(t, "poll without a key", err, pay.ErrUnauthorized)
	_, err = anon.Register(e.ctx, vrauth.RegisterRequest{Name: "Eve", Mobile: vtMobile()})
	vtIs(t, "register without a key", err, pay.ErrUnauthorized)
}
