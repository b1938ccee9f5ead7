package stripe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func eventID(t *testing.T, body []byte) string {
	t.Helper()
	var e struct{ ID string }
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func TestParseCallbackEvents(t *testing.T) {
	type flow func(t *testing.T, f *fakeStripe, c *Channel) (eventType string, want channel.Event)
	tests := map[string]flow{
		"payment_intent.succeeded": func(t *testing.T, f *fakeStripe, c *Channel) (string, channel.Event) {
			ch := paidCharge(t, c, "pay_evt0001", usd(1234))
			return "payment_intent.succeeded", channel.Event{Type: channel.EventChargeSucceeded, ChargeID: "pay_evt0001", ProviderChargeID: ch.ProviderID, Amount: usd(1234)}
		},
		"payment_intent.payment_failed": func(t *testing.T, f *fakeStripe, c *Channel) (string, channel.Event) {
			ch, _ := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_evt0002", Scenario: channel.ScenarioAgreement, Amount: usd(50),
				AgreementID: "pm_card_chargeDeclined", Payer: "cus_seed"})
			return "payment_intent.payment_failed", channel.Event{Type: channel.EventChargeFailed, ChargeID: "pay_evt0002", ProviderChargeID: ch.ProviderID,
				Amount: usd(50), Reason: "Your card was declined."}
		},
		"payment_intent.canceled": func(t *testing.T, f *fakeStripe, c *Channel) (string, channel.Event) {
			ch, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_evt0003", Scenario: channel.ScenarioInApp, Amount: pay.Money{Amount: 7, Currency: "ISK"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.CloseCharge(ctx, "pay_evt0003"); err != nil {
				t.Fatal(err)
			}
			return "payment_intent.canceled", channel.Event{Type: channel.EventChargeClosed, ChargeID: "pay_evt0003", ProviderChargeID: ch.ProviderID,
				Amount: pay.Money{Amount: 7, Currency: "ISK"}}
		},
		"checkout.session.expired": func(t *testing.T, f *fakeStripe, c *Channel) (string, channel.Event) {
			ch, err := c.CreateCharge(ctx, channel.ChargeRequest{ChargeID: "pay_evt0004", Scenario: channel.ScenarioWeb, Amount: usd(10), ReturnURL: "https://s.example/"})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.CloseCharge(ctx, "pay_evt0004"); err != nil {
				t.Fatal(err)
			}
			return "checkout.session.expired", channel.Event{Type: channel.EventChargeClosed, ChargeID: "pay_evt0004", ProviderChargeID: ch.ProviderID, Amount: usd(10)}
		},
		"refund.created": func(t *testing.T, f *fakeStripe, c *Channel) (string, channel.Event) {
			ch := paidCharge(t, c, "pay_evt0005", usd(1000))
			if _, err := c.Refund(ctx, channel.RefundRequest{RefundID: "ref_evt5", ChargeID: "pay_evt0005", Amount: usd(250)}); err != nil {
				t.Fatal(err)
			}
			return "refund.created", channel.Event{Type: channel.EventRefundSucceeded, ChargeID: "pay_evt0005", RefundID: "ref_evt5",
				ProviderChargeID: ch.ProviderID, Amount: usd(250)}
		},
		"refund.failed": func(t *testing.T, f *fakeStripe, c *Channel) (string, channel.Event) {
			ch := paidCharge(t, c, "pay_evt0006", usd(1000))
			re, err := c.Refund(ctx, channel.RefundRequest{RefundID: "ref_evt6", ChargeID: "pay_evt0006", Amount: usd(1000)})
			if err != nil {
				t.Fatal(err)
			}
			f.failRefund(re.ProviderID)
			return "refund.failed", channel.Event{Type: channel.EventRefundFailed, ChargeID: "pay_evt0006", RefundID: "ref_evt6",
				ProviderChargeID: ch.ProviderID, Amount: usd(1000), Reason: "expired_or_canceled_card"}
		},
		"setup_intent.succeeded": func(t *testing.T, f *fakeStripe, c *Channel) (string, channel.Event) {
			ag, err := c.SignAgreement(ctx, channel.AgreementRequest{AgreementID: "agr_evt0007", UserID: "usr_7"})
			if err != nil {
				t.Fatal(err)
			}
			f.confirmSetup(ag.ProviderID, false)
			return "setup_intent.succeeded", channel.Event{Type: channel.EventAgreementSigned, AgreementID: "agr_evt0007", ProviderAgreementID: ag.ProviderID}
		},
		"payment_method.detached": func(t *testing.T, f *fakeStripe, c *Channel) (string, channel.Event) {
			ag, err := c.SignAgreement(ctx, channel.AgreementRequest{AgreementID: "agr_evt0008", UserID: "usr_8"})
			if err != nil {
				t.Fatal(err)
			}
			f.confirmSetup(ag.ProviderID, false)
			if err := c.TerminateAgreement(ctx, "agr_evt0008", ""); err != nil {
				t.Fatal(err)
			}
			return "payment_method.detached", channel.Event{Type: channel.EventAgreementTerminated, AgreementID: "agr_evt0008", ProviderAgreementID: ag.ProviderID}
		},
	}
	for name, run := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			c := f.channel()
			typ, want := run(t, f, c)
			f.clock.Advance(42 * time.Second) // delivery a little after the event
			body := f.lastEvent(typ)
			want.ID, want.Channel, want.Created = eventID(t, body), Name, fakeStart
			got, err := c.ParseCallback(f.signedRequest(body))
			if err != nil {
				t.Fatalf("ParseCallback: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

// signedAt builds a delivery of body signed at ts with the given secrets.
func signedAt(t *testing.T, body []byte, ts time.Time, secrets ...string) *http.Request {
	t.Helper()
	h, err := SignWebhook(body, ts, secrets...)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
	r.Header.Set(SignatureHeader, h)
	return r
}

func withHeader(body []byte, h string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
	r.Header.Set(SignatureHeader, h)
	return r
}

func minimalEvent(typ, object string) []byte {
	return fmt.Appendf(nil, `{"id":"evt_min1","object":"event","type":%q,"created":1772366400,"livemode":false,"data":{"object":%s}}`, typ, object)
}

func TestParseCallbackRejects(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	now := f.clock.Now()
	good := minimalEvent("payment_intent.succeeded", `{"id":"pi_1","object":"payment_intent","amount":100,"amount_received":100,"currency":"usd","status":"succeeded","metadata":{"charge_id":"pay_rej0001"},"livemode":false}`)
	mac := func(ts int64, body []byte, secret string) string {
		h, _ := SignWebhook(body, time.Unix(ts, 0), secret)
		return strings.SplitN(h, "v1=", 2)[1]
	}
	sig := mac(now.Unix(), good, fakeSecret)
	tests := []struct {
		name string
		req  *http.Request
		want error
	}{
		{"accepted as signed", signedAt(t, good, now, fakeSecret), nil},
		{"tampered body", withHeader(bytes.Replace(good, []byte(`"amount":100`), []byte(`"amount":1`), 1), fmt.Sprintf("t=%d,v1=%s", now.Unix(), sig)), channel.ErrBadSignature},
		{"tampered timestamp", withHeader(good, fmt.Sprintf("t=%d,v1=%s", now.Unix()+1, sig)), channel.ErrBadSignature},
		{"unknown secret", signedAt(t, good, now, "whsec_someoneElse"), channel.ErrBadSignature},
		{"signed 301 s ago", signedAt(t, good, now.Add(-301*time.Second), fakeSecret), channel.ErrStale},
		{"signed 300 s ago", signedAt(t, good, now.Add(-300*time.Second), fakeSecret), nil},
		{"signed 301 s ahead", signedAt(t, good, now.Add(301*time.Second), fakeSecret), channel.ErrStale},
		{"signed 300 s ahead", signedAt(t, good, now.Add(300*time.Second), fakeSecret), nil},
		{"v0 ignored next to a good v1", withHeader(good, fmt.Sprintf("t=%d,v0=%s,v1=%s", now.Unix(), mac(now.Unix(), good, "whsec_x"), sig)), nil},
		{"upper-case hex", withHeader(good, fmt.Sprintf("t=%d,v1=%s", now.Unix(), strings.ToUpper(sig))), channel.ErrMalformed},
		{"space after a comma", withHeader(good, fmt.Sprintf("t=%d, v1=%s", now.Unix(), sig)), channel.ErrMalformed},
		{"upper-case key", withHeader(good, fmt.Sprintf("t=%d,v1=%s,V0=%s", now.Unix(), sig, sig)), channel.ErrMalformed},
		{"signed an hour ahead", signedAt(t, good, now.Add(time.Hour), fakeSecret), channel.ErrStale},
		{"missing header", withHeader(good, ""), channel.ErrMalformed},
		{"no v1", withHeader(good, fmt.Sprintf("t=%d,v0=%s", now.Unix(), sig)), channel.ErrMalformed},
		{"no t", withHeader(good, "v1="+sig), channel.ErrMalformed},
		{"two t", withHeader(good, fmt.Sprintf("t=%d,t=%d,v1=%s", now.Unix(), now.Unix(), sig)), channel.ErrMalformed},
		{"t with leading zero", withHeader(good, fmt.Sprintf("t=0%d,v1=%s", now.Unix(), sig)), channel.ErrMalformed},
		{"negative t", withHeader(good, "t=-1,v1="+sig), channel.ErrMalformed},
		{"short v1", withHeader(good, fmt.Sprintf("t=%d,v1=%s", now.Unix(), sig[:62])), channel.ErrMalformed},
		{"non-hex v1", withHeader(good, fmt.Sprintf("t=%d,v1=%s", now.Unix(), strings.Repeat("zz", 32))), channel.ErrMalformed},
		{"item without =", withHeader(good, fmt.Sprintf("t=%d,v1=%s,junk", now.Unix(), sig)), channel.ErrMalformed},
		{"17 signatures", withHeader(good, fmt.Sprintf("t=%d", now.Unix())+strings.Repeat(",v1="+sig, 17)), channel.ErrMalformed},
		{"over-long header", withHeader(good, fmt.Sprintf("t=%d,v1=%s,x=%s", now.Unix(), sig, strings.Repeat("a", 5000))), channel.ErrMalformed},
		{"GET", func() *http.Request { r := signedAt(t, good, now, fakeSecret); r.Method = http.MethodGet; return r }(), channel.ErrMalformed},
		{"two headers", func() *http.Request {
			r := signedAt(t, good, now, fakeSecret)
			r.Header.Add(SignatureHeader, "t=1,v1="+sig)
			return r
		}(), channel.ErrMalformed},
		{"body over 64 KiB", signedAt(t, append(good, bytes.Repeat([]byte(" "), MaxCallbackBytes)...), now, fakeSecret), channel.ErrMalformed},
		{"signed garbage", signedAt(t, []byte("not json"), now, fakeSecret), channel.ErrMalformed},
		{"not an event", signedAt(t, []byte(`{"id":"evt_1","object":"charge"}`), now, fakeSecret), channel.ErrMalformed},
		{"live event for a test key", signedAt(t, bytes.Replace(good, []byte(`"livemode":false,"data"`), []byte(`"livemode":true,"data"`), 1), now, fakeSecret), channel.ErrMalformed},
		{"event object mismatch", signedAt(t, minimalEvent("payment_intent.succeeded", `{"id":"re_1","object":"refund"}`), now, fakeSecret), channel.ErrMalformed},
		{"unknown event type", signedAt(t, minimalEvent("customer.created", `{"id":"cus_1","object":"customer"}`), now, fakeSecret), channel.ErrUnsupported},
		{"intent paykit did not create", signedAt(t, minimalEvent("payment_intent.succeeded", `{"id":"pi_2","object":"payment_intent","amount":1,"currency":"usd","metadata":{}}`), now, fakeSecret), channel.ErrUnsupported},
		{"refund still pending", signedAt(t, minimalEvent("refund.updated", `{"id":"re_2","object":"refund","amount":1,"currency":"usd","status":"pending","metadata":{"refund_id":"r1","charge_id":"pay_rej0001"}}`), now, fakeSecret), channel.ErrUnsupported},
		{"detach of an unknown card", signedAt(t, minimalEvent("payment_method.detached", `{"id":"pm_zz","object":"payment_method","customer":null}`), now, fakeSecret), channel.ErrUnsupported},
		{"bad currency in event", signedAt(t, minimalEvent("payment_intent.succeeded", `{"id":"pi_3","object":"payment_intent","amount":1,"currency":"zzz","metadata":{"charge_id":"pay_rej0001"}}`), now, fakeSecret), channel.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := c.ParseCallback(tt.req)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if ev.Type != channel.EventChargeSucceeded || ev.ChargeID != "pay_rej0001" || ev.Amount != usd(100) {
					t.Fatalf("event = %+v", ev)
				}
				return
			}
			var pe *pay.Error
			if !errors.Is(err, tt.want) || !errors.As(err, &pe) {
				t.Fatalf("err = %v, want %v as *pay.Error", err, tt.want)
			}
			if strings.Contains(err.Error(), fakeSecret) || strings.Contains(err.Error(), sig) {
				t.Fatalf("error leaks a secret or signature: %v", err)
			}
			if strings.Contains(err.Error(), pay.SignatureHeader) {
				t.Fatalf("error names paykit's header instead of Stripe's: %v", err)
			}
		})
	}
}

func TestSignWebhook(t *testing.T) {
	body := []byte(`{"id":"evt_1","object":"event"}`)
	at := time.Unix(1772366400, 0)
	h, err := SignWebhook(body, at, "whsec_a1", "whsec_b2")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := pay.SignWebhook(body, at, "whsec_a1", "whsec_b2"); h != want {
		t.Errorf("SignWebhook = %q, want paykit's scheme %q", h, want)
	}
	tests := []struct {
		name    string
		t       time.Time
		secrets []string
		param   string
	}{
		{"no secret", at, nil, "secrets"},
		{"not a whsec", at, []string{"whsec_a1", "sk_test_x"}, "secrets"},
		{"bare prefix", at, []string{"whsec_"}, "secrets"},
		{"17 secrets", at, slices.Repeat([]string{"whsec_a1"}, 17), "secrets"},
		{"before 1970", time.Unix(-1, 0), []string{"whsec_a1"}, "t"},
		{"after 9999", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), []string{"whsec_a1"}, "t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := SignWebhook(body, tt.t, tt.secrets...)
			var pe *pay.Error
			if h != "" || !errors.As(err, &pe) || pe.Param != tt.param || !errors.Is(err, channel.ErrUnsupported) {
				t.Fatalf("SignWebhook = %q, %v; want ErrUnsupported for %s", h, err, tt.param)
			}
			if strings.Contains(err.Error(), "sk_test_x") {
				t.Fatalf("error echoes a secret: %v", err)
			}
		})
	}
}

func TestSignaturesAndRotation(t *testing.T) {
	f := newFake(t)
	body := minimalEvent("payment_intent.canceled", `{"id":"pi_1","object":"payment_intent","amount":100,"currency":"usd","status":"canceled","metadata":{"charge_id":"pay_rot0001"}}`)
	now := f.clock.Now()
	const oldSecret, newSecret = "whsec_oldOne111", "whsec_newOne222"
	rotating := f.channel(WithWebhookSecrets(oldSecret, newSecret))
	onlyNew := f.channel(WithWebhookSecrets(newSecret))
	tests := []struct {
		name    string
		c       *Channel
		secrets []string
		ok      bool
	}{
		{"old secret while rotating", rotating, []string{oldSecret}, true},
		{"new secret while rotating", rotating, []string{newSecret}, true},
		{"Stripe signs with both", onlyNew, []string{oldSecret, newSecret}, true},
		{"wrong v1 first, right v1 second", onlyNew, []string{"whsec_wrong", newSecret}, true},
		{"old secret after rotation", onlyNew, []string{oldSecret}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.ParseCallback(signedAt(t, body, now, tt.secrets...))
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%t", err, tt.ok)
			}
			if !tt.ok && !errors.Is(err, channel.ErrBadSignature) {
				t.Fatalf("err = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestParseCallbackWithoutSecrets(t *testing.T) {
	f := newFake(t)
	c, err := New(fakeKey, WithBaseURL(f.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ParseCallback(signedAt(t, []byte(`{}`), time.Now(), fakeSecret))
	if !errors.Is(err, channel.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestAcknowledge(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"handled", nil, 200, `{"received":true}`},
		{"unsupported type", channel.Errorf(channel.ErrUnsupported, "type", "x"), 200, `{"received":true}`},
		{"duplicate", channel.Errorf(channel.ErrDuplicate, "", "x"), 200, `{"received":true}`},
		{"bad signature", channel.Errorf(channel.ErrBadSignature, "", "x"), 400, `{"received":false,"error":"channel_bad_signature"}`},
		{"stale", channel.Errorf(channel.ErrStale, "", "x"), 400, `{"received":false,"error":"channel_stale"}`},
		{"malformed", channel.Errorf(channel.ErrMalformed, "", "x"), 400, `{"received":false,"error":"channel_malformed"}`},
		{"unknown charge (not stored yet)", channel.Errorf(channel.ErrUnknownCharge, "", "x"), 500, `{"received":false,"error":"temporary failure, retry later"}`},
		{"store down", errors.New("db down"), 500, `{"received":false,"error":"temporary failure, retry later"}`},
	}
	c := &Channel{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c.Acknowledge(w, tt.err)
			if w.Code != tt.status || w.Body.String() != tt.body || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("got %d %q %q", w.Code, w.Body.String(), w.Header().Get("Content-Type"))
			}
		})
	}
}

// TestWebhookDeliveryRoundTrip has the fake POST its signed events over
// HTTP to an endpoint that verifies and acknowledges them.
func TestWebhookDeliveryRoundTrip(t *testing.T) {
	f := newFake(t)
	c := f.channel()
	var mu sync.Mutex
	var got []channel.Event
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := c.ParseCallback(r)
		if err == nil {
			mu.Lock()
			got = append(got, ev)
			mu.Unlock()
		}
		c.Acknowledge(w, err)
	}))
	defer endpoint.Close()

	ch := paidCharge(t, c, "pay_trip001", usd(1500))
	body := f.lastEvent("payment_intent.succeeded")
	if status, resp := f.deliver(endpoint.URL, body); status != 200 || resp != `{"received":true}` {
		t.Fatalf("delivery answered %d %s", status, resp)
	}
	tampered := bytes.Replace(body, []byte(`"amount":1500`), []byte(`"amount":15`), 1)
	h, _ := SignWebhook(body, f.clock.Now(), fakeSecret) // signature of the original
	req, _ := http.NewRequest(http.MethodPost, endpoint.URL, bytes.NewReader(tampered))
	req.Header.Set(SignatureHeader, h)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("tampered delivery answered %d %s", resp.StatusCode, b)
	}
	want := []channel.Event{{ID: eventID(t, body), Channel: Name, Type: channel.EventChargeSucceeded, Created: fakeStart,
		ChargeID: "pay_trip001", ProviderChargeID: ch.ProviderID, Amount: usd(1500)}}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
