package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

var (
	ctx   = context.Background()
	epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

// fixture is a ledger on a fake clock with accounts:
//
//	src  CNY, no flags (funding source, may go negative)
//	wal  CNY, DebitsMustNotExceedCredits (a wallet)
//	mer  CNY, no flags (a merchant)
//	cap  CNY, CreditsMustNotExceedDebits
//	pts  PTS, no flags (points)
//	pti  PTS, no flags (points issuer)
type fixture struct {
	t   *testing.T
	l   *Ledger
	clk *clock.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := clock.NewFake(epoch)
	l, err := New(WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t, l, clk}
	if err := l.CreateAccounts(ctx,
		Account{ID: "src", Currency: "CNY"},
		Account{ID: "wal", Currency: "CNY", Flags: DebitsMustNotExceedCredits},
		Account{ID: "mer", Currency: "CNY"},
		Account{ID: "cap", Currency: "CNY", Flags: CreditsMustNotExceedDebits},
		Account{ID: "pts", Currency: "PTS"},
		Account{ID: "pti", Currency: "PTS"},
	); err != nil {
		t.Fatal(err)
	}
	return f
}

// transfer commits t and fails the test on error.
func (f *fixture) transfer(t Transfer) Transfer {
	f.t.Helper()
	got, err := f.l.CreateTransfer(ctx, t)
	if err != nil {
		f.t.Fatalf("CreateTransfer(%s): %v", t.ID, err)
	}
	return got
}

// fund moves amount from src into the wallet.
func (f *fixture) fund(id string, amount int64) {
	f.t.Helper()
	f.transfer(Transfer{ID: id, DebitAccountID: "src", CreditAccountID: "wal", Amount: amount})
}

func (f *fixture) account(id string) Account {
	f.t.Helper()
	a, err := f.l.LookupAccount(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// balances is the four counters of an account, for compact comparisons.
type balances struct{ DP, DPosted, CP, CPosted int64 }

func (f *fixture) balances(id string) balances {
	f.t.Helper()
	a := f.account(id)
	return balances{a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted}
}

// snapshot is every account, for before/after comparisons.
func (f *fixture) snapshot() map[string]Account {
	f.t.Helper()
	m := map[string]Account{}
	for _, id := range []string{"src", "wal", "mer", "cap", "pts", "pti"} {
		m[id] = f.account(id)
	}
	return m
}

// checkBalanced fails unless every currency's debits equal its credits.
func (f *fixture) checkBalanced() {
	f.t.Helper()
	tot, err := f.l.Totals(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	for cur, x := range tot {
		if x.DebitsPosted != x.CreditsPosted || x.DebitsPending != x.CreditsPending {
			f.t.Errorf("%s totals unbalanced: %+v", cur, x)
		}
	}
}

// wantErr fails unless err matches every target with errors.Is.
func wantErr(t *testing.T, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v", targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("err = %v (cause %v); errors.Is(err, %v) = false", err, errors.Unwrap(err), target)
		}
	}
}

func TestNewOptions(t *testing.T) {
	if _, err := New(WithClock(nil)); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("New(WithClock(nil)) err = %v", err)
	}
	if _, err := New(WithStore(nil)); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("New(WithStore(nil)) err = %v", err)
	}
	s := NewMemStore()
	l, err := New(WithStore(s))
	if err != nil || l.store != s {
		t.Fatalf("New(WithStore) = %v, %v", l, err)
	}
}

func TestPostedTransferMovesBalances(t *testing.T) {
	f := newFixture(t)
	got := f.transfer(Transfer{ID: "t1", DebitAccountID: "src", CreditAccountID: "wal", Amount: 1234, Code: 1, UserData: "ref-1"})
	want := Transfer{ID: "t1", DebitAccountID: "src", CreditAccountID: "wal", Amount: 1234, Code: 1, UserData: "ref-1", Timestamp: epoch}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("committed transfer (-want +got):\n%s", diff)
	}
	looked, err := f.l.LookupTransfer(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, looked); diff != "" {
		t.Errorf("LookupTransfer (-want +got):\n%s", diff)
	}
	wal := f.account("wal")
	wantWal := Account{ID: "wal", Currency: "CNY", Flags: DebitsMustNotExceedCredits, CreditsPosted: 1234, CreatedAt: epoch}
	if diff := cmp.Diff(wantWal, wal); diff != "" {
		t.Errorf("wallet (-want +got):\n%s", diff)
	}
	if wal.Balance() != 1234 || wal.Available() != 1234 {
		t.Errorf("Balance, Available = %d, %d", wal.Balance(), wal.Available())
	}
	if got := f.balances("src"); got != (balances{DPosted: 1234}) {
		t.Errorf("src = %+v", got)
	}
	f.checkBalanced()
}

func TestBalanceConstraints(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture)
		t     Transfer
		cause error
	}{
		{
			name:  "debit beyond credits",
			setup: func(f *fixture) { f.fund("f1", 50) },
			t:     Transfer{ID: "x", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 51},
			cause: ErrExceedsCredits,
		},
		{
			name:  "empty wallet",
			t:     Transfer{ID: "x", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 1},
			cause: ErrExceedsCredits,
		},
		{
			name: "pending debits count",
			setup: func(f *fixture) {
				f.fund("f1", 50)
				f.transfer(Transfer{ID: "p1", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 40, Flags: Pending})
			},
			t:     Transfer{ID: "x", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 11},
			cause: ErrExceedsCredits,
		},
		{
			name:  "pending debit beyond credits",
			setup: func(f *fixture) { f.fund("f1", 50) },
			t:     Transfer{ID: "x", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 51, Flags: Pending},
			cause: ErrExceedsCredits,
		},
		{
			name: "credit beyond debits",
			setup: func(f *fixture) {
				f.transfer(Transfer{ID: "f1", DebitAccountID: "cap", CreditAccountID: "src", Amount: 70})
			},
			t:     Transfer{ID: "x", DebitAccountID: "src", CreditAccountID: "cap", Amount: 71},
			cause: ErrExceedsDebits,
		},
		{
			name:  "credit with no debits",
			t:     Transfer{ID: "x", DebitAccountID: "mer", CreditAccountID: "cap", Amount: 1, Flags: Pending},
			cause: ErrExceedsDebits,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			before := f.snapshot()
			_, err := f.l.CreateTransfer(ctx, tt.t)
			wantErr(t, err, pay.ErrInsufficientFunds, tt.cause)
			if e := (*pay.Error)(nil); !errors.As(err, &e) || e.Param != "amount" {
				t.Errorf("err = %#v, want param amount", err)
			}
			if diff := cmp.Diff(before, f.snapshot()); diff != "" {
				t.Errorf("accounts changed (-before +after):\n%s", diff)
			}
			if _, err := f.l.LookupTransfer(ctx, tt.t.ID); !errors.Is(err, ErrTransferNotFound) {
				t.Errorf("failed transfer stored: %v", err)
			}
			f.checkBalanced()
		})
	}
	t.Run("exactly the credits", func(t *testing.T) {
		f := newFixture(t)
		f.fund("f1", 50)
		f.transfer(Transfer{ID: "x", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 50})
		if a := f.account("wal"); a.Balance() != 0 {
			t.Errorf("wallet balance = %d", a.Balance())
		}
	})
}

func TestCurrencyMismatch(t *testing.T) {
	f := newFixture(t)
	_, err := f.l.CreateTransfer(ctx, Transfer{ID: "x", DebitAccountID: "src", CreditAccountID: "pts", Amount: 1})
	wantErr(t, err, pay.ErrInvalidRequest, ErrCurrencyMismatch)
	// State-dependent: the ID is used up.
	_, err = f.l.CreateTransfer(ctx, Transfer{ID: "x", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1})
	wantErr(t, err, pay.ErrInvalidRequest, ErrCurrencyMismatch, ErrIDAlreadyFailed)
}

func TestAccountNotFound(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ debit, credit, param string }{
		{"nope", "mer", "debit_account_id"},
		{"src", "nope", "credit_account_id"},
	} {
		_, err := f.l.CreateTransfer(ctx, Transfer{ID: "x-" + tt.param, DebitAccountID: tt.debit, CreditAccountID: tt.credit, Amount: 1})
		wantErr(t, err, pay.ErrNotFound, ErrAccountNotFound)
		if e := (*pay.Error)(nil); errors.As(err, &e) && e.Param != tt.param {
			t.Errorf("param = %q, want %q", e.Param, tt.param)
		}
	}
	_, err := f.l.LookupAccount(ctx, "nope")
	wantErr(t, err, pay.ErrNotFound, ErrAccountNotFound)
	_, err = f.l.LookupTransfer(ctx, "nope")
	wantErr(t, err, pay.ErrNotFound, ErrTransferNotFound)
}

func TestTotals(t *testing.T) {
	f := newFixture(t)
	f.fund("f1", 100)
	f.transfer(Transfer{ID: "p1", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 30, Flags: Pending})
	f.transfer(Transfer{ID: "g1", DebitAccountID: "pti", CreditAccountID: "pts", Amount: 7})
	tot, err := f.l.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Totals{
		"CNY": {DebitsPending: 30, DebitsPosted: 100, CreditsPending: 30, CreditsPosted: 100},
		"PTS": {DebitsPosted: 7, CreditsPosted: 7},
	}
	if diff := cmp.Diff(want, tot); diff != "" {
		t.Errorf("Totals (-want +got):\n%s", diff)
	}
}

func TestContextCanceled(t *testing.T) {
	f := newFixture(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := f.l.CreateTransfer(cctx, Transfer{ID: "t", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1})
	wantErr(t, err, pay.ErrInternal, context.Canceled)
	res := f.l.CreateTransfers(cctx, []Transfer{{ID: "t", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1}})
	wantErr(t, res[0].Err, context.Canceled)
	if err := f.l.CreateAccounts(cctx, Account{ID: "n", Currency: "CNY"}); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateAccounts err = %v", err)
	}
	if _, err := f.l.LookupAccount(cctx, "src"); !errors.Is(err, context.Canceled) {
		t.Errorf("LookupAccount err = %v", err)
	}
	// Nothing happened; the ID is still free.
	f.transfer(Transfer{ID: "t", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1})
}

func TestTimestampsFollowClock(t *testing.T) {
	f := newFixture(t)
	f.clk.Advance(time.Hour)
	got := f.transfer(Transfer{ID: "t", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1, Timestamp: epoch.Add(-time.Hour)})
	if !got.Timestamp.Equal(epoch.Add(time.Hour)) {
		t.Errorf("Timestamp = %v, want the clock's", got.Timestamp)
	}
	f.clk.Advance(time.Hour)
	replay := f.transfer(Transfer{ID: "t", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1})
	if !replay.Timestamp.Equal(got.Timestamp) {
		t.Errorf("replay Timestamp = %v, want the original %v", replay.Timestamp, got.Timestamp)
	}
}
