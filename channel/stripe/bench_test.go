package stripe

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// benchEvent is a payment_intent.succeeded event shaped like Stripe's
// (API version 2024-06-20, pretty-printed as Stripe sends it), about 1.5 KB.
var benchEvent = []byte(`{
  "id": "evt_3PqRsTLkdIwHu7ix0abcDEF1",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1772366400,
  "data": {
    "object": {
      "id": "pi_3PqRsTLkdIwHu7ix0XyZ1234",
      "object": "payment_intent",
      "amount": 2599,
      "amount_capturable": 0,
      "amount_received": 2599,
      "application": null,
      "canceled_at": null,
      "cancellation_reason": null,
      "capture_method": "automatic",
      "client_secret": "pi_3PqRsTLkdIwHu7ix0XyZ1234_secret_AbCdEfGhIjKlMnOpQrStUvWxYz",
      "confirmation_method": "automatic",
      "created": 1772366390,
      "currency": "usd",
      "customer": "cus_QhJkLmNoPqRsTu",
      "description": "Order pay_bench0001: 2 x green tea",
      "invoice": null,
      "last_payment_error": null,
      "latest_charge": "ch_3PqRsTLkdIwHu7ix0Ch12345",
      "livemode": false,
      "metadata": {"charge_id": "pay_bench0001"},
      "next_action": null,
      "on_behalf_of": null,
      "payment_method": "pm_1PqRsTLkdIwHu7ixPmAbCdEf",
      "payment_method_types": ["card"],
      "processing": null,
      "receipt_email": "payer@example.com",
      "review": null,
      "setup_future_usage": null,
      "shipping": null,
      "source": null,
      "statement_descriptor": null,
      "status": "succeeded",
      "transfer_data": null,
      "transfer_group": null
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": "req_AbCdEfGhIjKlMn", "idempotency_key": "paykit-charge-pay_bench0001"},
  "type": "payment_intent.succeeded"
}`)

// BenchmarkParseCallback measures a whole delivery: header parse, HMAC
// verification, freshness check, JSON decode and event mapping.
func BenchmarkParseCallback(b *testing.B) {
	c, err := New(fakeKey, WithClock(fixedClock(fakeStart)), WithWebhookSecrets(fakeSecret))
	if err != nil {
		b.Fatal(err)
	}
	h, _ := SignWebhook(benchEvent, fakeStart, fakeSecret)
	r := httptest.NewRequest(http.MethodPost, "/hook", nil)
	r.Header.Set(SignatureHeader, h)
	rd := bytes.NewReader(benchEvent)
	b.SetBytes(int64(len(benchEvent)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rd.Reset(benchEvent)
		r.Body = io.NopCloser(rd)
		if _, err := c.ParseCallback(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineHMAC is the floor: only HMAC-SHA256 over "t.body" and
// hmac.Equal against the expected MAC.
func BenchmarkBaselineHMAC(b *testing.B) {
	ts := strconv.FormatInt(fakeStart.Unix(), 10)
	m := hmac.New(sha256.New, []byte(fakeSecret))
	m.Write([]byte(ts + "."))
	m.Write(benchEvent)
	want, _ := hex.DecodeString(hex.EncodeToString(m.Sum(nil)))
	b.SetBytes(int64(len(benchEvent)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m := hmac.New(sha256.New, []byte(fakeSecret))
		m.Write([]byte(ts))
		m.Write([]byte{'.'})
		m.Write(benchEvent)
		if !hmac.Equal(m.Sum(nil), want) {
			b.Fatal("mismatch")
		}
	}
}
