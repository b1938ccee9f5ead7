package ledger

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

func TestPendingPostPartial(t *testing.T) {
	f := newFixture(t)
	f.fund("f1", 100)
	f.transfer(Transfer{ID: "p1", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 60, Flags: Pending, Code: 2})
	if got, want := f.balances("wal"), (balances{DP: 60, CPosted: 100}); got != want {
		t.Errorf("wallet after pending = %+v, want %+v", got, want)
	}
	if got, want := f.balances("mer"), (balances{CP: 60}); got != want {
		t.Errorf("merchant after pending = %+v, want %+v", got, want)
	}
	if a := f.account("wal"); a.Available() != 40 || a.Balance() != 100 {
		t.Errorf("Available, Balance = %d, %d; want 40, 100", a.Available(), a.Balance())
	}
	f.checkBalanced()

	f.clk.Advance(time.Second)
	got := f.transfer(Transfer{ID: "c1", PendingID: "p1", Amount: 45, Flags: PostPending})
	want := Transfer{ID: "c1", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 45, PendingID: "p1", Flags: PostPending, Timestamp: epoch.Add(time.Second)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("post (-want +got):\n%s", diff)
	}
	if got, want := f.balances("wal"), (balances{DPosted: 45, CPosted: 100}); got != want {
		t.Errorf("wallet after post = %+v, want %+v", got, want)
	}
	if got, want := f.balances("mer"), (balances{CPosted: 45}); got != want {
		t.Errorf("merchant after post = %+v, want %+v", got, want)
	}
	if a := f.account("wal"); a.Available() != 55 {
		t.Errorf("Available = %d, want 55 (the unposted 15 is released)", a.Available())
	}
	f.checkBalanced()
}

func TestPendingPostFullAndVoid(t *testing.T) {
	tests := []struct {
		name     string
		resolve  Transfer
		wantAmt  int64
		wantWal  balances
		wantMer  balances
		wantFrom string // the resolved debit account
	}{
		{"post amount 0 means all", Transfer{ID: "r", PendingID: "p", Flags: PostPending}, 60, balances{DPosted: 60, CPosted: 100}, balances{CPosted: 60}, "wal"},
		{"post equal amount, accounts named", Transfer{ID: "r", PendingID: "p", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 60, Flags: PostPending}, 60, balances{DPosted: 60, CPosted: 100}, balances{CPosted: 60}, "wal"},
		{"void", Transfer{ID: "r", PendingID: "p", Flags: VoidPending}, 60, balances{CPosted: 100}, balances{}, "wal"},
		{"void naming the amount", Transfer{ID: "r", PendingID: "p", Amount: 60, Flags: VoidPending}, 60, balances{CPosted: 100}, balances{}, "wal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.fund("f1", 100)
			f.transfer(Transfer{ID: "p", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 60, Flags: Pending})
			got := f.transfer(tt.resolve)
			if got.Amount != tt.wantAmt || got.DebitAccountID != tt.wantFrom || got.CreditAccountID != "mer" {
				t.Errorf("resolved transfer = %+v", got)
			}
			if got := f.balances("wal"); got != tt.wantWal {
				t.Errorf("wallet = %+v, want %+v", got, tt.wantWal)
			}
			if got := f.balances("mer"); got != tt.wantMer {
				t.Errorf("merchant = %+v, want %+v", got, tt.wantMer)
			}
			f.checkBalanced()
		})
	}
}

func TestPendingResolveErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   []Transfer // after funding and the pending transfer "p" of 60 wal->mer
		resolve Transfer
		kind    *pay.Error
		cause   error
		burns   bool
	}{
		{"double post", []Transfer{{ID: "r0", PendingID: "p", Flags: PostPending}},
			Transfer{ID: "r", PendingID: "p", Flags: PostPending}, pay.ErrConflict, ErrPendingAlreadyPosted, true},
		{"void after post", []Transfer{{ID: "r0", PendingID: "p", Amount: 10, Flags: PostPending}},
			Transfer{ID: "r", PendingID: "p", Flags: VoidPending}, pay.ErrConflict, ErrPendingAlreadyPosted, true},
		{"post after void", []Transfer{{ID: "r0", PendingID: "p", Flags: VoidPending}},
			Transfer{ID: "r", PendingID: "p", Flags: PostPending}, pay.ErrConflict, ErrPendingAlreadyVoided, true},
		{"double void", []Transfer{{ID: "r0", PendingID: "p", Flags: VoidPending}},
			Transfer{ID: "r", PendingID: "p", Flags: VoidPending}, pay.ErrConflict, ErrPendingAlreadyVoided, true},
		{"post more than reserved", nil,
			Transfer{ID: "r", PendingID: "p", Amount: 61, Flags: PostPending}, pay.ErrInvalidRequest, ErrExceedsPendingAmount, true},
		{"void another amount", nil,
			Transfer{ID: "r", PendingID: "p", Amount: 59, Flags: VoidPending}, pay.ErrInvalidRequest, ErrPendingDifferentAmount, true},
		{"unknown pending", nil,
			Transfer{ID: "r", PendingID: "nope", Flags: PostPending}, pay.ErrNotFound, ErrPendingNotFound, true},
		{"not a pending transfer", nil,
			Transfer{ID: "r", PendingID: "f1", Flags: PostPending}, pay.ErrInvalidRequest, ErrPendingNotPending, true},
		{"other debit account", nil,
			Transfer{ID: "r", PendingID: "p", DebitAccountID: "src", Flags: PostPending}, pay.ErrInvalidRequest, ErrPendingDifferentAccount, true},
		{"other credit account", nil,
			Transfer{ID: "r", PendingID: "p", CreditAccountID: "src", Flags: VoidPending}, pay.ErrInvalidRequest, ErrPendingDifferentAccount, true},
		{"post and void", nil,
			Transfer{ID: "r", PendingID: "p", Flags: PostPending | VoidPending}, pay.ErrInvalidRequest, ErrInvalidFlags, false},
		{"pending and post", nil,
			Transfer{ID: "r", PendingID: "p", Flags: Pending | PostPending}, pay.ErrInvalidRequest, ErrInvalidFlags, false},
		{"no pending id", nil,
			Transfer{ID: "r", Flags: PostPending}, pay.ErrInvalidRequest, ErrInvalidPendingID, false},
		{"pending id is own id", nil,
			Transfer{ID: "p2", PendingID: "p2", Flags: PostPending}, pay.ErrInvalidRequest, ErrInvalidPendingID, false},
		{"timeout on post", nil,
			Transfer{ID: "r", PendingID: "p", Timeout: time.Second, Flags: PostPending}, pay.ErrInvalidRequest, ErrInvalidTimeout, false},
		{"negative amount", nil,
			Transfer{ID: "r", PendingID: "p", Amount: -1, Flags: PostPending}, pay.ErrInvalidRequest, ErrInvalidAmount, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.fund("f1", 100)
			f.transfer(Transfer{ID: "p", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 60, Flags: Pending})
			for _, s := range tt.setup {
				f.transfer(s)
			}
			before := f.snapshot()
			_, err := f.l.CreateTransfer(ctx, tt.resolve)
			wantErr(t, err, tt.kind, tt.cause)
			if diff := cmp.Diff(before, f.snapshot()); diff != "" {
				t.Errorf("accounts changed (-before +after):\n%s", diff)
			}
			_, err = f.l.CreateTransfer(ctx, tt.resolve)
			if tt.burns {
				wantErr(t, err, tt.kind, tt.cause, ErrIDAlreadyFailed)
			} else if errors.Is(err, ErrIDAlreadyFailed) {
				t.Errorf("a validation failure used up the ID: %v", err)
			}
			f.checkBalanced()
		})
	}
}

func TestPendingExpiry(t *testing.T) {
	f := newFixture(t)
	f.fund("f1", 100)
	f.transfer(Transfer{ID: "p", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 60, Flags: Pending, Timeout: time.Minute})
	f.transfer(Transfer{ID: "q", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 10, Flags: Pending}) // no timeout

	f.clk.Advance(time.Minute - time.Nanosecond)
	if n, err := f.l.ExpirePending(ctx); err != nil || n != 0 {
		t.Fatalf("ExpirePending before the deadline = %d, %v", n, err)
	}
	if got := f.balances("wal"); got != (balances{DP: 70, CPosted: 100}) {
		t.Errorf("wallet before the deadline = %+v", got)
	}

	f.clk.Advance(time.Nanosecond)
	// Without an explicit ExpirePending: the post itself sweeps first.
	_, err := f.l.CreateTransfer(ctx, Transfer{ID: "r", PendingID: "p", Flags: PostPending})
	wantErr(t, err, pay.ErrConflict, ErrPendingExpired)
	if got := f.balances("wal"); got != (balances{DP: 10, CPosted: 100}) {
		t.Errorf("wallet after expiry = %+v, want the 60 released", got)
	}
	if got := f.balances("mer"); got != (balances{CP: 10}) {
		t.Errorf("merchant after expiry = %+v", got)
	}
	_, err = f.l.CreateTransfer(ctx, Transfer{ID: "v", PendingID: "p", Flags: VoidPending})
	wantErr(t, err, pay.ErrConflict, ErrPendingExpired)
	// The pending transfer without a timeout is still there and can be posted.
	f.transfer(Transfer{ID: "r2", PendingID: "q", Flags: PostPending})
	if got := f.balances("wal"); got != (balances{DPosted: 10, CPosted: 100}) {
		t.Errorf("wallet = %+v", got)
	}
	f.checkBalanced()
}

func TestExpirePendingExplicit(t *testing.T) {
	f := newFixture(t)
	f.fund("f1", 100)
	for i, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second} {
		f.transfer(Transfer{ID: "p" + string(rune('a'+i)), DebitAccountID: "wal", CreditAccountID: "mer", Amount: 10, Flags: Pending, Timeout: d})
	}
	// One is resolved before its deadline: it must not be expired (or released twice).
	f.transfer(Transfer{ID: "r", PendingID: "pb", Flags: VoidPending})
	f.clk.Advance(2 * time.Second)
	if n, err := f.l.ExpirePending(ctx); err != nil || n != 1 {
		t.Fatalf("ExpirePending = %d, %v; want 1 (pc)", n, err)
	}
	if got := f.balances("wal"); got != (balances{DP: 10, CPosted: 100}) {
		t.Errorf("wallet = %+v", got)
	}
	f.clk.Advance(time.Hour)
	if n, err := f.l.ExpirePending(ctx); err != nil || n != 1 {
		t.Fatalf("ExpirePending = %d, %v; want 1 (pa)", n, err)
	}
	if n, _ := f.l.ExpirePending(ctx); n != 0 {
		t.Errorf("ExpirePending again = %d", n)
	}
	if got := f.balances("wal"); got != (balances{CPosted: 100}) {
		t.Errorf("wallet = %+v", got)
	}
	f.checkBalanced()
}

func TestPendingExpiryInRolledBackChain(t *testing.T) {
	// A pending transfer created in a chain that fails leaves a stale
	// expiry entry; it must not release anything when it comes due, even
	// if the same ID is later created again with another timeout.
	f := newFixture(t)
	f.fund("f1", 100)
	res := f.l.CreateTransfers(ctx, []Transfer{
		{ID: "p", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 10, Flags: Pending | Linked, Timeout: time.Second},
		{ID: "x", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 1000},
	})
	wantErr(t, res[0].Err, ErrLinkedEventFailed)
	f.transfer(Transfer{ID: "p", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 10, Flags: Pending, Timeout: time.Hour})
	f.clk.Advance(time.Minute)
	if n, err := f.l.ExpirePending(ctx); err != nil || n != 0 {
		t.Fatalf("ExpirePending = %d, %v; want 0", n, err)
	}
	if got := f.balances("wal"); got != (balances{DP: 10, CPosted: 100}) {
		t.Errorf("wallet = %+v", got)
	}
	f.clk.Advance(time.Hour)
	if n, err := f.l.ExpirePending(ctx); err != nil || n != 1 {
		t.Fatalf("ExpirePending = %d, %v; want 1", n, err)
	}
	f.checkBalanced()
}
