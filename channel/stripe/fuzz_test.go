package stripe

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/pay"
)

// hexMAC matches anything shaped like a hex HMAC-SHA256.
var hexMAC = regexp.MustCompile(`[0-9a-fA-F]{64}`)

// FuzzVerifySignature checks the Stripe-Signature check (pay.VerifyWebhook
// with its failures mapped onto channel sentinels) on any header and body:
// every failure is a *pay.Error matching exactly one of ErrMalformed,
// ErrBadSignature and ErrStale that quotes neither the secret nor any
// signature; an accepted header really carries a v1 equal to
// HMAC-SHA256(secret, t + "." + body), computed independently, with t
// inside the tolerance; and ErrStale is only ever the answer for such a v1
// with t outside it.
func FuzzVerifySignature(f *testing.F) {
	now := fakeStart
	body := []byte(`{"id":"evt_1","object":"event"}`)
	sig := strings.Repeat("ab", 32)
	valid, _ := SignWebhook(body, now, fakeSecret)
	stale, _ := SignWebhook(body, now.Add(-time.Hour), fakeSecret)
	future, _ := SignWebhook(body, now.Add(time.Hour), fakeSecret)
	for _, h := range []string{
		valid, stale, future, valid + ",v0=" + sig, strings.Replace(valid, ",", ", ", 1), strings.ToUpper(valid),
		"t=1492774577,v1=" + sig,
		"t=1495999758,v1=b2d7def75132b725b44e54778762c83f837c1f2d1130164f29c6efc21a361533",
		"", "t=", "v1=" + sig, "t=01,v1=" + sig, "t=1,t=2,v1=" + sig, "t=1,v1=zz", "t=1,,v1=" + sig,
		"t=253402300800,v1=" + sig, "t=-5,v1=" + sig, "=,=", "t=1,v1=" + sig + strings.Repeat(",v1="+sig, 16),
	} {
		f.Add(h, body)
	}
	secrets := []string{fakeSecret}
	f.Fuzz(func(t *testing.T, h string, body []byte) {
		signed, err := verifySignature(h, body, now, DefaultTolerance, secrets)
		if err == nil {
			if !independentlyVerified(h, body, now) {
				t.Fatalf("accepted a header that does not verify: %q", h)
			}
			if signed.IsZero() || now.Sub(signed).Abs() > DefaultTolerance {
				t.Fatalf("accepted signed time %v", signed)
			}
			return
		}
		var pe *pay.Error
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *pay.Error", err)
		}
		kinds := 0
		for _, s := range []error{channel.ErrMalformed, channel.ErrBadSignature, channel.ErrStale} {
			if errors.Is(err, s) {
				kinds++
			}
		}
		if kinds != 1 {
			t.Fatalf("error %v matches %d of the verification sentinels", err, kinds)
		}
		if errors.Is(err, channel.ErrStale) && !independentlyVerified(h, body, signed) {
			t.Fatalf("ErrStale for a header that does not verify: %q", h)
		}
		if msg := err.Error(); strings.Contains(msg, fakeSecret) || hexMAC.MatchString(msg) {
			t.Fatalf("error leaks the secret or a signature: %v", err)
		}
	})
}

// FuzzParseCallback feeds arbitrary deliveries to ParseCallback. When sign
// is set the body is properly signed first, so the fuzzer explores the
// event decoder too. Invariants: no panic; every error is a *pay.Error of
// a verification or event sentinel; an accepted delivery really carries a
// v1 equal to HMAC-SHA256(secret, t + "." + body), computed here
// independently, with t inside the tolerance, and decodes to a known
// event type with an evt_ ID.
func FuzzParseCallback(f *testing.F) {
	now := fakeStart
	pi := `{"id":"pi_1","object":"payment_intent","amount":1000,"amount_received":1000,"currency":"usd","status":"succeeded","metadata":{"charge_id":"pay_fuzz001"},"livemode":false}`
	seeds := [][]byte{
		minimalEvent("payment_intent.succeeded", pi),
		minimalEvent("payment_intent.payment_failed", `{"id":"pi_2","object":"payment_intent","amount":5,"currency":"jpy","metadata":{"charge_id":"pay_fuzz002"},"last_payment_error":{"message":"Your card was declined."}}`),
		minimalEvent("payment_intent.canceled", `{"id":"pi_3","object":"payment_intent","amount":500,"currency":"isk","metadata":{"charge_id":"pay_fuzz003"}}`),
		minimalEvent("checkout.session.expired", `{"id":"cs_1","object":"checkout.session","amount_total":10,"currency":"usd","status":"expired","metadata":{"charge_id":"pay_fuzz004"},"payment_intent":null}`),
		minimalEvent("refund.updated", `{"id":"re_1","object":"refund","amount":10,"currency":"kwd","status":"succeeded","payment_intent":"pi_1","metadata":{"refund_id":"r1","charge_id":"pay_fuzz005"}}`),
		minimalEvent("refund.failed", `{"id":"re_2","object":"refund","amount":10,"currency":"usd","status":"failed","failure_reason":"lost_or_stolen_card","metadata":{"refund_id":"r2","charge_id":"pay_fuzz006"}}`),
		minimalEvent("setup_intent.succeeded", `{"id":"seti_1","object":"setup_intent","status":"succeeded","usage":"off_session","customer":"cus_1","payment_method":"pm_1","metadata":{"agreement_id":"agr_1"}}`),
		minimalEvent("payment_method.detached", `{"id":"pm_1","object":"payment_method","customer":null,"metadata":{"agreement_id":"agr_1"}}`),
		minimalEvent("charge.refunded", `{"id":"ch_1","object":"charge"}`),
		[]byte(`{"id":"evt_1","object":"event"}`),
		[]byte(`not json`),
	}
	for _, b := range seeds {
		f.Add(true, "", b)
	}
	valid, _ := SignWebhook(seeds[0], now, fakeSecret)
	f.Add(false, valid, seeds[0])
	f.Add(false, valid, bytes.Replace(seeds[0], []byte("1000"), []byte("1"), 1))
	stale, _ := SignWebhook(seeds[0], now.Add(-time.Hour), fakeSecret)
	f.Add(false, stale, seeds[0])
	f.Add(false, "t=1,v1=00", seeds[0])

	c, err := New(fakeKey, WithClock(fixedClock(now)), WithWebhookSecrets(fakeSecret))
	if err != nil {
		f.Fatal(err)
	}
	known := map[channel.EventType]bool{
		channel.EventChargeSucceeded: true, channel.EventChargeFailed: true, channel.EventChargeClosed: true,
		channel.EventRefundSucceeded: true, channel.EventRefundFailed: true,
		channel.EventAgreementSigned: true, channel.EventAgreementTerminated: true,
	}
	f.Fuzz(func(t *testing.T, sign bool, header string, body []byte) {
		if sign {
			header, _ = SignWebhook(body, now, fakeSecret)
		}
		r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		r.Header.Set(SignatureHeader, header)
		ev, err := c.ParseCallback(r)
		if err != nil {
			var pe *pay.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *pay.Error", err)
			}
			ok := false
			for _, s := range []error{channel.ErrMalformed, channel.ErrBadSignature, channel.ErrStale, channel.ErrUnsupported} {
				ok = ok || errors.Is(err, s)
			}
			if !ok {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if strings.Contains(err.Error(), fakeSecret) {
				t.Fatal("error leaks the secret")
			}
			return
		}
		if !independentlyVerified(header, body, now) {
			t.Fatalf("accepted a delivery that does not verify: %q", header)
		}
		if !strings.HasPrefix(ev.ID, "evt_") || !known[ev.Type] || ev.Channel != Name {
			t.Fatalf("accepted event %+v", ev)
		}
	})
}

// independentlyVerified re-implements Stripe's check without the package.
func independentlyVerified(header string, body []byte, now time.Time) bool {
	var ts string
	var sigs []string
	for _, item := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(item), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, strings.ToLower(v))
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(n, 0)).Abs() > DefaultTolerance {
		return false
	}
	m := hmac.New(sha256.New, []byte(fakeSecret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := hex.EncodeToString(m.Sum(nil))
	for _, s := range sigs {
		if s == want {
			return true
		}
	}
	return false
}

// FuzzResponseDecoding feeds arbitrary Stripe API answers to the decoders
// the API calls use: the error object mapping (any status) and the
// PaymentIntent / Refund decoding with their shape checks. Invariants: no
// panic; errors are *pay.Error values that never carry the API key; an
// intent or refund that passes its check really is for the charge, refund
// and amount asked for.
func FuzzResponseDecoding(f *testing.F) {
	f.Add(402, []byte(`{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined.","payment_intent":{"id":"pi_1","object":"payment_intent","amount":1000,"currency":"usd","status":"requires_payment_method","metadata":{"charge_id":"pay_fuzz001"}}}}`))
	f.Add(400, []byte(`{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters"}}`))
	f.Add(409, []byte(`{"error":{"type":"idempotency_error"}}`))
	f.Add(401, []byte(`{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: `+fakeKey+`"}}`))
	f.Add(404, []byte(`{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such payment_intent: 'pi_x'"}}`))
	f.Add(400, []byte(`{"error":{"type":"invalid_request_error","message":"leaked `+fakeKey+` here"}}`))
	f.Add(200, []byte(`{"id":"pi_1","object":"payment_intent","amount":1000,"amount_received":1000,"currency":"usd","status":"succeeded","metadata":{"charge_id":"pay_fuzz001"},"latest_charge":{"id":"ch_1","created":1772366400}}`))
	f.Add(200, []byte(`{"id":"re_1","object":"refund","amount":1000,"currency":"usd","status":"succeeded","payment_intent":"pi_1","metadata":{"refund_id":"ref_1","charge_id":"pay_fuzz001"}}`))
	f.Add(200, []byte(`{"id":"pi_1","object":"payment_intent","amount":1000,"currency":"usd","latest_charge":null,"customer":{"id":"cus_1"}}`))
	f.Add(501, []byte(`<html>`))
	c, err := New(fakeKey)
	if err != nil {
		f.Fatal(err)
	}
	want := usd(1000)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		check := func(err error) {
			t.Helper()
			if err == nil {
				return
			}
			var pe *pay.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *pay.Error", err)
			}
			if strings.Contains(err.Error(), fakeKey) {
				t.Fatalf("error leaks the API key: %v", err)
			}
		}
		if status < 200 || status > 299 {
			ae, err := c.errorFor("fuzz", httpx.Response{Status: status, Body: body})
			if err == nil {
				t.Fatal("a non-2xx answer produced no error")
			}
			check(err)
			if ae != nil && ae.PaymentIntent != nil && c.checkIntent(ae.PaymentIntent, "pay_fuzz001", &want) == nil {
				if ch, err := c.chargeFromIntent(ae.PaymentIntent); err == nil && ch.Amount != want {
					t.Fatalf("declined intent amount %v", ch.Amount)
				}
			}
			return
		}
		var pi paymentIntent
		if json.Unmarshal(body, &pi) == nil {
			err := c.checkIntent(&pi, "pay_fuzz001", &want)
			check(err)
			if err == nil {
				ch, err := c.chargeFromIntent(&pi)
				check(err)
				if err == nil && (ch.ChargeID != "pay_fuzz001" || (ch.Status != channel.StatusSucceeded && ch.Amount != want)) {
					t.Fatalf("accepted intent maps to %+v", ch)
				}
			}
		}
		var re refundObject
		if json.Unmarshal(body, &re) == nil {
			err := c.checkRefund(&re, "ref_1", "pay_fuzz001", "pi_1", &want)
			check(err)
			if err == nil {
				r, err := refundFrom(&re, "pay_fuzz001")
				check(err)
				if err == nil && (r.Amount != want || r.RefundID != "ref_1") {
					t.Fatalf("accepted refund maps to %+v", r)
				}
			}
		}
	})
}
