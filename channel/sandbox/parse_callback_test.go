package sandbox

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// callbackNow is the fixed time the callback tests sign and verify at.
var callbackNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const goodCallback = `{"id":"sbevt_abc123","type":"charge.succeeded","created":1772366400,` +
	`"data":{"charge_id":"ord_123456","provider_id":"sbch_xyz789","amount":{"amount":1250,"currency":"CNY"}}}`

func callbackChannel(t testing.TB) (*Channel, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(callbackNow)
	c, err := New("http://127.0.0.1:1", testSecret, WithClock(clk), WithName("sandbox-a"))
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

// callbackRequest is a POST carrying body, signed with secret at t ("" secret: unsigned).
func callbackRequest(t testing.TB, body, secret string, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/callbacks/sandbox", strings.NewReader(body))
	if secret != "" {
		sig, err := pay.SignWebhook([]byte(body), at, secret)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set(SignatureHeader, sig)
	}
	return r
}

func TestParseCallback(t *testing.T) {
	c, _ := callbackChannel(t)
	e, err := c.ParseCallback(callbackRequest(t, goodCallback, testSecret, callbackNow))
	if err != nil {
		t.Fatal(err)
	}
	want := channel.Event{
		ID: "sbevt_abc123", Channel: "sandbox-a", Type: channel.EventChargeSucceeded,
		Created: time.Unix(1772366400, 0).UTC(), ChargeID: "ord_123456", ProviderChargeID: "sbch_xyz789",
		Amount: pay.Money{Amount: 1250, Currency: "CNY"},
	}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Fatalf("event (-want +got):\n%s", diff)
	}

	sub := func(old, new string) string { return strings.Replace(goodCallback, old, new, 1) }
	tests := []struct {
		name  string
		req   *http.Request
		want  error
		param string
	}{
		{"tampered body", func() *http.Request {
			r := callbackRequest(t, goodCallback, testSecret, callbackNow)
			r.Body = httpBody(sub("1250", "125000"))
			return r
		}(), channel.ErrBadSignature, SignatureHeader},
		{"stale", callbackRequest(t, goodCallback, testSecret, callbackNow.Add(-DefaultTolerance-time.Second)), channel.ErrStale, SignatureHeader},
		{"from the future", callbackRequest(t, goodCallback, testSecret, callbackNow.Add(DefaultTolerance+time.Second)), channel.ErrStale, SignatureHeader},
		{"wrong secret", callbackRequest(t, goodCallback, "another-secret-0123456789", callbackNow), channel.ErrBadSignature, SignatureHeader},
		{"unsigned", callbackRequest(t, goodCallback, "", callbackNow), channel.ErrBadSignature, SignatureHeader},
		{"malformed JSON", callbackRequest(t, `{"id":"sbevt_abc123",`, testSecret, callbackNow), channel.ErrMalformed, "body"},
		{"unknown field", callbackRequest(t, sub(`"created"`, `"extra":1,"created"`), testSecret, callbackNow), channel.ErrMalformed, "body"},
		{"unknown nested field", callbackRequest(t, sub(`"currency":"CNY"`, `"currency":"CNY","fx":1`), testSecret, callbackNow), channel.ErrMalformed, "body"},
		{"trailing data", callbackRequest(t, goodCallback+`{}`, testSecret, callbackNow), channel.ErrMalformed, "body"},
		{"bad event id", callbackRequest(t, sub("sbevt_abc123", "evt_abc123"), testSecret, callbackNow), channel.ErrMalformed, "id"},
		{"no created", callbackRequest(t, sub(`"created":1772366400`, `"created":0`), testSecret, callbackNow), channel.ErrMalformed, "created"},
		{"unknown type", callbackRequest(t, sub("charge.succeeded", "charge.exploded"), testSecret, callbackNow), channel.ErrUnsupported, "type"},
		{"no charge id", callbackRequest(t, sub(`"charge_id":"ord_123456",`, ``), testSecret, callbackNow), channel.ErrMalformed, "charge_id"},
		{"no amount", callbackRequest(t, sub(`,"amount":{"amount":1250,"currency":"CNY"}`, ``), testSecret, callbackNow), channel.ErrMalformed, "amount"},
		{"negative amount", callbackRequest(t, sub(`"amount":1250`, `"amount":-1250`), testSecret, callbackNow), channel.ErrMalformed, "amount"},
		{"unknown currency", callbackRequest(t, sub(`"CNY"`, `"XYZ"`), testSecret, callbackNow), channel.ErrMalformed, "amount"},
		{"refund without refund id", callbackRequest(t, sub("charge.succeeded", "refund.succeeded"), testSecret, callbackNow), channel.ErrMalformed, "refund_id"},
		{"agreement without ids", callbackRequest(t, sub("charge.succeeded", "agreement.signed"), testSecret, callbackNow), channel.ErrMalformed, "agreement_id"},
		{"too large", callbackRequest(t, goodCallback+strings.Repeat(" ", MaxCallbackBytes), testSecret, callbackNow), channel.ErrMalformed, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ParseCallback(tt.req)
			assertIs(t, err, tt.want)
			var pe *pay.Error
			errors.As(err, &pe)
			if pe.Param != tt.param {
				t.Errorf("param = %q, want %q", pe.Param, tt.param)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "v1=") {
				t.Errorf("error leaks a secret or signature: %v", err)
			}
		})
	}
}

func httpBody(s string) *readCloser { return &readCloser{bytes.NewReader([]byte(s))} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func TestParseCallbackAgreementAndRefund(t *testing.T) {
	c, _ := callbackChannel(t)
	body := `{"id":"sbevt_q1","type":"agreement.terminated","created":1772366400,` +
		`"data":{"agreement_id":"agr_123456","provider_agreement_id":"sbag_k2","reason":"user left"}}`
	e, err := c.ParseCallback(callbackRequest(t, body, testSecret, callbackNow))
	if err != nil {
		t.Fatal(err)
	}
	if e.AgreementID != "agr_123456" || e.ProviderAgreementID != "sbag_k2" || e.Reason != "user left" || !e.Amount.IsZero() || e.ChargeID != "" {
		t.Fatalf("event = %+v", e)
	}
	body = `{"id":"sbevt_q2","type":"refund.failed","created":1772366400,` +
		`"data":{"charge_id":"ord_123456","provider_id":"sbch_a","refund_id":"rf_123456","amount":{"amount":5,"currency":"JPY"},"reason":"no"}}`
	e, err = c.ParseCallback(callbackRequest(t, body, testSecret, callbackNow))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != channel.EventRefundFailed || e.RefundID != "rf_123456" || e.Amount != (pay.Money{Amount: 5, Currency: "JPY"}) {
		t.Fatalf("event = %+v", e)
	}
}

func TestAcknowledge(t *testing.T) {
	c, _ := callbackChannel(t)
	tests := []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"ok", nil, 200, `{"received":true}`},
		{"duplicate", channel.Errorf(channel.ErrDuplicate, "", "x"), 200, `{"received":true}`},
		{"bad signature", channel.Errorf(channel.ErrBadSignature, "", "x"), 400, `{"received":false,"error":"channel_bad_signature"}`},
		{"stale", channel.Errorf(channel.ErrStale, "", "x"), 400, `{"received":false,"error":"channel_stale"}`},
		{"malformed", channel.Errorf(channel.ErrMalformed, "", "x"), 400, `{"received":false,"error":"channel_malformed"}`},
		{"unsupported", channel.Errorf(channel.ErrUnsupported, "", "x"), 400, `{"received":false,"error":"channel_unsupported"}`},
		{"processing failed", errors.New("database down"), 500, `{"received":false,"error":"retry_later"}`},
		{"unknown charge", channel.Errorf(channel.ErrUnknownCharge, "", "x"), 500, `{"received":false,"error":"retry_later"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c.Acknowledge(w, tt.err)
			if w.Code != tt.status || w.Body.String() != tt.body || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("Acknowledge = %d %s %q", w.Code, w.Body, w.Header().Get("Content-Type"))
			}
		})
	}
}
