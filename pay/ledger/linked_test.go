package ledger

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// state is every account and every listed transfer ID's lookup result.
type state struct {
	Accounts  map[string]Account
	Transfers map[string]string // ID -> "" if absent, else the amount committed
}

func (f *fixture) state(ids ...string) state {
	f.t.Helper()
	s := state{Accounts: f.snapshot(), Transfers: map[string]string{}}
	for _, id := range ids {
		t, err := f.l.LookupTransfer(ctx, id)
		if err == nil {
			s.Transfers[id] = t.DebitAccountID + ">" + t.CreditAccountID
		} else {
			s.Transfers[id] = ""
		}
	}
	return s
}

func TestLinkedChainFailsAtomically(t *testing.T) {
	f := newFixture(t)
	f.fund("f1", 100)
	ids := []string{"x", "a", "b", "c", "y"}
	res := f.l.CreateTransfers(ctx, []Transfer{
		{ID: "x", DebitAccountID: "src", CreditAccountID: "mer", Amount: 5},                 // independent: commits
		{ID: "a", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 70, Flags: Linked}, // ok alone
		{ID: "b", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 40, Flags: Linked}, // exceeds: 70+40 > 100
		{ID: "c", DebitAccountID: "src", CreditAccountID: "wal", Amount: 1},                 // ends the chain
		{ID: "y", DebitAccountID: "src", CreditAccountID: "mer", Amount: 6},                 // independent: commits
	})
	if len(res) != 5 {
		t.Fatalf("len(results) = %d", len(res))
	}
	if res[0].Err != nil || res[4].Err != nil {
		t.Fatalf("independent transfers failed: %v, %v", res[0].Err, res[4].Err)
	}
	wantErr(t, res[1].Err, ErrLinkedEventFailed)
	wantErr(t, res[2].Err, pay.ErrInsufficientFunds, ErrExceedsCredits)
	wantErr(t, res[3].Err, ErrLinkedEventFailed)
	for _, i := range []int{1, 2, 3} {
		if diff := cmp.Diff(Transfer{}, res[i].Transfer); diff != "" {
			t.Errorf("result %d carries a transfer:\n%s", i, diff)
		}
	}
	// Only x and y happened.
	after := f.state(ids...)
	if diff := cmp.Diff(map[string]string{"x": "src>mer", "a": "", "b": "", "c": "", "y": "src>mer"}, after.Transfers); diff != "" {
		t.Errorf("stored transfers (-want +got):\n%s", diff)
	}
	if got := f.balances("wal"); got != (balances{CPosted: 100}) {
		t.Errorf("wallet = %+v", got)
	}
	if got := f.balances("mer"); got != (balances{CPosted: 11}) {
		t.Errorf("merchant = %+v", got)
	}
	f.checkBalanced()

	// linked_event_failed does not use up an ID; the real cause does.
	f.transfer(Transfer{ID: "a", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 70})
	_, err := f.l.CreateTransfer(ctx, Transfer{ID: "b", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 1})
	wantErr(t, err, pay.ErrInsufficientFunds, ErrExceedsCredits, ErrIDAlreadyFailed)
}

func TestLinkedChainNothingChanges(t *testing.T) {
	f := newFixture(t)
	f.fund("f1", 100)
	f.transfer(Transfer{ID: "p", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 30, Flags: Pending})
	ids := []string{"a", "b", "c", "d"}
	before := f.state(ids...)
	res := f.l.CreateTransfers(ctx, []Transfer{
		{ID: "a", PendingID: "p", Amount: 20, Flags: PostPending | Linked},
		{ID: "b", DebitAccountID: "src", CreditAccountID: "wal", Amount: 1000, Flags: Linked},
		{ID: "c", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 1, Flags: Pending | Linked},
		{ID: "d", DebitAccountID: "mer", CreditAccountID: "cap", Amount: 1}, // cap would exceed its debits
	})
	for i, want := range []error{ErrLinkedEventFailed, ErrLinkedEventFailed, ErrLinkedEventFailed, ErrExceedsDebits} {
		wantErr(t, res[i].Err, want)
	}
	if diff := cmp.Diff(before, f.state(ids...)); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
	// The pending transfer is still pending and can be posted.
	f.transfer(Transfer{ID: "a", PendingID: "p", Amount: 20, Flags: PostPending})
	f.checkBalanced()
}

func TestLinkedChainOpen(t *testing.T) {
	f := newFixture(t)
	before := f.state("a", "b")
	res := f.l.CreateTransfers(ctx, []Transfer{
		{ID: "a", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1, Flags: Linked},
		{ID: "b", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1, Flags: Linked},
	})
	wantErr(t, res[0].Err, ErrLinkedEventFailed)
	wantErr(t, res[1].Err, pay.ErrInvalidRequest, ErrLinkedEventChainOpen)
	if diff := cmp.Diff(before, f.state("a", "b")); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
	// A lone linked transfer at the end of a batch is an open chain too.
	res = f.l.CreateTransfers(ctx, []Transfer{{ID: "c", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1, Flags: Linked}})
	wantErr(t, res[0].Err, ErrLinkedEventChainOpen)
	_, err := f.l.CreateTransfer(ctx, Transfer{ID: "d", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1, Flags: Linked})
	wantErr(t, err, pay.ErrInvalidRequest, ErrLinkedEventChainOpen)
	// None of these IDs is used up.
	for _, id := range []string{"a", "b", "c", "d"} {
		f.transfer(Transfer{ID: id, DebitAccountID: "src", CreditAccountID: "mer", Amount: 1})
	}
}

func TestLinkedChainSucceeds(t *testing.T) {
	f := newFixture(t)
	f.fund("f1", 100)
	res := f.l.CreateTransfers(ctx, []Transfer{
		{ID: "a", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 70, Flags: Linked},
		{ID: "b", DebitAccountID: "pts", CreditAccountID: "pti", Amount: 7, Flags: Linked},
		{ID: "c", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 30},
	})
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("result %d: %v", i, r.Err)
		}
	}
	if res[0].Transfer.Flags != Linked || res[2].Transfer.Flags != 0 || res[1].Transfer.Amount != 7 {
		t.Errorf("results = %+v", res)
	}
	if got := f.balances("wal"); got != (balances{DPosted: 100, CPosted: 100}) {
		t.Errorf("wallet = %+v", got)
	}
	if got := f.l.CreateTransfers(ctx, nil); len(got) != 0 {
		t.Errorf("CreateTransfers(nil) = %v", got)
	}
}

func TestCreateLinked(t *testing.T) {
	f := newFixture(t)
	f.fund("f1", 100)
	chain := []Transfer{
		{ID: "pay", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 80, Code: 2},
		{ID: "pay:points", DebitAccountID: "pti", CreditAccountID: "pts", Amount: 8, Code: 3},
	}
	got, err := f.l.CreateLinked(ctx, chain...)
	if err != nil {
		t.Fatal(err)
	}
	want := []Transfer{
		{ID: "pay", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 80, Code: 2, Flags: Linked, Timestamp: epoch},
		{ID: "pay:points", DebitAccountID: "pti", CreditAccountID: "pts", Amount: 8, Code: 3, Timestamp: epoch},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateLinked (-want +got):\n%s", diff)
	}
	if chain[0].Flags != 0 {
		t.Error("CreateLinked changed the caller's slice")
	}
	// A retry of the whole chain is an idempotent replay.
	again, err := f.l.CreateLinked(ctx, chain...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("replay (-want +got):\n%s", diff)
	}
	if got := f.balances("pts"); got != (balances{CPosted: 8}) {
		t.Errorf("points moved twice: %+v", got)
	}

	// The real cause comes back, not linked_event_failed, wherever it sits.
	for _, failAt := range []int{0, 1, 2} {
		chain := []Transfer{
			{ID: "l0", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1},
			{ID: "l1", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1},
			{ID: "l2", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1},
		}
		chain[failAt].DebitAccountID = "missing"
		for i := range chain {
			chain[i].ID += string(rune('a' + failAt))
		}
		_, err := f.l.CreateLinked(ctx, chain...)
		wantErr(t, err, pay.ErrNotFound, ErrAccountNotFound)
		if errors.Is(err, ErrLinkedEventFailed) {
			t.Errorf("failAt %d: got linked_event_failed", failAt)
		}
	}
	if got, err := f.l.CreateLinked(ctx); got != nil || err != nil {
		t.Errorf("CreateLinked() = %v, %v", got, err)
	}
	f.checkBalanced()
}
