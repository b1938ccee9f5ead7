package ledger

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

func TestConcurrentDebitsOfOneAccount(t *testing.T) {
	const (
		goroutines = 64
		amount     = 7
		balance    = 25 * amount // exactly 25 of 64 debits fit
	)
	f := newFixture(t)
	f.fund("f1", balance)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, poor int
		other    []error
	)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.l.CreateTransfer(ctx, Transfer{ID: "spend" + strconv.Itoa(g), DebitAccountID: "wal", CreditAccountID: "mer", Amount: amount})
			// Readers run alongside.
			if _, lerr := f.l.LookupAccount(ctx, "wal"); lerr != nil {
				err = errors.Join(err, lerr)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, pay.ErrInsufficientFunds) && errors.Is(err, ErrExceedsCredits):
				poor++
			default:
				other = append(other, err)
			}
		}()
	}
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("unexpected errors: %v", other)
	}
	if ok != balance/amount || poor != goroutines-balance/amount {
		t.Errorf("%d succeeded, %d insufficient; want %d, %d", ok, poor, balance/amount, goroutines-balance/amount)
	}
	if got := f.balances("wal"); got != (balances{DPosted: balance, CPosted: balance}) {
		t.Errorf("wallet = %+v", got)
	}
	f.checkBalanced()
}

func TestConcurrentMixedBatches(t *testing.T) {
	// Batches with chains, pending transfers and replays from many
	// goroutines: whatever interleaving, totals stay balanced and no
	// wallet goes negative.
	f := newFixture(t)
	f.fund("f1", 1000)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := strconv.Itoa(g) + "-" + strconv.Itoa(i)
				f.l.CreateTransfers(ctx, []Transfer{
					{ID: "p" + id, DebitAccountID: "wal", CreditAccountID: "mer", Amount: 3, Flags: Pending | Linked},
					{ID: "c" + id, PendingID: "p" + id, Amount: 2, Flags: PostPending},
					{ID: "x" + id, DebitAccountID: "wal", CreditAccountID: "mer", Amount: 5},
					{ID: "x" + id, DebitAccountID: "wal", CreditAccountID: "mer", Amount: 5},
				})
			}
		}()
	}
	wg.Wait()
	wal := f.account("wal")
	if wal.Available() < 0 || wal.DebitsPending != 0 {
		t.Errorf("wallet = %+v", wal)
	}
	f.checkBalanced()
}

func TestConcurrentLookupsWhileWriting(t *testing.T) {
	// Strings of looked-up transfers point into the MemStore's arena while
	// writers append to it: under -race this must not report anything.
	f := newFixture(t)
	f.transfer(Transfer{ID: "seed", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1, UserData: "u"})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 2000 {
			f.l.CreateTransfer(ctx, Transfer{ID: "w" + strconv.Itoa(i), DebitAccountID: "src", CreditAccountID: "mer", Amount: 1, UserData: strconv.Itoa(i)})
		}
	}()
	go func() {
		defer wg.Done()
		n := 0
		for i := range 2000 {
			tr, err := f.l.LookupTransfer(ctx, "w"+strconv.Itoa(i/2))
			if err == nil {
				n += len(tr.ID + tr.UserData + tr.DebitAccountID) // read the bytes
			}
		}
		_ = n
	}()
	wg.Wait()
}
