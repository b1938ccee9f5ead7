package pay

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkClientOverhead compares a Client round trip (POST with JSON in
// and out, idempotency key, bearer auth) with the same exchange made with
// raw net/http over the same transport, on loopback. Report the ratio
// pay.Client/raw-net-http. raw-timeoutctx adds only the per-attempt
// context.WithTimeout the Client needs for WithTimeout, to show what that
// part costs.
func BenchmarkClientOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"pay_0123456789abcdefghijklmnop","amount":{"amount":1250,"currency":"CNY"}}`)
	}))
	defer srv.Close()
	in := map[string]Money{"amount": {Amount: 1250, Currency: "CNY"}}

	b.Run("raw-net-http", func(b *testing.B) {
		hc := &http.Client{Transport: clientSharedTransport()}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			body, err := json.Marshal(in)
			if err != nil {
				b.Fatal(err)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/payments", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Authorization", "Bearer sk_test_bench")
			req.Header.Set("Idempotency-Key", NewID("idk"))
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var out ctPayment
			data, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(err, resp.StatusCode)
			}
			if err := json.Unmarshal(data, &out); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("raw-timeoutctx", func(b *testing.B) {
		hc := &http.Client{Transport: clientSharedTransport()}
		b.ReportAllocs()
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), defaultAttemptTimeout)
			body, _ := json.Marshal(in)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/payments", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Authorization", "Bearer sk_test_bench")
			req.Header.Set("Idempotency-Key", NewID("idk"))
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var out ctPayment
			data, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			_ = json.Unmarshal(data, &out)
			cancel()
		}
	})

	b.Run("pay.Client", func(b *testing.B) {
		c, err := NewClient(srv.URL, WithAPIKey("sk_test_bench"))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			var out ctPayment
			if err := c.Post(ctx, "/v1/payments", in, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
