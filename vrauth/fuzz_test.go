package vrauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/vrauth"
)

// vtFuzz is a service of its own (fake clock that never moves, rate
// limits out of the way) on a backend's aggregator and sandboxes, with a
// verified user, a headset, an activated trusted terminal, a signed
// agreement and a payment password, served in-process by vrauth.Handler.
type vtFuzz struct {
	e        *vtEnv
	svc      *vrauth.Service
	h        http.Handler
	userID   string
	headset  string
	terminal string // the activated terminal's cookie secret
	seq      int
}

func vtNewFuzz(f *testing.F, withPassword bool) *vtFuzz {
	e := vtNew(f)
	svc, err := vrauth.New(e.srv.Channels, vrauth.WithPublicURL(e.srv.URL), vrauth.WithClock(clock.NewFake(vtStart)), vrauth.WithRateLimit(10000))
	if err != nil {
		f.Fatal(err)
	}
	z := &vtFuzz{e: e, svc: svc, h: vrauth.Handler(svc), headset: "quest-fuzz"}
	ctx, mobile := e.ctx, vtMobile()
	en, err := svc.Register(ctx, vrauth.RegisterRequest{Name: "Ada", Mobile: mobile})
	if err != nil {
		f.Fatal(err)
	}
	m, _ := svc.Outbox().Last(mobile)
	if _, err := svc.VerifyMobile(ctx, en.User.ID, en.CodeID, vtCodeRE.FindString(m.Body)); err != nil {
		f.Fatal(err)
	}
	z.userID = en.User.ID
	if _, err := svc.AddHeadset(ctx, z.userID, vrauth.HeadsetRequest{ID: z.headset}); err != nil {
		f.Fatal(err)
	}
	if _, err := svc.AddTerminal(ctx, z.userID, vrauth.TerminalRequest{Name: "Phone", Address: "fuzz@example.com"}); err != nil {
		f.Fatal(err)
	}
	act, _ := svc.Outbox().Last("fuzz@example.com")
	if _, z.terminal, err = svc.ActivateTerminal(ctx, strings.TrimPrefix(act.Link, e.srv.URL+"/vr/activate/")); err != nil {
		f.Fatal(err)
	}
	g, err := svc.SignAgreement(ctx, z.userID, vrauth.AgreementRequest{Channel: vtChannel, PerPayment: vtCNY(1000_00), PerDay: vtCNY(1_000_000_00)})
	if err != nil {
		f.Fatal(err)
	}
	if err := e.srv.Sandboxes[vtChannel].SignAgreement(ctx, g.ChannelAgreementID); err != nil {
		f.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); g.Status != "signed"; time.Sleep(5 * time.Millisecond) {
		if g, err = svc.Agreement(ctx, g.ID); err != nil || time.Now().After(deadline) {
			f.Fatalf("agreement not signed: %+v, %v", g, err)
		}
	}
	if withPassword {
		if err := svc.SetPassword(ctx, z.userID, vrauth.PasswordRequest{Password: vtPassword}); err != nil {
			f.Fatal(err)
		}
	}
	return z
}

// serve runs one request in-process from a client address of its own (so
// per-client limits don't end the run).
func (z *vtFuzz) serve(method, target, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	z.seq++
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:5000", z.seq>>16&255, z.seq>>8&255, z.seq&255)
	if method == http.MethodPost {
		if strings.HasPrefix(target, "/vr/") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	z.h.ServeHTTP(w, req)
	return w
}

// FuzzCheckoutJSON posts arbitrary bodies to POST /v1/vr/authorizations
// ($USER and $HEADSET stand for the enrolled user and headset): the answer
// is always 2xx or 4xx JSON, never a 5xx or a panic, and an accepted order
// is consistent (items add up to the amount, the user and headset asked).
func FuzzCheckoutJSON(f *testing.F) {
	z := vtNewFuzz(f, true)
	order := `"order":{"merchant_id":"m_1","items":[{"name":"sword","quantity":2,"unit_price":{"amount":500,"currency":"CNY"}}],"amount":{"amount":1000,"currency":"CNY"}}`
	for _, s := range []string{
		`{"user_id":"$USER","headset_id":"$HEADSET",` + order + `}`,
		`{"user_id":"$USER","headset_id":"$HEADSET",` + order + `,"mode":"proxy_debit","proofs":[{"method":"password","secret":"` + vtPassword + `"}]}`,
		`{"user_id":"$USER","headset_id":"$HEADSET",` + order + `,"mode":"proxy_debit","proofs":[{"method":"sms_otp","challenge_id":"otp_x","secret":"123456"}]}`,
		`{"user_id":"$USER","headset_id":"$HEADSET",` + order + `,"mode":"proxy_debit","proofs":[{"method":"trusted_terminal"}]}`,
		`{"user_id":"$USER","headset_id":"$HEADSET",` + order + `,"mode":"cross_terminal","risk":101}`,
		`{"user_id":"$USER","headset_id":"$HEADSET",` + order + `,"mode":"teleport"}`,
		`{"user_id":"$USER","headset_id":"$HEADSET","order":{"merchant_id":"m_1","items":[{"name":"x","quantity":1,"unit_price":{"amount":9223372036854775807,"currency":"CNY"}},{"name":"y","quantity":1,"unit_price":{"amount":1,"currency":"CNY"}}],"amount":{"amount":1,"currency":"CNY"}}}`,
		`{"user_id":"$USER","headset_id":"$HEADSET","order":{"merchant_id":"m_1","items":[{"name":"x","quantity":1000,"unit_price":{"amount":1,"currency":"XXX"}}],"amount":{"amount":1000,"currency":"XXX"}}}`,
		`{"user_id":"$USER","headset_id":"$HEADSET","order":{"merchant_id":"m_1","items":[],"amount":{"amount":0,"currency":"CNY"}},"channel":"sandbox-a"}`,
		`{"user_id":"$USER","headset_id":"$HEADSET","order":{"merchant_id":"m_1","channel":"sandbox-zz","items":[{"name":"x","quantity":1,"unit_price":{"amount":5,"currency":"CNY"}}],"amount":{"amount":5,"currency":"CNY"}}}`,
		`{"user_id":"vru_nobody","headset_id":"h",` + order + `}`,
		`{"user_id":"$USER","headset_id":"$HEADSET",` + order + `,"unknown":1}`,
		`{"user_id":"$USER"}{"user_id":"$USER"}`,
		`[]`, `null`, `{`, ``, `{"user_id":7}`, "{\"headset_id\":\"\u0000\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		body = strings.NewReplacer("$USER", z.userID, "$HEADSET", z.headset).Replace(body)
		w := z.serve(http.MethodPost, "/v1/vr/authorizations", body)
		if w.Code >= 500 || w.Code < 200 || w.Code >= 300 && w.Code < 400 {
			t.Fatalf("status %d for %q:\n%s", w.Code, body, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("status %d with a body that isn't JSON: %q", w.Code, w.Body)
		}
		if w.Code != http.StatusCreated {
			return
		}
		var st vrauth.Started
		if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		a := st.Authorization
		var sum int64
		for _, it := range a.Order.Items {
			sum += it.UnitPrice.Amount * int64(it.Quantity)
			if it.UnitPrice.Currency != a.Order.Amount.Currency {
				t.Fatalf("accepted an order in two currencies: %+v", a.Order)
			}
		}
		if sum != a.Order.Amount.Amount || a.Order.Amount.Amount <= 0 || a.UserID != z.userID || a.HeadsetID != z.headset || st.DeviceCode == "" {
			t.Fatalf("accepted an inconsistent order: %+v", st)
		}
	})
}

// FuzzDeviceJSON posts arbitrary bodies to the other JSON routes a headset
// calls with untrusted input (poll, proofs, challenges, registration,
// verification): never a 5xx or a panic.
func FuzzDeviceJSON(f *testing.F) {
	z := vtNewFuzz(f, false)
	st, err := z.svc.Checkout(z.e.ctx, vrauth.CheckoutRequest{UserID: z.userID, HeadsetID: z.headset, Order: vtOrder(1_00)})
	if err != nil {
		f.Fatal(err)
	}
	routes := []string{"/v1/vr/authorizations/poll", "/v1/vr/authorizations/proofs", "/v1/vr/authorizations/challenges",
		"/v1/vr/users", "/v1/vr/users/$USER/verify", "/v1/vr/users/$USER/headsets", "/v1/vr/users/$USER/terminals"}
	for i, s := range []string{
		`{"device_code":"$DEVICE"}`,
		`{"device_code":"$DEVICE","proof":{"method":"sms_otp","challenge_id":"otp_x","secret":"123456"}}`,
		`{"device_code":"$DEVICE","method":"sms_otp"}`,
		`{"name":"Bob","mobile":"+8613912345678","verification":"review"}`,
		`{"code_id":"otp_x","code":"12345x"}`,
		`{"id":"quest-2","name":"Quest 2"}`,
		`{"name":"Laptop","address":"a@b.c"}`,
		`{"device_code":"$DEVICE","proof":{"method":"biometric","challenge_id":"ch_x","signature":"AAAA","authenticator_data":"AA=="}}`,
		`{"device_code":"$DEVICE","proof":{"method":"device_presence","challenge_id":"ch_x","signature":"AAAA"}}`,
		`{"device_code":"$DEVICE","method":"biometric"}`,
		`{"name":"Bob","mobile":"+1"}`,
		`{"name":"Bob","address":"<a@b.c>"}`,
	} {
		f.Add(uint8(i%len(routes)), s)
	}
	f.Add(uint8(1), `{"device_code":"$DEVICE","proof":{"method":"trusted_terminal"}}`)
	f.Add(uint8(2), `{"device_code":"$DEVICE","method":"password"}`)
	f.Add(uint8(0), `{"device_code":"`+strings.Repeat("A", 43)+`"}`)
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		rep := strings.NewReplacer("$USER", z.userID, "$DEVICE", st.DeviceCode)
		path := rep.Replace(routes[int(route)%len(routes)])
		body = rep.Replace(body)
		if strings.Contains(body, `"method":"password"`) {
			return // a password proof costs an Argon2id hash; FuzzCheckoutJSON covers it
		}
		w := z.serve(http.MethodPost, path, body)
		if w.Code >= 500 || !json.Valid(w.Body.Bytes()) {
			t.Fatalf("POST %s %q: status %d:\n%s", path, body, w.Code, w.Body)
		}
	})
}

// FuzzApproveForm posts arbitrary form bodies to the approval page of a
// pending authorization, the code page and an activation page, from a
// browser holding a csrf cookie and an activated terminal's cookie ($CSRF
// and $CODE stand for the page's valid token and the user code): never a
// 5xx or a panic; without the right token nothing is charged, approved,
// denied or redirected to.
func FuzzApproveForm(f *testing.F) {
	z := vtNewFuzz(f, false)
	var (
		token, userCode, authID string
		csrfCookie              *http.Cookie
		approveCSRF, codeCSRF   string
	)
	fresh := func(tb testing.TB) { // a new pending authorization and its page tokens
		st, err := z.svc.Checkout(z.e.ctx, vrauth.CheckoutRequest{UserID: z.userID, HeadsetID: z.headset, Order: vtOrder(1_00)})
		if err != nil {
			tb.Fatal(err)
		}
		m, _ := z.svc.Outbox().Last("fuzz@example.com")
		token, userCode, authID = strings.TrimPrefix(m.Link, z.e.srv.URL+"/vr/approve/"), st.UserCode, st.Authorization.ID
		var w *httptest.ResponseRecorder
		if csrfCookie == nil {
			w = z.serve(http.MethodGet, "/vr/approve/"+token, "")
			for _, c := range w.Result().Cookies() {
				if c.Name == "vr_csrf" {
					csrfCookie = c
				}
			}
			if csrfCookie == nil {
				tb.Fatal("no csrf cookie")
			}
			codeCSRF = vtPage{Body: z.serve(http.MethodGet, "/vr/code", "", csrfCookie).Body.String()}.csrf(tb)
		}
		w = z.serve(http.MethodGet, "/vr/approve/"+token, "", csrfCookie)
		approveCSRF = vtPage{Body: w.Body.String()}.csrf(tb)
	}
	fresh(f)
	terminal := &http.Cookie{Name: "vr_terminal", Value: z.terminal}
	for _, s := range []string{
		"csrf=$CSRF&action=approve&channel=sandbox-a",
		"csrf=$CSRF&action=deny",
		"csrf=$CSRF&action=approve&channel=sandbox-zz",
		"csrf=$CSRF&action=approve",
		"csrf=$CSRF&user_code=$CODE",
		"csrf=$CSRF&user_code=bbbb-bbbb",
		"action=approve&channel=sandbox-a",
		"csrf=&action=approve",
		"csrf=x&csrf=$CSRF&action=approve",
		"csrf=$CSRF%00&action=approve",
		"csrf=%zz&action=approve",
		"csrf=$CSRF;action=approve",
		"user_code=$CODE",
		strings.Repeat("a=b&", 2000),
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, form string) {
		for _, target := range []struct {
			path, csrf string
		}{
			{"/vr/approve/" + token, approveCSRF},
			{"/vr/code", codeCSRF},
			{"/vr/activate/" + strings.Repeat("A", 43), ""},
		} {
			body := strings.NewReplacer("$CSRF", target.csrf, "$CODE", userCode).Replace(form)
			vals, perr := url.ParseQuery(body)
			valid := target.csrf != "" && perr == nil && len(body) <= 4<<10 && vals.Get("csrf") == target.csrf
			before, st := z.e.charges(), z.authStatus(t, authID)
			w := z.serve(http.MethodPost, target.path, body, csrfCookie, terminal)
			if w.Code >= 500 {
				t.Fatalf("POST %s %q: status %d:\n%s", target.path, body, w.Code, w.Body)
			}
			if valid {
				continue
			}
			if w.Code/100 == 2 || w.Code/100 == 3 {
				t.Fatalf("POST %s %q without the right csrf: status %d", target.path, body, w.Code)
			}
			if z.e.charges() != before || z.authStatus(t, authID) != st {
				t.Fatalf("POST %s %q without the right csrf changed something", target.path, body)
			}
		}
		if z.authStatus(t, authID) != vrauth.StatusPending {
			fresh(t)
		}
	})
}

func (z *vtFuzz) authStatus(t testing.TB, id string) vrauth.Status {
	a, err := z.svc.Authorization(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Status
}

// FuzzNormalizeUserCode: the result is "" or 8 letters of the alphabet;
// normalizing is idempotent and undoes FormatUserCode; for ASCII input it
// is the input upper-cased without dashes and spaces.
func FuzzNormalizeUserCode(f *testing.F) {
	for _, s := range []string{"BCDF-GHJK", "bcdf ghjk", "BCDFGHJK", "bcdf-ghj", "AEIOUAEI", "BCDF-GHJK-", "  B C D F G H J K  ",
		"BCDF\u2010GHJK", "ſſſſſſſſ", "BCDFGHJKL", strings.Repeat("-", 40) + "BCDFGHJK", "", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := vrauth.NormalizeUserCode(in)
		if out == "" {
			return
		}
		if len(out) != 8 || strings.Trim(out, vrauth.UserCodeAlphabet) != "" {
			t.Fatalf("NormalizeUserCode(%q) = %q: not 8 letters of the alphabet", in, out)
		}
		if len(in) > 32 {
			t.Fatalf("NormalizeUserCode accepted %d bytes", len(in))
		}
		if again := vrauth.NormalizeUserCode(out); again != out {
			t.Fatalf("not idempotent: %q → %q → %q", in, out, again)
		}
		if back := vrauth.NormalizeUserCode(vrauth.FormatUserCode(out)); back != out {
			t.Fatalf("FormatUserCode(%q) normalizes to %q", out, back)
		}
		ascii := true
		for i := 0; i < len(in); i++ {
			ascii = ascii && in[i] < 0x80
		}
		if ascii {
			if want := strings.NewReplacer("-", "", " ", "").Replace(strings.ToUpper(in)); out != want {
				t.Fatalf("NormalizeUserCode(%q) = %q, want %q", in, out, want)
			}
		}
	})
}
