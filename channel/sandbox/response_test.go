package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// TestResponseVerification points the adapter at a fake provider that
// answers create with what each case dictates.
func TestResponseVerification(t *testing.T) {
	good := `{"charge_id":"ord_resp01","provider_id":"sbch_abc","status":"pending","amount":{"amount":1250,"currency":"CNY"},"action":{"qr_code":"sandbox://pay/sbch_abc"}}`
	sign := func(secret, path, body string, at time.Time) string {
		sig, err := pay.SignWebhook(responsePayload(path, []byte(body)), at, secret)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	tests := []struct {
		name   string
		status int
		body   string
		header func(path, body string) string
		want   error
	}{
		{"good", 200, good, func(p, b string) string { return sign(testSecret, p, b, time.Now()) }, nil},
		{"unsigned", 200, good, func(string, string) string { return "" }, channel.ErrBadSignature},
		{"wrong secret", 200, good, func(p, b string) string { return sign("another-secret-0123456789", p, b, time.Now()) }, channel.ErrBadSignature},
		{"signed for another path", 200, good, func(_, b string) string { return sign(testSecret, "/v1/charges/ord_other1", b, time.Now()) }, channel.ErrBadSignature},
		{"signed for another body", 200, good, func(p, _ string) string { return sign(testSecret, p, "{}", time.Now()) }, channel.ErrBadSignature},
		{"stale", 200, good, func(p, b string) string { return sign(testSecret, p, b, time.Now().Add(-time.Hour)) }, channel.ErrStale},
		{"another charge", 200, strings.Replace(good, "ord_resp01", "ord_resp02", 1), nil, channel.ErrMalformed},
		{"another amount", 200, strings.Replace(good, "1250", "1251", 1), nil, channel.ErrMalformed},
		{"another currency", 200, strings.Replace(good, "CNY", "USD", 1), nil, channel.ErrMalformed},
		{"unknown field", 200, strings.Replace(good, `"status"`, `"extra":true,"status"`, 1), nil, channel.ErrMalformed},
		{"unknown status", 200, strings.Replace(good, "pending", "paid", 1), nil, channel.ErrMalformed},
		{"foreign provider id", 200, strings.Replace(good, `"provider_id":"sbch_abc"`, `"provider_id":"ch_abc"`, 1), nil, channel.ErrMalformed},
		{"succeeded without paid_at", 200, strings.Replace(good, "pending", "succeeded", 1), nil, channel.ErrMalformed},
		{"not JSON", 200, "<html>", nil, channel.ErrMalformed},
		{"402", 402, `{"error":{"code":"declined","message":"no"}}`, nil, channel.ErrDeclined},
		{"409", 409, `{"error":{"code":"conflict","message":"no"}}`, nil, channel.ErrDeclined},
		{"400", 400, `{"error":{"code":"invalid_request","message":"no"}}`, nil, channel.ErrDeclined},
		{"404", 404, `{"error":{"code":"not_found","message":"no"}}`, nil, channel.ErrUnknownCharge},
		{"401", 401, `{"error":{"code":"unauthorized","message":"no"}}`, nil, channel.ErrUnavailable},
		{"418", 418, `{}`, nil, channel.ErrOutcomeUnknown},
		{"503 always", 503, `{}`, nil, channel.ErrUnavailable},
		{"500 always", 500, `{}`, nil, channel.ErrOutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h := tt.header
				if h == nil {
					h = func(p, b string) string { return sign(testSecret, p, b, time.Now()) }
				}
				if sig := h(r.URL.Path, tt.body); sig != "" {
					w.Header().Set(SignatureHeader, sig)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			ch, err := New(srv.URL, testSecret, WithRetryPolicy(fastRetries(2)))
			if err != nil {
				t.Fatal(err)
			}
			c, err := ch.CreateCharge(bg, chargeReq("ord_resp01", channel.ScenarioQR))
			if tt.want == nil {
				if err != nil || c.ProviderID != "sbch_abc" || c.Action.QRCode != "sandbox://pay/sbch_abc" {
					t.Fatalf("CreateCharge = %+v, %v", c, err)
				}
				return
			}
			assertIs(t, err, tt.want)
			if strings.Contains(err.Error(), testSecret) {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestUnreachableProviderIsUnavailable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	ch, err := New(url, testSecret, WithRetryPolicy(fastRetries(2)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.CreateCharge(bg, chargeReq("ord_dead01", channel.ScenarioQR))
	assertIs(t, err, channel.ErrUnavailable)
}

// TestProviderRefusesBadRequestSignatures checks the provider side: 401,
// signed, for every request it cannot authenticate, and nothing stored.
func TestProviderRefusesBadRequestSignatures(t *testing.T) {
	h := newHarness(t, nil)
	body := []byte(`{"charge_id":"ord_auth01","scenario":"qr","amount":{"amount":1,"currency":"CNY"}}`)
	now := time.Now()
	tests := map[string]*http.Request{
		"unsigned":        httptest.NewRequest("POST", h.srv.URL+"/v1/charges", strings.NewReader(string(body))),
		"wrong secret":    signedRequest(t, "POST", h.srv.URL+"/v1/charges", "another-secret-0123456789", body, now),
		"stale":           signedRequest(t, "POST", h.srv.URL+"/v1/charges", testSecret, body, now.Add(-DefaultTolerance-time.Minute)),
		"other path":      withURL(signedRequest(t, "POST", h.srv.URL+"/v1/refunds", testSecret, body, now), h.srv.URL+"/v1/charges"),
		"other method":    withMethod(signedRequest(t, "PUT", h.srv.URL+"/v1/charges", testSecret, body, now), "POST"),
		"tampered body":   withBody(signedRequest(t, "POST", h.srv.URL+"/v1/charges", testSecret, body, now), strings.Replace(string(body), `"amount":1,`, `"amount":2,`, 1)),
		"control, forged": signedRequest(t, "POST", h.srv.URL+"/control/charges/ord_auth01/pay", "another-secret-0123456789", nil, now),
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			req.RequestURI = ""
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d %s", resp.StatusCode, b)
			}
			var e errorWire
			if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != "unauthorized" {
				t.Fatalf("body %s", b)
			}
			if _, err := pay.VerifyWebhook(resp.Header.Get(SignatureHeader), responsePayload(req.URL.Path, b), time.Now(), DefaultTolerance, testSecret); err != nil {
				t.Fatalf("401 answer not signed: %v", err)
			}
		})
	}
	if n := h.p.Accepted(); n != 0 {
		t.Fatalf("Accepted() = %d after refused requests", n)
	}

	// The adapter with the wrong secret cannot even read the answer.
	wrong, err := New(h.srv.URL, "another-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.CreateCharge(bg, chargeReq("ord_auth02", channel.ScenarioQR))
	assertIs(t, err, channel.ErrBadSignature)
}

func withURL(r *http.Request, u string) *http.Request {
	nr := httptest.NewRequest(r.Method, u, r.Body)
	nr.Header = r.Header
	return nr
}

func withMethod(r *http.Request, m string) *http.Request { r.Method = m; return r }

func withBody(r *http.Request, body string) *http.Request {
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = int64(len(body))
	return r
}

// TestMountedUnderPrefix: request and response signatures cover the path
// as the client sent it, so the provider works behind http.StripPrefix.
func TestMountedUnderPrefix(t *testing.T) {
	p, err := NewProvider(WithSecret(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", p))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ch, err := New(srv.URL+"/sandbox/", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ch.CreateCharge(bg, chargeReq("ord_prefix", channel.ScenarioWeb))
	if err != nil {
		t.Fatal(err)
	}
	if c.Action.RedirectURL != srv.URL+"/sandbox/pay/"+c.ProviderID {
		t.Fatalf("redirect_url = %q", c.Action.RedirectURL)
	}
	if _, err := ch.QueryCharge(bg, "ord_prefix"); err != nil {
		t.Fatal(err)
	}
}

func TestProviderRejectsBadBodies(t *testing.T) {
	h := newHarness(t, nil)
	now := time.Now()
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"unknown field", "/v1/charges", `{"charge_id":"ord_bad001","scenario":"qr","amount":{"amount":1,"currency":"CNY"},"x":1}`, 400},
		{"short id", "/v1/charges", `{"charge_id":"ord","scenario":"qr","amount":{"amount":1,"currency":"CNY"}}`, 400},
		{"bad scenario", "/v1/charges", `{"charge_id":"ord_bad001","scenario":"cash","amount":{"amount":1,"currency":"CNY"}}`, 400},
		{"zero amount", "/v1/charges", `{"charge_id":"ord_bad001","scenario":"qr","amount":{"amount":0,"currency":"CNY"}}`, 400},
		{"scanned without code", "/v1/charges", `{"charge_id":"ord_bad001","scenario":"scanned","amount":{"amount":1,"currency":"CNY"}}`, 400},
		{"bad notify url", "/v1/charges", `{"charge_id":"ord_bad001","scenario":"qr","amount":{"amount":1,"currency":"CNY"},"notify_url":"file:///etc/passwd"}`, 400},
		{"too large", "/v1/charges", `{"description":"` + strings.Repeat("x", maxRequestBytes) + `"}`, 413},
		{"unknown endpoint", "/v2/everything", ``, 404},
		{"fault with unknown op", "/control/faults", `{"op":"explode","kind":"unavailable"}`, 400},
		{"fault with negative delay", "/control/faults", `{"op":"query","kind":"timeout","delay_ms":-1}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			req := signedRequest(t, http.MethodPost, tt.path, testSecret, []byte(tt.body), now)
			h.p.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if w.Header().Get(SignatureHeader) == "" {
				t.Fatal("answer not signed")
			}
		})
	}
	if n := h.p.Accepted(); n != 0 {
		t.Fatalf("Accepted() = %d", n)
	}
}

// TestAnswerMustDescribeTheRequest points every adapter operation at a fake
// provider whose answer is well formed and signed: about the object asked
// for it succeeds; about another object, amount or in the wrong state it is
// ErrMalformed.
func TestAnswerMustDescribeTheRequest(t *testing.T) {
	const (
		charge    = `{"charge_id":"ord_resp01","provider_id":"sbch_abc","status":"%s","amount":{"amount":1250,"currency":"CNY"},"action":{}}`
		refund    = `{"refund_id":"rf_resp01","charge_id":"%s","provider_id":"sbrf_abc","status":"pending","amount":{"amount":%d,"currency":"CNY"}}`
		agreement = `{"agreement_id":"%s","provider_id":"sbag_abc","status":"%s","action":{}}`
	)
	ops := []struct {
		name      string
		path      string // as the provider sees it
		good, bad string
		call      func(ch *Channel) error
	}{
		{"create charge", "/v1/charges",
			fmt.Sprintf(charge, "pending"), strings.Replace(fmt.Sprintf(charge, "pending"), "1250", "1251", 1),
			func(ch *Channel) error {
				_, err := ch.CreateCharge(bg, chargeReq("ord_resp01", channel.ScenarioQR))
				return err
			}},
		{"query charge", "/v1/charges/ord_resp01",
			fmt.Sprintf(charge, "pending"), strings.Replace(fmt.Sprintf(charge, "pending"), "ord_resp01", "ord_resp02", 1),
			func(ch *Channel) error { _, err := ch.QueryCharge(bg, "ord_resp01"); return err }},
		{"close charge", "/v1/charges/ord_resp01/close",
			fmt.Sprintf(charge, "closed"), fmt.Sprintf(charge, "pending"),
			func(ch *Channel) error { return ch.CloseCharge(bg, "ord_resp01") }},
		{"refund", "/v1/refunds",
			fmt.Sprintf(refund, "ord_resp01", 100), fmt.Sprintf(refund, "ord_resp01", 101),
			func(ch *Channel) error {
				_, err := ch.Refund(bg, channel.RefundRequest{RefundID: "rf_resp01", ChargeID: "ord_resp01", Amount: cny(100)})
				return err
			}},
		{"query refund", "/v1/charges/ord_resp01/refunds/rf_resp01",
			fmt.Sprintf(refund, "ord_resp01", 100), fmt.Sprintf(refund, "ord_resp02", 100),
			func(ch *Channel) error { _, err := ch.QueryRefund(bg, "ord_resp01", "rf_resp01"); return err }},
		{"sign agreement", "/v1/agreements",
			fmt.Sprintf(agreement, "agr_resp01", "pending"), fmt.Sprintf(agreement, "agr_resp02", "pending"),
			func(ch *Channel) error {
				_, err := ch.SignAgreement(bg, channel.AgreementRequest{AgreementID: "agr_resp01", UserID: "u"})
				return err
			}},
		{"query agreement", "/v1/agreements/agr_resp01",
			fmt.Sprintf(agreement, "agr_resp01", "signed"), fmt.Sprintf(agreement, "agr_resp02", "signed"),
			func(ch *Channel) error { _, err := ch.QueryAgreement(bg, "agr_resp01"); return err }},
		{"terminate agreement", "/v1/agreements/agr_resp01/terminate",
			fmt.Sprintf(agreement, "agr_resp01", "terminated"), fmt.Sprintf(agreement, "agr_resp01", "signed"),
			func(ch *Channel) error { return ch.TerminateAgreement(bg, "agr_resp01", "") }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			var answer atomic.Value // the body the fake provider answers with
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != op.path {
					t.Errorf("request to %s, want %s", r.URL.Path, op.path)
				}
				body := answer.Load().(string)
				sig, err := pay.SignWebhook(responsePayload(r.URL.Path, []byte(body)), time.Now(), testSecret)
				if err != nil {
					t.Error(err)
				}
				w.Header().Set(SignatureHeader, sig)
				_, _ = io.WriteString(w, body)
			}))
			defer srv.Close()
			ch, err := New(srv.URL, testSecret, WithRetryPolicy(fastRetries(1)))
			if err != nil {
				t.Fatal(err)
			}
			answer.Store(op.good)
			if err := op.call(ch); err != nil {
				t.Fatalf("answer about the request: %v", err)
			}
			answer.Store(op.bad)
			assertIs(t, op.call(ch), channel.ErrMalformed)
		})
	}
}
