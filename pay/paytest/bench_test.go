package paytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
)

// BenchmarkRoundTrip compares a pay.Client call against raw net/http doing
// the same request (same headers, same JSON, same server, same loopback) in
// the same run. The ratio sdk/raw is the SDK's overhead; see BENCHMARKS.md.
func BenchmarkRoundTrip(b *testing.B) {
	srv, err := paytest.NewServer()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	demo, err := srv.Seed(ctx)
	if err != nil {
		b.Fatal(err)
	}
	raw := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	topUp := account.TopUpRequest{WalletID: demo.WalletID, Amount: pay.Money{Amount: 1, Currency: "CNY"}, Source: account.SourceMachine, TerminalID: "bench"}
	rawDo := func(method, path string, in, out any, key string) {
		var body *bytes.Reader
		if in != nil {
			buf, _ := json.Marshal(in)
			body = bytes.NewReader(buf)
		} else {
			body = bytes.NewReader(nil)
		}
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, body)
		req.Header.Set("Authorization", "Bearer "+srv.Keys.Device)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := raw.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode/100 != 2 {
			b.Fatalf("status %d", res.StatusCode)
		}
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			b.Fatal(err)
		}
	}
	sdk := account.NewClient(srv.DeviceClient)

	b.Run("get/sdk", func(b *testing.B) {
		for b.Loop() {
			if _, err := sdk.Wallet(ctx, demo.WalletID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get/raw-net-http", func(b *testing.B) {
		for b.Loop() {
			var w account.Wallet
			rawDo("GET", "/v1/wallets/"+demo.WalletID, nil, &w, "")
		}
	})
	b.Run("post/sdk", func(b *testing.B) {
		for b.Loop() {
			if _, err := sdk.TopUp(ctx, topUp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("post/raw-net-http", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			var t account.Transaction
			rawDo("POST", "/v1/topups", topUp, &t, "raw-"+strconv.Itoa(i))
		}
	})
}
