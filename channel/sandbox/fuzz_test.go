package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
)

// FuzzParseCallback feeds callback bodies and headers to ParseCallback.
// With sign set the body is validly signed, so the fuzzer explores the
// decoder; otherwise the fuzzed header is used as is. Invariants: no panic;
// every error is a *pay.Error of a callback sentinel; an accepted callback
// really verifies and is a well-formed event of this channel.
func FuzzParseCallback(f *testing.F) {
	sig, err := pay.SignWebhook([]byte(goodCallback), callbackNow, testSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(goodCallback), sig, false)
	f.Add([]byte(goodCallback), "", true)
	f.Add([]byte(`{"id":"sbevt_q1","type":"agreement.signed","created":1772366400,"data":{"agreement_id":"agr_123456","provider_agreement_id":"sbag_k2"}}`), "", true)
	f.Add([]byte(`{"id":"sbevt_q2","type":"refund.failed","created":1,"data":{"charge_id":"ord_123456","refund_id":"rf_123456","amount":{"amount":5,"currency":"JPY"}}}`), "", true)
	f.Add([]byte(`{"id":"sbevt_q2","type":"charge.closed","created":1,"data":{"amount":null}}`), "", true)
	f.Add([]byte(`not json at all`), "t=1,v1=00", false)
	f.Add([]byte(`[]`), "", true)
	f.Add([]byte{}, "t=99999999999999,v1=zz", false)
	c, _ := callbackChannel(f)
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool) {
		if sign {
			h, err := pay.SignWebhook(body, callbackNow, testSecret)
			if err != nil {
				t.Fatal(err)
			}
			header = h
		}
		e, err := c.parseCallback(header, body)
		if err != nil {
			var pe *pay.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *pay.Error", err)
			}
			if !anyIs(err, channel.ErrBadSignature, channel.ErrStale, channel.ErrMalformed, channel.ErrUnsupported) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if _, verr := pay.VerifyWebhook(header, body, callbackNow, DefaultTolerance, testSecret); verr != nil {
			t.Fatalf("accepted a callback that does not verify: %v", verr)
		}
		if e.Channel != "sandbox-a" || !randid.Valid(e.ID, prefixEvent) || e.Created.IsZero() {
			t.Fatalf("accepted event %+v", e)
		}
		switch e.Type {
		case channel.EventChargeSucceeded, channel.EventChargeFailed, channel.EventChargeClosed,
			channel.EventRefundSucceeded, channel.EventRefundFailed:
			if !validID(e.ChargeID, maxChargeIDLen) || !validMoney(e.Amount) {
				t.Fatalf("accepted charge/refund event %+v", e)
			}
		case channel.EventAgreementSigned, channel.EventAgreementTerminated:
			if !validID(e.AgreementID, maxOtherIDLen) || e.ProviderAgreementID == "" {
				t.Fatalf("accepted agreement event %+v", e)
			}
		default:
			t.Fatalf("accepted event type %q", e.Type)
		}
	})
}

func anyIs(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// FuzzDecodeAnswers feeds provider answers (already authenticated, but
// still untrusted bytes) to the adapter's decoders. Invariants: no panic;
// errors are *pay.Error ErrMalformed; what is accepted is well-formed.
func FuzzDecodeAnswers(f *testing.F) {
	f.Add([]byte(`{"charge_id":"ord_resp01","provider_id":"sbch_abc","status":"pending","amount":{"amount":1250,"currency":"CNY"},"action":{"qr_code":"sandbox://pay/sbch_abc"}}`))
	f.Add([]byte(`{"charge_id":"ord_resp01","provider_id":"sbch_abc","status":"succeeded","amount":{"amount":1,"currency":"JPY"},"action":{"app_params":{"a":"b"}},"paid_at":1}`))
	f.Add([]byte(`{"refund_id":"rf_123456","charge_id":"ord_123456","provider_id":"sbrf_x","status":"pending","amount":{"amount":1,"currency":"CNY"}}`))
	f.Add([]byte(`{"agreement_id":"agr_123456","provider_id":"sbag_x","status":"signed","action":{}}`))
	f.Add([]byte(`{"error":{"code":"declined","message":"no"}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(err error) bool {
			if err == nil {
				return true
			}
			var pe *pay.Error
			if !errors.As(err, &pe) || !errors.Is(err, channel.ErrMalformed) {
				t.Fatalf("decoder error %v is not a *pay.Error ErrMalformed", err)
			}
			return false
		}
		if c, err := decodeCharge(body); check(err) {
			if !validID(c.ChargeID, maxChargeIDLen) || !randid.Valid(c.ProviderID, prefixCharge) || !validMoney(c.Amount) ||
				(c.Status == channel.StatusSucceeded) == c.PaidAt.IsZero() {
				t.Fatalf("accepted charge %+v", c)
			}
		}
		if r, err := decodeRefund(body); check(err) {
			if !validID(r.RefundID, maxOtherIDLen) || !randid.Valid(r.ProviderID, prefixRefund) || !validMoney(r.Amount) {
				t.Fatalf("accepted refund %+v", r)
			}
		}
		if a, err := decodeAgreement(body); check(err) {
			if !validID(a.AgreementID, maxOtherIDLen) || !randid.Valid(a.ProviderID, prefixAgreement) || a.Status == "" {
				t.Fatalf("accepted agreement %+v", a)
			}
		}
	})
}

// refuseAll is a transport that never sends, so fuzzed notify URLs reach
// nobody.
type refuseAll struct{}

func (refuseAll) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("callbacks disabled while fuzzing")
}

// FuzzProviderRequest feeds validly signed bodies to the provider's POST
// endpoints. Invariants: no panic; an expected status; every answer is
// signed; a charge answered 200 is stored as the request asked.
func FuzzProviderRequest(f *testing.F) {
	f.Add(uint8(0), []byte(`{"charge_id":"ord_fuzz01","scenario":"qr","amount":{"amount":1250,"currency":"CNY"},"notify_url":"http://example.com/cb"}`))
	f.Add(uint8(0), []byte(`{"charge_id":"ord_fuzz02","scenario":"scanned","auth_code":"decline","amount":{"amount":1,"currency":"JPY"}}`))
	f.Add(uint8(1), []byte(`{"refund_id":"rf_fuzz01","charge_id":"ord_fuzz02","amount":{"amount":1,"currency":"JPY"}}`))
	f.Add(uint8(2), []byte(`{"agreement_id":"agr_fuzz01","user_id":"u"}`))
	f.Add(uint8(3), []byte(`{"op":"create","kind":"decline","times":1}`))
	f.Add(uint8(4), []byte(`{"reason":"x"}`))
	f.Add(uint8(0), []byte(`{"charge_id":"ord_fuzz01","amount":{"amount":9e99}}`))
	now := time.Now()
	p, err := NewProvider(WithSecret(testSecret), WithCallbackClient(&http.Client{Transport: refuseAll{}}), WithCallbackRetries(1, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(p.Close)
	paths := []string{"/v1/charges", "/v1/refunds", "/v1/agreements", "/control/faults", "/control/charges/ord_fuzz01/decline"}
	allowed := map[int]bool{200: true, 400: true, 402: true, 404: true, 409: true, 413: true, 500: true, 503: true}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		if path == "/control/faults" {
			var fw faultWire
			if json.Unmarshal(body, &fw) == nil && fw.Kind == FaultTimeout {
				return // an injected timeout would stall later inputs
			}
		}
		req := signedRequest(t, http.MethodPost, path, testSecret, body, now)
		w := httptest.NewRecorder()
		p.ServeHTTP(w, req)
		if !allowed[w.Code] {
			t.Fatalf("POST %s answered %d %s", path, w.Code, w.Body)
		}
		if _, err := pay.VerifyWebhook(w.Header().Get(SignatureHeader), responsePayload(path, w.Body.Bytes()), time.Now(), DefaultTolerance, testSecret); err != nil {
			t.Fatalf("answer not signed: %v", err)
		}
		if path == "/v1/charges" && w.Code == 200 {
			c, err := decodeCharge(w.Body.Bytes())
			if err != nil {
				t.Fatalf("200 answer does not decode: %v", err)
			}
			stored, ok := p.Charge(c.ChargeID)
			if !ok || stored.ProviderID != c.ProviderID || stored.Amount != c.Amount {
				t.Fatalf("answered %+v, stored %+v", c, stored)
			}
		}
	})
}
