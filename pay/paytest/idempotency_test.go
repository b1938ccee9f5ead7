package paytest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
)

// dropFirst lets the first POST reach the server and be processed, then
// throws its response away and reports a network error, as a connection
// reset after the server committed would.
type dropFirst struct {
	base    http.RoundTripper
	dropped atomic.Int64
	seen    atomic.Int64
	keys    sync.Map // attempt number -> Idempotency-Key
}

func (d *dropFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost {
		return d.base.RoundTrip(r)
	}
	n := d.seen.Add(1)
	d.keys.Store(n, r.Header.Get("Idempotency-Key"))
	res, err := d.base.RoundTrip(r)
	if err == nil && n == 1 {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		d.dropped.Add(1)
		return nil, errors.New("connection reset by peer (simulated)")
	}
	return res, err
}

func TestRetryAfterLostResponseAppliesOnce(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	demo, err := srv.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr := &dropFirst{base: http.DefaultTransport}
	pc, err := pay.NewClient(srv.URL, pay.WithAPIKey(srv.Keys.Device),
		pay.WithHTTPClient(&http.Client{Transport: tr}),
		pay.WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	pos := account.NewClient(pc)
	txn, err := pos.Consume(ctx, account.ConsumeRequest{WalletID: demo.WalletID, MerchantID: demo.MerchantID, Amount: cny(12_50), TerminalID: "pos"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.dropped.Load() != 1 || tr.seen.Load() != 2 {
		t.Fatalf("dropped=%d attempts=%d; want 1 and 2", tr.dropped.Load(), tr.seen.Load())
	}
	k1, _ := tr.keys.Load(int64(1))
	k2, _ := tr.keys.Load(int64(2))
	if k1 == "" || k1 != k2 {
		t.Fatalf("retry changed the Idempotency-Key: %q then %q", k1, k2)
	}
	w, _ := account.NewClient(srv.DeviceClient).Wallet(ctx, demo.WalletID)
	if w.Balance != cny(87_50) || *txn.WalletAfter != cny(87_50) {
		t.Fatalf("wallet %v, receipt %v; want one charge (87.50 CNY)", w.Balance, txn.WalletAfter)
	}
	txns, _ := account.NewClient(srv.DeviceClient).Transactions(ctx, demo.WalletID)
	if n := len(txns); n != 2 { // the seed top-up and one consumption
		t.Fatalf("%d transactions; want 2", n)
	}
}

func TestIdempotencyKeyReplayAndConflict(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	demo, _ := srv.Seed(ctx)
	pos := account.NewClient(srv.DeviceClient)
	req := account.ConsumeRequest{WalletID: demo.WalletID, MerchantID: demo.MerchantID, Amount: cny(10_00), TerminalID: "pos"}
	key := pay.WithIdempotencyKey("order-42")
	first, err := pos.Consume(ctx, req, key)
	if err != nil {
		t.Fatal(err)
	}
	again, err := pos.Consume(ctx, req, key)
	if err != nil || again.ID != first.ID {
		t.Fatalf("replay = %+v, %v; want the first result %s", again, err, first.ID)
	}
	req.Amount = cny(11_00)
	_, err = pos.Consume(ctx, req, key)
	wantErr(t, "same key, different body", err, pay.ErrIdempotencyConflict, "Idempotency-Key")

	// Keys are scoped per API key: the merchant key may reuse the string.
	if _, err := account.NewClient(srv.Client).CreateBill(ctx, account.CreateBillRequest{CustomerID: demo.CustomerID, MerchantID: demo.BillerID, Amount: cny(1_00)}, key); err != nil {
		t.Fatalf("another API key reusing the key string: %v", err)
	}
	// A failed request's stored 4xx is replayed too, and nothing moves.
	bad := account.ConsumeRequest{WalletID: demo.WalletID, MerchantID: demo.MerchantID, Amount: cny(1000_00), TerminalID: "pos"}
	for range 2 {
		_, err = pos.Consume(ctx, bad, pay.WithIdempotencyKey("order-43"))
		wantErr(t, "stored failure", err, pay.ErrInsufficientFunds, "amount")
	}
	if w, _ := pos.Wallet(ctx, demo.WalletID); w.Balance != cny(90_00) {
		t.Fatalf("wallet = %v; want 90.00 CNY", w.Balance)
	}
	// After 24 h the key is forgotten and runs again.
	if err := srv.Advance(25 * time.Hour); err != nil {
		t.Fatal(err)
	}
	req.Amount = cny(10_00)
	third, err := pos.Consume(ctx, req, key)
	if err != nil || third.ID == first.ID {
		t.Fatalf("after expiry = %+v, %v; want a new consumption", third, err)
	}
}

// Concurrent calls with one key run the handler once; the others get the
// same stored answer.
func TestIdempotencyConcurrentSameKey(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	demo, _ := srv.Seed(ctx)
	pos := account.NewClient(srv.DeviceClient)
	req := account.ConsumeRequest{WalletID: demo.WalletID, MerchantID: demo.MerchantID, Amount: cny(1_00), TerminalID: "pos"}
	ids := make([]string, 32)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			txn, err := pos.Consume(ctx, req, pay.WithIdempotencyKey("same-key"))
			if err != nil {
				t.Error(err)
			}
			ids[i] = txn.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("different results for one key: %v", ids)
		}
	}
	if w, _ := pos.Wallet(ctx, demo.WalletID); w.Balance != cny(99_00) {
		t.Fatalf("wallet = %v; want one charge", w.Balance)
	}
}
