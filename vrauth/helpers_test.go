package vrauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

// vtStart is when the tests' manual clocks start: mid-morning UTC, so a
// test can reach the next UTC day with one Advance.
var vtStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// vtChannel is the channel the tests pay through.
const vtChannel = "sandbox-a"

// vtEnv is the reference backend on a manual clock, served over loopback,
// with vrauth clients for each API key. Clients make one attempt per call
// (no retries), so a test sees exactly what the server answered.
type vtEnv struct {
	t        testing.TB
	ctx      context.Context
	srv      *paytest.Server
	dev      *vrauth.Client // device key: the headset and the VR app
	admin    *vrauth.Client // operator key
	merchant *vrauth.Client // merchant key
}

// vtNew starts a backend (manual clock at vtStart unless opts say
// otherwise) and closes it when the test ends.
func vtNew(t testing.TB, opts ...paytest.Option) *vtEnv {
	t.Helper()
	srv, err := paytest.NewServer(append([]paytest.Option{paytest.WithStartTime(vtStart)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	// Connections a transport dialed but never used look busy to the
	// server's graceful shutdown, which then waits its full 2 s: close the
	// idle ones of every transport the tests' clients (and the sandboxes)
	// use before the server closes.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	})
	e := &vtEnv{t: t, ctx: context.Background(), srv: srv}
	mk := func(key string) *vrauth.Client {
		pc, err := pay.NewClient(srv.URL, pay.WithAPIKey(key), pay.WithRetryPolicy(pay.NoRetries()), pay.WithHTTPClient(&http.Client{Transport: tr}))
		if err != nil {
			t.Fatal(err)
		}
		return vrauth.NewClient(pc)
	}
	e.dev, e.admin, e.merchant = mk(srv.Keys.Device), mk(srv.Keys.Admin), mk(srv.Keys.Merchant)
	return e
}

// advance moves the backend's manual clock.
func (e *vtEnv) advance(d time.Duration) {
	e.t.Helper()
	if err := e.srv.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

// vtMobileSeq makes every test user's mobile number distinct.
var vtMobileSeq atomic.Int64

// vtMobile returns a fresh E.164 mobile number.
func vtMobile() string { return fmt.Sprintf("+86139%08d", vtMobileSeq.Add(1)) }

// vtUser is an enrolled user and a headset registered for them.
type vtUser struct {
	vrauth.User
	Headset string
}

// register enrolls a user with SMS verification and returns the enrollment
// (the code is in the outbox, unanswered).
func (e *vtEnv) register(name string) vrauth.Enrollment {
	e.t.Helper()
	en, err := e.dev.Register(e.ctx, vrauth.RegisterRequest{Name: name, Mobile: vtMobile()})
	if err != nil {
		e.t.Fatal(err)
	}
	return en
}

// vtHeadsetSeq makes headset IDs distinct, so that each has its own
// ordering rate limit.
var vtHeadsetSeq atomic.Int64

// user enrolls a verified user (SMS code from the outbox) with one headset
// of a fresh ID.
func (e *vtEnv) user(name string) vtUser {
	e.t.Helper()
	en := e.register(name)
	if _, err := e.dev.VerifyMobile(e.ctx, en.User.ID, en.CodeID, e.code(en.User.Mobile)); err != nil {
		e.t.Fatal(err)
	}
	return e.headset(en.User.ID)
}

// headset registers a headset of a fresh ID for a user.
func (e *vtEnv) headset(userID string) vtUser {
	e.t.Helper()
	id := fmt.Sprintf("quest-%d", vtHeadsetSeq.Add(1))
	u, err := e.dev.AddHeadset(e.ctx, userID, vrauth.HeadsetRequest{ID: id, Name: "Quest"})
	if err != nil {
		e.t.Fatal(err)
	}
	return vtUser{User: u, Headset: id}
}

var vtCodeRE = regexp.MustCompile(`\b([0-9]{6})\b`)

// code returns the 6-digit code of the latest message to mobile.
func (e *vtEnv) code(mobile string) string {
	e.t.Helper()
	m, ok := e.srv.Outbox.Last(mobile)
	if !ok {
		e.t.Fatalf("no message to %s", mobile)
	}
	if m.Kind != verify.MessageKindOTP {
		e.t.Fatalf("latest message to %s is %q, not a one-time code", mobile, m.Kind)
	}
	c := vtCodeRE.FindStringSubmatch(m.Body)
	if c == nil {
		e.t.Fatalf("no 6-digit code in the message to %s", mobile)
	}
	return c[1]
}

// link returns the link of the latest message to addr, which must be of
// kind.
func (e *vtEnv) link(addr, kind string) string {
	e.t.Helper()
	m, ok := e.srv.Outbox.Last(addr)
	if !ok {
		e.t.Fatalf("no message to %s", addr)
	}
	if m.Kind != kind || m.Link == "" {
		e.t.Fatalf("latest message to %s is a %q (link %q), want a %q link", addr, m.Kind, m.Link, kind)
	}
	return m.Link
}

// vtAddrSeq makes trusted-terminal addresses distinct.
var vtAddrSeq atomic.Int64

// terminal registers a trusted terminal (an e-mail address) and returns it
// with the activation link it was sent.
func (e *vtEnv) terminal(u vtUser, name string) (vrauth.Terminal, string) {
	e.t.Helper()
	addr := fmt.Sprintf("phone%d@example.com", vtAddrSeq.Add(1))
	t, err := e.dev.AddTerminal(e.ctx, u.ID, vrauth.TerminalRequest{Name: name, Address: addr})
	if err != nil {
		e.t.Fatal(err)
	}
	return t, e.link(addr, vrauth.KindActivation)
}

// vtCNY is an amount in fen.
func vtCNY(fen int64) pay.Money { return pay.Money{Amount: fen, Currency: "CNY"} }

// vtOrder is a one-item order of amount fen from a distinctive merchant.
func vtOrder(fen int64) vrauth.Order {
	return vrauth.Order{MerchantID: "m_dragonforge", Description: "Dragonforge DLC",
		Items: []vrauth.Item{{Name: "Obsidian Greatsword", Quantity: 1, UnitPrice: vtCNY(fen)}}, Amount: vtCNY(fen)}
}

// checkout places a cross-terminal order of fen for u's headset.
func (e *vtEnv) checkout(u vtUser, fen int64) vrauth.Started {
	e.t.Helper()
	st, err := e.dev.Checkout(e.ctx, vrauth.CheckoutRequest{UserID: u.ID, HeadsetID: u.Headset, Order: vtOrder(fen)})
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// charges counts the charges the sandbox providers accepted: the number
// that must not move when a request is refused.
func (e *vtEnv) charges() int {
	n := 0
	for _, p := range e.srv.Sandboxes {
		n += p.Accepted()
	}
	return n
}

// status reads an authorization's status with the merchant key.
func (e *vtEnv) status(id string) vrauth.Status {
	e.t.Helper()
	a, err := e.merchant.Authorization(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.Status
}

// pay plays the payer paying an authorization's charge in the sandbox.
func (e *vtEnv) pay(a vrauth.Authorization) {
	e.t.Helper()
	a, err := e.merchant.Authorization(e.ctx, a.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if a.PaymentID == "" {
		e.t.Fatalf("authorization %s (%s) has no payment", a.ID, a.Status)
	}
	if err := e.srv.Sandboxes[a.Channel].Pay(e.ctx, a.PaymentID); err != nil {
		e.t.Fatal(err)
	}
}

// await waits (at most 10 s) for the headset's result.
func (e *vtEnv) await(deviceCode string) (vrauth.Result, error) {
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	return e.dev.Await(ctx, deviceCode)
}

// signedAgreement signs a proxy-debit agreement on vtChannel with the
// given limits (fen) and waits for the channel's callback to complete it.
func (e *vtEnv) signedAgreement(u vtUser, perPayment, perDay int64) vrauth.Agreement {
	e.t.Helper()
	g, err := e.dev.SignAgreement(e.ctx, u.ID, vrauth.AgreementRequest{Channel: vtChannel, PerPayment: vtCNY(perPayment), PerDay: vtCNY(perDay)})
	if err != nil {
		e.t.Fatal(err)
	}
	if g.Status != string(channel.AgreementPending) || g.SignURL == "" {
		e.t.Fatalf("new agreement: status %q, sign URL %q; want pending with a URL", g.Status, g.SignURL)
	}
	if err := e.srv.Sandboxes[vtChannel].SignAgreement(e.ctx, g.ChannelAgreementID); err != nil {
		e.t.Fatal(err)
	}
	return e.agreementStatus(g.ID, channel.AgreementSigned)
}

// agreementStatus waits (at most 5 s) for an agreement to reach status.
func (e *vtEnv) agreementStatus(id string, want channel.AgreementStatus) vrauth.Agreement {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, err := e.dev.Agreement(e.ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		if g.Status == string(want) {
			return g
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("agreement %s is %s after 5 s, want %s", id, g.Status, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// proxy places a proxy-debit order of fen confirmed with password.
func (e *vtEnv) proxy(u vtUser, fen int64, password string) (vrauth.Started, error) {
	return e.dev.Checkout(e.ctx, vrauth.CheckoutRequest{UserID: u.ID, HeadsetID: u.Headset, Order: vtOrder(fen),
		Mode: vrauth.ModeProxyDebit, Proofs: []verify.Proof{{Method: verify.MethodPassword, Secret: password}}})
}

// vtIs fails the test unless err matches kind.
func vtIs(t testing.TB, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: err = %v, want %v", what, err, kind)
	}
}

// vtBrowser is a trusted terminal's browser: a cookie jar, redirects not
// followed (so a test sees each 303).
type vtBrowser struct {
	t  testing.TB
	hc *http.Client
}

// vtPage is one answer a browser got.
type vtPage struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

func vtNewBrowser(t testing.TB) *vtBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &vtBrowser{t: t, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *vtBrowser) do(req *http.Request) vtPage {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return vtPage{Status: resp.StatusCode, Header: resp.Header, Body: string(body), Location: resp.Header.Get("Location")}
}

// get opens a page.
func (b *vtBrowser) get(u string) vtPage {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form to u.
func (b *vtBrowser) post(u string, form url.Values) vtPage {
	b.t.Helper()
	return b.postRaw(u, form.Encode())
}

// postRaw submits a urlencoded body as is.
func (b *vtBrowser) postRaw(u, body string) vtPage {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var vtCSRFRE = regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]+)">`)

// csrf returns the page form's anti-forgery token.
func (p vtPage) csrf(t testing.TB) string {
	t.Helper()
	m := vtCSRFRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("page (status %d) has no csrf input:\n%s", p.Status, p.Body)
	}
	return m[1]
}

// open opens a form page (status 200) and returns its csrf token.
func (b *vtBrowser) open(u string) string {
	b.t.Helper()
	p := b.get(u)
	if p.Status != http.StatusOK {
		b.t.Fatalf("GET %s: status %d, want 200:\n%s", u, p.Status, p.Body)
	}
	return p.csrf(b.t)
}

// activate opens a terminal's activation link and activates this browser.
func (b *vtBrowser) activate(link string) {
	b.t.Helper()
	p := b.post(link, url.Values{"csrf": {b.open(link)}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "is now the trusted terminal") {
		b.t.Fatalf("activation: status %d:\n%s", p.Status, p.Body)
	}
}

// approve opens an approval link and approves with channel; it returns the
// answer to the form post.
func (b *vtBrowser) approve(link, ch string) vtPage {
	b.t.Helper()
	return b.post(link, url.Values{"csrf": {b.open(link)}, "action": {"approve"}, "channel": {ch}})
}

// cookie returns the browser's cookie name for u, or "".
func (b *vtBrowser) cookie(u, name string) string {
	pu, err := url.Parse(u)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range b.hc.Jar.Cookies(pu) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// vtWantPage fails unless a page has status and contains every text.
func vtWantPage(t testing.TB, what string, p vtPage, status int, texts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d:\n%s", what, p.Status, status, p.Body)
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s: page lacks %q:\n%s", what, s, p.Body)
		}
	}
}

// wantUserStatus fails unless the user's enrollment is in status.
func (e *vtEnv) wantUserStatus(id string, want vrauth.UserStatus) vrauth.User {
	e.t.Helper()
	u, err := e.dev.User(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	if u.Status != want {
		e.t.Fatalf("user %s is %s, want %s", id, u.Status, want)
	}
	return u
}

// vtWrongCode is a 6-digit code that isn't code.
func vtWrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// Payment passwords the tests use (CheckNew accepts them). Every set,
// change, reset and check costs one Argon2id hash at the real
// parameters, so the tests keep their number small.
const (
	vtPassword  = "Tr0ub4dor&3"
	vtPassword2 = "correct horse 9"
	vtPassword3 = "battery staple 7"
	vtWrongPass = "Tr0ub4dor&4"
)

// proxyUser is a verified user with a signed agreement and a password.
func (e *vtEnv) proxyUser(perPayment, perDay int64) (vtUser, vrauth.Agreement) {
	e.t.Helper()
	u := e.user("Ada")
	g := e.signedAgreement(u, perPayment, perDay)
	if err := e.dev.SetPassword(e.ctx, u.ID, vtPassword); err != nil {
		e.t.Fatal(err)
	}
	return u, g
}

// wantProxyPaid checks a proxy debit that passed: charged at once, the
// result succeeded with methods, and exactly charges charges in all.
func (e *vtEnv) wantProxyPaid(st vrauth.Started, g vrauth.Agreement, fen int64, charges int, methods ...verify.Method) {
	e.t.Helper()
	a := st.Authorization
	if a.Status != vrauth.StatusApproved && a.Status != vrauth.StatusSucceeded || a.PaymentID == "" || a.AgreementID != g.ID {
		e.t.Fatalf("proxy debit started as %+v; want approved or succeeded with a payment on %s", a, g.ID)
	}
	if st.UserCode != "" || st.QRPNG != nil {
		e.t.Fatalf("a proxy debit got a user code %q", st.UserCode)
	}
	r, err := e.await(st.DeviceCode)
	if err != nil {
		e.t.Fatalf("Await: %v", err)
	}
	want := vrauth.Result{AuthorizationID: a.ID, Status: vrauth.StatusSucceeded, PaymentID: a.PaymentID, Amount: vtCNY(fen),
		Channel: vtChannel, Methods: methods}
	if diff := cmp.Diff(want, r); diff != "" {
		e.t.Fatalf("result (-want +got):\n%s", diff)
	}
	if n := e.charges(); n != charges {
		e.t.Fatalf("%d charges, want %d", n, charges)
	}
}

// activatedBrowser is an activated trusted terminal's browser.
func (e *vtEnv) activatedBrowser(u vtUser, name string) (*vtBrowser, vrauth.Terminal) {
	e.t.Helper()
	term, activation := e.terminal(u, name)
	b := vtNewBrowser(e.t)
	b.activate(activation)
	if b.cookie(e.srv.URL+"/vr/code", "vr_terminal") == "" {
		e.t.Fatal("activation set no terminal cookie")
	}
	return b, term
}

// enterCode types a user code on the code page and returns the answer.
func (e *vtEnv) enterCode(b *vtBrowser, code string) vtPage {
	e.t.Helper()
	u := e.srv.URL + "/vr/code"
	return b.post(u, url.Values{"csrf": {b.open(u)}, "user_code": {code}})
}

// vtWrongUserCode is a well-formed user code that is not code.
func vtWrongUserCode(code string) string {
	if strings.HasPrefix(code, "BBBB") {
		return "CCCC-CCCC"
	}
	return "BBBB-BBBB"
}
