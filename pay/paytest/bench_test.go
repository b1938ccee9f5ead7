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
	for _, bc := range []struct {
		name string
		sdk  bool
		post bool
	}{{"get/sdk", true, false}, {"get/raw-net-http", false, false}, {"post/sdk", true, true}, {"post/raw-net-http", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			call := roundTripper(b, bc.sdk, bc.post)
			for b.Loop() {
				call()
			}
		})
	}
}

// roundTripper starts a fresh backend per sub-benchmark (so the ledger's
// growth doesn't favour whichever runs first) and returns one call: a wallet
// GET or a top-up POST, through the SDK or through raw net/http with the
// same headers and JSON.
func roundTripper(b *testing.B, sdk, post bool) func() {
	srv, err := paytest.NewServer()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	ctx := context.Background()
	demo, err := srv.Seed(ctx)
	if err != nil {
		b.Fatal(err)
	}
	topUp := account.TopUpRequest{WalletID: demo.WalletID, Amount: pay.Money{Amount: 1, Currency: "CNY"}, Source: account.SourceMachine, TerminalID: "bench"}
	if sdk {
		c := account.NewClient(srv.DeviceClient)
		if post {
			return func() {
				if _, err := c.TopUp(ctx, topUp); err != nil {
					b.Fatal(err)
				}
			}
		}
		return func() {
			if _, err := c.Wallet(ctx, demo.WalletID); err != nil {
				b.Fatal(err)
			}
		}
	}
	raw := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	i := 0
	return func() {
		i++
		method, path, body := "GET", "/v1/wallets/"+demo.WalletID, []byte(nil)
		if post {
			method, path = "POST", "/v1/topups"
			body, _ = json.Marshal(topUp)
		}
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.Keys.Device)
		req.Header.Set("Accept", "application/json")
		if post {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "raw-"+strconv.Itoa(i))
		}
		res, err := raw.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode/100 != 2 {
			b.Fatalf("status %d", res.StatusCode)
		}
		if post {
			var t account.Transaction
			err = json.NewDecoder(res.Body).Decode(&t)
		} else {
			var w account.Wallet
			err = json.NewDecoder(res.Body).Decode(&w)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
