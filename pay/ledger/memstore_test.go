package ledger

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

func TestMemStoreRollbackRestoresEverything(t *testing.T) {
	s := NewMemStore()
	rec := func(id string, amount int64) TransferRecord {
		return TransferRecord{Transfer: Transfer{ID: id, DebitAccountID: "d" + id, CreditAccountID: "c" + id, Amount: amount, UserData: strings.Repeat("u", int(amount%300)), Timestamp: epoch}}
	}
	const committed = 3000
	err := s.Update(ctx, func(tx Tx) error {
		for i := range committed {
			if err := tx.PutTransfer(strconv.Itoa(i), rec(strconv.Itoa(i), int64(i))); err != nil {
				return err
			}
		}
		return tx.PutAccount(Account{ID: "a", Currency: "CNY", CreditsPosted: 5})
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx Tx) error {
		// Grow the index, overwrite, fail records, pop expiries, add accounts...
		for i := committed; i < 3*committed; i++ {
			if err := tx.PutTransfer(strconv.Itoa(i), rec(strconv.Itoa(i), 1)); err != nil {
				return err
			}
		}
		for i := 0; i < committed; i += 7 {
			r := rec(strconv.Itoa(i), int64(i))
			r.State = PendingPosted
			r.Transfer.UserData = "changed"
			if err := tx.PutTransfer(strconv.Itoa(i), r); err != nil {
				return err
			}
		}
		if err := tx.PutTransfer("f", TransferRecord{Failure: &Failure{Cause: "exceeds_credits"}}); err != nil {
			return err
		}
		if err := tx.PutAccount(Account{ID: "a", Currency: "CNY", CreditsPosted: 9}); err != nil {
			return err
		}
		if err := tx.PutAccount(Account{ID: "a", Currency: "USD", CreditsPosted: 10}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update = %v, want boom", err)
	}
	err = s.View(ctx, func(tx Tx) error {
		for i := range 3 * committed {
			id := strconv.Itoa(i)
			r, found, _ := tx.Transfer(id)
			if i >= committed {
				if found {
					t.Fatalf("rolled-back record %s found", id)
				}
				continue
			}
			if !found {
				t.Fatalf("record %s lost", id)
			}
			if diff := cmp.Diff(rec(id, int64(i)), r); diff != "" {
				t.Fatalf("record %s (-want +got):\n%s", id, diff)
			}
		}
		if _, found, _ := tx.Transfer("f"); found {
			t.Error("rolled-back failure found")
		}
		a, _, _ := tx.Account("a")
		if a.Currency != "CNY" || a.CreditsPosted != 5 {
			t.Errorf("account = %+v", a)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMemStoreSavepoints(t *testing.T) {
	s := NewMemStore()
	err := s.Update(ctx, func(tx Tx) error {
		put := func(id string) {
			if err := tx.PutTransfer(id, TransferRecord{Transfer: Transfer{ID: id, Amount: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		put("a")
		sp1, _ := tx.Savepoint()
		put("b")
		sp2, _ := tx.Savepoint()
		put("c")
		if err := tx.RollbackTo(sp2); err != nil {
			t.Fatal(err)
		}
		put("d")
		if err := tx.RollbackTo(sp1); err != nil {
			t.Fatal(err)
		}
		if err := tx.RollbackTo(sp2); err == nil {
			t.Error("RollbackTo a released savepoint succeeded")
		}
		put("e")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.View(ctx, func(tx Tx) error {
		for id, want := range map[string]bool{"a": true, "b": false, "c": false, "d": false, "e": true} {
			if _, found, _ := tx.Transfer(id); found != want {
				t.Errorf("%s found = %v, want %v", id, found, want)
			}
		}
		if err := tx.PutAccount(Account{ID: "x"}); err == nil {
			t.Error("View allowed a write")
		}
		return nil
	})
}

func TestMemStorePanicRollsBack(t *testing.T) {
	s := NewMemStore()
	func() {
		defer func() { _ = recover() }()
		_ = s.Update(ctx, func(tx Tx) error {
			_ = tx.PutAccount(Account{ID: "a", Currency: "CNY"})
			panic("boom")
		})
	}()
	_ = s.View(ctx, func(tx Tx) error {
		if _, found, _ := tx.Account("a"); found {
			t.Error("write of a panicking Update survived")
		}
		return nil
	})
	// And the store is still usable (not left locked).
	if err := s.Update(ctx, func(Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestMemStoreArenaChunks(t *testing.T) {
	var a arena
	var refs []strRef
	var want []string
	for i := range 20000 {
		s := strings.Repeat(string(rune('a'+i%26)), 1+i%256)
		r, err := a.put(s)
		if err != nil {
			t.Fatal(err)
		}
		refs, want = append(refs, r), append(want, s)
	}
	if len(a.chunks) < 2 {
		t.Fatalf("only %d chunks", len(a.chunks))
	}
	for i, r := range refs {
		if a.get(r) != want[i] {
			t.Fatalf("string %d corrupted", i)
		}
	}
	if _, err := a.put(strings.Repeat("x", arenaChunkSize+1)); err == nil {
		t.Error("oversized string accepted")
	}
}

func TestExpiryHeapOrder(t *testing.T) {
	var h expiryHeap
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		h.push(expiry{deadline: r.Int64N(500), id: strconv.Itoa(i)})
	}
	last := int64(-1)
	for len(h) > 0 {
		e := h.pop()
		if e.deadline < last {
			t.Fatalf("popped %d after %d", e.deadline, last)
		}
		last = e.deadline
	}
}

func TestMemStoreTimestampRange(t *testing.T) {
	s := NewMemStore()
	err := s.Update(ctx, func(tx Tx) error {
		return tx.PutTransfer("t", TransferRecord{Transfer: Transfer{ID: "t", Timestamp: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}})
	})
	if err == nil {
		t.Error("a timestamp beyond int64 nanoseconds was accepted")
	}
}

// failingStore wraps a MemStore and makes its Tx fail after n writes.
type failingStore struct {
	*MemStore
	n int
}

type failingTx struct {
	Tx
	n *int
}

var errDisk = errors.New("disk on fire")

func (s *failingStore) Update(c context.Context, fn func(Tx) error) error {
	n := s.n
	return s.MemStore.Update(c, func(tx Tx) error { return fn(failingTx{tx, &n}) })
}

func (tx failingTx) write() error {
	if *tx.n <= 0 {
		return errDisk
	}
	*tx.n--
	return nil
}

func (tx failingTx) PutAccount(a Account) error {
	if err := tx.write(); err != nil {
		return err
	}
	return tx.Tx.PutAccount(a)
}

func (tx failingTx) PutTransfer(id string, r TransferRecord) error {
	if err := tx.write(); err != nil {
		return err
	}
	return tx.Tx.PutTransfer(id, r)
}

func TestStoreFailureUndoesTheBatch(t *testing.T) {
	for n := range 7 {
		fs := &failingStore{MemStore: NewMemStore(), n: 100}
		clkLedger, err := New(WithStore(fs))
		if err != nil {
			t.Fatal(err)
		}
		if err := clkLedger.CreateAccounts(ctx, Account{ID: "src", Currency: "CNY"}, Account{ID: "mer", Currency: "CNY"}); err != nil {
			t.Fatal(err)
		}
		fs.n = n // the batch needs 3 writes per transfer: fail somewhere inside
		res := clkLedger.CreateTransfers(ctx, []Transfer{
			{ID: "a", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1},
			{ID: "b", DebitAccountID: "src", CreditAccountID: "mer", Amount: 2},
		})
		fs.n = 100
		if n < 6 {
			for i, r := range res {
				wantErr(t, r.Err, pay.ErrInternal, errDisk)
				if strings.Contains(r.Err.Error(), "fire") {
					t.Errorf("result %d: store error text leaked: %v", i, r.Err)
				}
			}
			a, _ := clkLedger.LookupAccount(ctx, "mer")
			if a.CreditsPosted != 0 {
				t.Errorf("n=%d: partial batch survived: %+v", n, a)
			}
			if _, err := clkLedger.LookupTransfer(ctx, "a"); err == nil {
				t.Errorf("n=%d: transfer a survived", n)
			}
		} else if res[0].Err != nil || res[1].Err != nil {
			t.Errorf("n=%d: %v %v", n, res[0].Err, res[1].Err)
		}
	}
}

// laggingStore's expiry index never reports anything due, like a store
// whose index lags: the ledger must still refuse to post an expired
// pending transfer, and release it.
type laggingStore struct{ *MemStore }

type laggingTx struct{ Tx }

func (s laggingStore) Update(c context.Context, fn func(Tx) error) error {
	return s.MemStore.Update(c, func(tx Tx) error { return fn(laggingTx{tx}) })
}

func (laggingTx) PopExpired(int64) (string, int64, bool, error) { return "", 0, false, nil }

func TestExpiredPendingWithLaggingIndex(t *testing.T) {
	clk := clock.NewFake(epoch)
	l, err := New(WithStore(laggingStore{NewMemStore()}), WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t, l, clk}
	if err := l.CreateAccounts(ctx, Account{ID: "src", Currency: "CNY"}, Account{ID: "mer", Currency: "CNY"}); err != nil {
		t.Fatal(err)
	}
	f.transfer(Transfer{ID: "p", DebitAccountID: "src", CreditAccountID: "mer", Amount: 5, Flags: Pending, Timeout: time.Second})
	clk.Advance(time.Second)
	_, err = l.CreateTransfer(ctx, Transfer{ID: "c", PendingID: "p", Flags: PostPending})
	wantErr(t, err, pay.ErrConflict, ErrPendingExpired)
	a, _ := l.LookupAccount(ctx, "src")
	if a.DebitsPending != 0 || a.DebitsPosted != 0 {
		t.Errorf("src = %+v, want the reservation released", a)
	}
	_, err = l.CreateTransfer(ctx, Transfer{ID: "v", PendingID: "p", Flags: VoidPending})
	wantErr(t, err, ErrPendingExpired)
}

func TestOverflow(t *testing.T) {
	f := newFixture(t)
	f.transfer(Transfer{ID: "big", DebitAccountID: "src", CreditAccountID: "mer", Amount: math.MaxInt64})
	_, err := f.l.CreateTransfer(ctx, Transfer{ID: "more", DebitAccountID: "src", CreditAccountID: "wal", Amount: 1})
	wantErr(t, err, pay.ErrInvalidRequest, ErrOverflow)
	_, err = f.l.CreateTransfer(ctx, Transfer{ID: "more", DebitAccountID: "cap", CreditAccountID: "wal", Amount: 1})
	wantErr(t, err, ErrOverflow, ErrIDAlreadyFailed) // state-dependent: burns the ID
	f.checkBalanced()
}

func TestMemStoreRandomAgainstModel(t *testing.T) {
	// Random puts, savepoints and rollbacks, checked against a plain map.
	r := rand.New(rand.NewPCG(3, 4))
	s := NewMemStore()
	model := map[string]int64{}
	for round := range 200 {
		work := map[string]int64{}
		for k, v := range model {
			work[k] = v
		}
		var saved []map[string]int64
		fail := r.IntN(4) == 0
		err := s.Update(ctx, func(tx Tx) error {
			for range r.IntN(60) {
				switch op := r.IntN(10); {
				case op < 7:
					id := "k" + strconv.Itoa(r.IntN(3000))
					v := r.Int64N(1000) + 1
					if err := tx.PutTransfer(id, TransferRecord{Transfer: Transfer{ID: id, Amount: v, UserData: id}}); err != nil {
						return err
					}
					work[id] = v
				case op < 9:
					if _, err := tx.Savepoint(); err != nil {
						return err
					}
					cp := map[string]int64{}
					for k, v := range work {
						cp[k] = v
					}
					saved = append(saved, cp)
				default:
					if len(saved) == 0 {
						continue
					}
					sp := r.IntN(len(saved))
					if err := tx.RollbackTo(sp); err != nil {
						return err
					}
					work = saved[sp]
					saved = saved[:sp]
				}
			}
			if fail {
				return errDisk
			}
			return nil
		})
		if !fail {
			if err != nil {
				t.Fatal(err)
			}
			model = work
		}
		_ = s.View(ctx, func(tx Tx) error {
			for i := range 3000 {
				id := "k" + strconv.Itoa(i)
				rec, found, _ := tx.Transfer(id)
				want, ok := model[id]
				if found != ok || (ok && (rec.Transfer.Amount != want || rec.Transfer.UserData != id)) {
					t.Fatalf("round %d: %s = %v %+v, want %v %d", round, id, found, rec.Transfer, ok, want)
				}
			}
			return nil
		})
	}
}
