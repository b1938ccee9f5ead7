package vrauth_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

const vtRacers = 64

// TestConcurrentApprovalsEngine: 64 goroutines approve one authorization
// through the engine at once; exactly one wins and charges, the other 63
// get ErrAlreadyDecided, and the headset's result arrives once.
func TestConcurrentApprovalsEngine(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Phone")
	st := e.checkout(u, 25_00)
	token := strings.TrimPrefix(e.link(term.Address, vrauth.KindApproval), e.srv.URL+"/vr/approve/")

	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		mu       sync.Mutex
		won      int
		redirect string
		decided  int
		other    []error
	)
	for range vtRacers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, to, err := e.srv.VR.Approve(e.ctx, token, vtChannel)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
				redirect = to
			case errors.Is(err, vrauth.ErrAlreadyDecided):
				decided++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if won != 1 || decided != vtRacers-1 || len(other) != 0 {
		t.Fatalf("%d approvals won, %d already decided, other errors %v; want 1, %d, none", won, decided, other, vtRacers-1)
	}
	if !strings.HasPrefix(redirect, e.srv.URL+"/sandbox/"+vtChannel+"/pay/") {
		t.Fatalf("the winner's redirect = %q", redirect)
	}
	if n := e.charges(); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
	e.pay(st.Authorization)
	r, err := e.await(st.DeviceCode)
	if err != nil || r.Status != vrauth.StatusSucceeded {
		t.Fatalf("Await = %+v, %v", r, err)
	}
	_, err = e.await(st.DeviceCode)
	vtIs(t, "second Await", err, vrauth.ErrDelivered)
}

// TestConcurrentApprovalsPages: the same race through 64 concurrent form
// posts of the approval page (one browser, valid csrf): exactly one 303 to
// the channel's page, 63 "already approved" pages, one charge.
func TestConcurrentApprovalsPages(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Phone")
	st := e.checkout(u, 25_00)
	link := e.link(term.Address, vrauth.KindApproval)
	phone := vtNewBrowser(t)
	form := url.Values{"csrf": {phone.open(link)}, "action": {"approve"}, "channel": {vtChannel}}

	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		mu     sync.Mutex
		status = map[int]int{}
	)
	for range vtRacers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p := phone.post(link, form)
			if p.Status == http.StatusConflict && !strings.Contains(p.Body, "already approved") {
				t.Errorf("409 page without the reason:\n%s", p.Body)
			}
			mu.Lock()
			status[p.Status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if status[http.StatusSeeOther] != 1 || status[http.StatusConflict] != vtRacers-1 {
		t.Fatalf("statuses %v; want one 303 and %d 409", status, vtRacers-1)
	}
	if n := e.charges(); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
	if s := e.status(st.Authorization.ID); s != vrauth.StatusApproved {
		t.Fatalf("status = %s, want approved", s)
	}
}

// TestConcurrentDenyAndApprove: approvals and denials race; exactly one
// decision is taken and it is consistent with the charges.
func TestConcurrentDenyAndApprove(t *testing.T) {
	e := vtNew(t)
	u := e.user("Ada")
	term, _ := e.terminal(u, "Phone")
	st := e.checkout(u, 25_00)
	token := strings.TrimPrefix(e.link(term.Address, vrauth.KindApproval), e.srv.URL+"/vr/approve/")
	var (
		wg               sync.WaitGroup
		start            = make(chan struct{})
		mu               sync.Mutex
		approved, denied int
	)
	for i := range vtRacers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var err error
			if i%2 == 0 {
				_, _, err = e.srv.VR.Approve(e.ctx, token, vtChannel)
			} else {
				_, err = e.srv.VR.Deny(e.ctx, token)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && i%2 == 0:
				approved++
			case err == nil:
				denied++
			case !errors.Is(err, vrauth.ErrAlreadyDecided):
				t.Errorf("racer %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if approved+denied != 1 {
		t.Fatalf("%d approvals and %d denials succeeded; want one decision", approved, denied)
	}
	want := vrauth.StatusApproved
	if denied == 1 {
		want = vrauth.StatusDenied
	}
	if s := e.status(st.Authorization.ID); s != want {
		t.Fatalf("status = %s, want %s", s, want)
	}
	if n := e.charges(); n != approved {
		t.Fatalf("%d charges with %d approvals", n, approved)
	}
}

// TestConcurrentProxyDebitsRespectDailyLimit: 64 approved proxy debits
// of 100.00 CNY race against an agreement allowing 1,000.00 a day: exactly
// 10 are charged, the other 54 get ErrLimit and stay uncharged, and the
// day's total is exactly the limit. The service here takes the trusted
// terminal's approval as the proxy debit's only factor (WithPolicy), so
// the race needs no password hashes; it shares the backend's aggregator
// and sandbox.
func TestConcurrentProxyDebitsRespectDailyLimit(t *testing.T) {
	e := vtNew(t)
	policy := verify.Policy{
		Rules:   []verify.Rule{{Name: "proxy-by-terminal", Flow: string(vrauth.ModeProxyDebit), Factors: 1, Required: []verify.Method{verify.MethodTrustedTerminal}}},
		Default: verify.Rule{Factors: 2},
	}
	svc, err := vrauth.New(e.srv.Channels, vrauth.WithPublicURL(e.srv.URL), vrauth.WithPolicy(policy), vrauth.WithRateLimit(10000))
	if err != nil {
		t.Fatal(err)
	}
	out := svc.Outbox()
	mobile := vtMobile()
	en, err := svc.Register(e.ctx, vrauth.RegisterRequest{Name: "Ada", Mobile: mobile})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := out.Last(mobile)
	if _, err := svc.VerifyMobile(e.ctx, en.User.ID, en.CodeID, vtCodeRE.FindString(m.Body)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddHeadset(e.ctx, en.User.ID, vrauth.HeadsetRequest{ID: "quest-race"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddTerminal(e.ctx, en.User.ID, vrauth.TerminalRequest{Name: "Phone", Address: "race@example.com"}); err != nil {
		t.Fatal(err)
	}
	g, err := svc.SignAgreement(e.ctx, en.User.ID, vrauth.AgreementRequest{Channel: vtChannel, PerPayment: vtCNY(100_00), PerDay: vtCNY(1000_00)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Sandboxes[vtChannel].SignAgreement(e.ctx, g.ChannelAgreementID); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if g, err = svc.Agreement(e.ctx, g.ID); err == nil && g.Status == "signed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agreement not signed: %+v, %v", g, err)
		}
	}

	tokens := make([]string, vtRacers)
	for i := range tokens {
		st, err := svc.Checkout(e.ctx, vrauth.CheckoutRequest{UserID: en.User.ID, HeadsetID: "quest-race", Order: vtOrder(100_00), Mode: vrauth.ModeProxyDebit})
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
		if st.Authorization.Status != vrauth.StatusPending {
			t.Fatalf("order %d is %s before approval", i, st.Authorization.Status)
		}
		m, _ := out.Last("race@example.com")
		tokens[i] = strings.TrimPrefix(m.Link, e.srv.URL+"/vr/approve/")
	}
	var (
		wg               sync.WaitGroup
		start            = make(chan struct{})
		mu               sync.Mutex
		charged, limited int
	)
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a, _, err := svc.Approve(e.ctx, tok, "")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && a.PaymentID != "":
				charged++
			case errors.Is(err, vrauth.ErrLimit):
				limited++
			default:
				t.Errorf("approval: %+v, %v", a.Status, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if charged != 10 || limited != vtRacers-10 {
		t.Fatalf("%d charged, %d over the limit; want 10 and %d", charged, limited, vtRacers-10)
	}
	if n := e.charges(); n != 10 {
		t.Fatalf("%d charges, want 10", n)
	}
	if g, err = svc.Agreement(e.ctx, g.ID); err != nil || g.SpentToday != 1000_00 {
		t.Fatalf("spent today = %d (%v), want 100000", g.SpentToday, err)
	}
}

// TestConcurrentWrongPasswords: 64 proxy debits with a wrong password
// race (spread over the user's 16 headsets, under each headset's rate
// limit): exactly 5 are evaluated and refused as wrong, the other 59 find
// the password locked; nothing is charged; the right password is refused
// until the lock ends and accepted after.
func TestConcurrentWrongPasswords(t *testing.T) {
	e := vtNew(t)
	u, g := e.proxyUser(300_00, 700_00)
	headsets := []string{u.Headset}
	for len(headsets) < 16 {
		headsets = append(headsets, e.headset(u.ID).Headset)
	}
	var (
		wg            sync.WaitGroup
		start         = make(chan struct{})
		mu            sync.Mutex
		wrong, locked int
	)
	for i := range vtRacers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v := u
			v.Headset = headsets[i%len(headsets)]
			_, err := e.proxy(v, 10_00, vtWrongPass)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, verify.ErrFailed):
				wrong++
			case errors.Is(err, verify.ErrLocked):
				locked++
			default:
				t.Errorf("racer %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wrong != 5 || locked != vtRacers-5 {
		t.Fatalf("%d evaluated as wrong, %d locked; want 5 and %d", wrong, locked, vtRacers-5)
	}
	_, err := e.proxy(u, 10_00, vtPassword)
	vtIs(t, "right password while locked", err, verify.ErrLocked)
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges, want 0", n)
	}
	e.advance(15 * time.Minute)
	st, err := e.proxy(u, 10_00, vtPassword)
	if err != nil {
		t.Fatalf("right password after the lock: %v", err)
	}
	e.wantProxyPaid(st, g, 10_00, 1, verify.MethodPassword)
}
