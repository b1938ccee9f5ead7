package account

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

// 64 goroutines each consume a from a wallet holding B: exactly B/a win.
func TestConcurrentConsumptionExact(t *testing.T) {
	f := newFixture(t) // wallet holds B = 100.00 CNY
	ctx := context.Background()
	const (
		B          = 100_00
		a          = 3_00
		goroutines = 64
	)
	var ok, poor, other atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goroutines {
		wg.Go(func() {
			<-start
			_, err := f.p.Consume(ctx, ConsumeRequest{WalletID: f.wallet.ID, MerchantID: f.shop.ID, Amount: cny(a), TerminalID: "pos"})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, pay.ErrInsufficientFunds):
				poor.Add(1)
			default:
				other.Add(1)
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok.Load() != B/a || poor.Load() != goroutines-B/a || other.Load() != 0 {
		t.Fatalf("ok=%d insufficient=%d other=%d; want %d/%d/0", ok.Load(), poor.Load(), other.Load(), B/a, goroutines-B/a)
	}
	s := f.snap(t) // also asserts posted debits == posted credits per unit
	if s.Wallet != B-B/a*a || s.Shop != B/a*a || s.Points != B/a*3 {
		t.Fatalf("final state %+v; want wallet %d, shop %d, points %d", s, B-B/a*a, B/a*a, B/a*3)
	}
}

// Many goroutines pay the same bill: it is paid exactly once.
func TestConcurrentBillPaymentOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b, err := f.p.CreateBill(ctx, CreateBillRequest{CustomerID: f.cus.ID, MerchantID: f.biller.ID, Amount: cny(10_00)})
	if err != nil {
		t.Fatal(err)
	}
	var ok, conflict atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			_, err := f.p.PayBill(ctx, b.ID, f.wallet.ID)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, pay.ErrConflict):
				conflict.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != 31 {
		t.Fatalf("ok=%d conflict=%d; want 1/31", ok.Load(), conflict.Load())
	}
	if s := f.snap(t); s.Wallet != 90_00 {
		t.Fatalf("wallet = %d; want 9000", s.Wallet)
	}
}
