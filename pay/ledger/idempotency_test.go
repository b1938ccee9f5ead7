package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

func TestIdempotentReplay(t *testing.T) {
	f := newFixture(t)
	tr := Transfer{ID: "topup_k1", DebitAccountID: "src", CreditAccountID: "wal", Amount: 500, Code: 1, UserData: "r"}
	first := f.transfer(tr)
	f.clk.Advance(time.Minute)
	replay := tr
	replay.Timestamp = epoch.Add(time.Hour) // ignored
	second := f.transfer(replay)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("replay returned another transfer (-first +replay):\n%s", diff)
	}
	// In a batch too, with a nil error.
	res := f.l.CreateTransfers(ctx, []Transfer{tr, tr})
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("result %d: %v", i, r.Err)
		}
		if diff := cmp.Diff(first, r.Transfer); diff != "" {
			t.Errorf("result %d (-first +got):\n%s", i, diff)
		}
	}
	if got := f.balances("wal"); got != (balances{CPosted: 500}) {
		t.Errorf("applied more than once: %+v", got)
	}
}

func TestIdempotencyConflict(t *testing.T) {
	base := Transfer{ID: "t", DebitAccountID: "src", CreditAccountID: "wal", Amount: 500, Code: 1, UserData: "r"}
	tests := []struct {
		name   string
		change func(*Transfer)
	}{
		{"amount", func(t *Transfer) { t.Amount++ }},
		{"debit", func(t *Transfer) { t.DebitAccountID = "mer" }},
		{"credit", func(t *Transfer) { t.CreditAccountID = "mer" }},
		{"code", func(t *Transfer) { t.Code = 2 }},
		{"user data", func(t *Transfer) { t.UserData = "other" }},
		{"flags", func(t *Transfer) { t.Flags = Pending }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.transfer(base)
			before := f.snapshot()
			other := base
			tt.change(&other)
			_, err := f.l.CreateTransfer(ctx, other)
			wantErr(t, err, pay.ErrIdempotencyConflict, ErrExistsWithDifferentFields)
			if diff := cmp.Diff(before, f.snapshot()); diff != "" {
				t.Errorf("accounts changed:\n%s", diff)
			}
			// The original still replays fine.
			f.transfer(base)
		})
	}
}

func TestFailedIDStaysFailed(t *testing.T) {
	f := newFixture(t)
	tr := Transfer{ID: "pay1", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 100}
	_, first := f.l.CreateTransfer(ctx, tr)
	wantErr(t, first, pay.ErrInsufficientFunds, ErrExceedsCredits)
	if errors.Is(first, ErrIDAlreadyFailed) {
		t.Error("first failure matches ErrIDAlreadyFailed")
	}
	f.fund("f1", 1000) // funds arrive
	_, again := f.l.CreateTransfer(ctx, tr)
	wantErr(t, again, pay.ErrInsufficientFunds, ErrExceedsCredits, ErrIDAlreadyFailed)
	if first.Error() != again.Error() {
		t.Errorf("replayed error %q, first %q", again, first)
	}
	// Whatever the body: the ID is used up.
	_, err := f.l.CreateTransfer(ctx, Transfer{ID: "pay1", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1})
	wantErr(t, err, pay.ErrInsufficientFunds, ErrIDAlreadyFailed)
	res := f.l.CreateTransfers(ctx, []Transfer{tr})
	wantErr(t, res[0].Err, ErrIDAlreadyFailed)
	if _, err := f.l.LookupTransfer(ctx, "pay1"); !errors.Is(err, ErrTransferNotFound) {
		t.Errorf("LookupTransfer of a failed ID = %v", err)
	}
	if got := f.balances("mer"); got != (balances{}) {
		t.Errorf("merchant = %+v", got)
	}
	// As a pending_id, a failed ID is not found.
	_, err = f.l.CreateTransfer(ctx, Transfer{ID: "post", PendingID: "pay1", Flags: PostPending})
	wantErr(t, err, ErrPendingNotFound)
}

func TestValidationDoesNotUseUpID(t *testing.T) {
	valid := Transfer{ID: "t", DebitAccountID: "src", CreditAccountID: "mer", Amount: 1}
	tests := []struct {
		name   string
		change func(*Transfer)
		param  string
		cause  error
	}{
		{"empty id", func(t *Transfer) { t.ID = "" }, "id", ErrInvalidID},
		{"long id", func(t *Transfer) { t.ID = strings.Repeat("x", 129) }, "id", ErrInvalidID},
		{"no debit", func(t *Transfer) { t.DebitAccountID = "" }, "debit_account_id", ErrInvalidID},
		{"no credit", func(t *Transfer) { t.CreditAccountID = "" }, "credit_account_id", ErrInvalidID},
		{"same account", func(t *Transfer) { t.CreditAccountID = "src" }, "credit_account_id", ErrAccountsMustBeDifferent},
		{"zero amount", func(t *Transfer) { t.Amount = 0 }, "amount", ErrInvalidAmount},
		{"negative amount", func(t *Transfer) { t.Amount = -5 }, "amount", ErrInvalidAmount},
		{"unknown flag", func(t *Transfer) { t.Flags = 1 << 9 }, "flags", ErrInvalidFlags},
		{"pending id on plain", func(t *Transfer) { t.PendingID = "p" }, "pending_id", ErrInvalidPendingID},
		{"timeout on posted", func(t *Transfer) { t.Timeout = time.Second }, "timeout", ErrInvalidTimeout},
		{"negative timeout", func(t *Transfer) { t.Flags, t.Timeout = Pending, -time.Second }, "timeout", ErrInvalidTimeout},
		{"huge timeout", func(t *Transfer) { t.Flags, t.Timeout = Pending, time.Duration(1<<63-1) }, "timeout", ErrInvalidTimeout},
		{"long user data", func(t *Transfer) { t.UserData = strings.Repeat("u", 257) }, "user_data", ErrUserDataTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			bad := valid
			tt.change(&bad)
			_, err := f.l.CreateTransfer(ctx, bad)
			wantErr(t, err, pay.ErrInvalidRequest, tt.cause)
			var e *pay.Error
			if errors.As(err, &e) && e.Param != tt.param {
				t.Errorf("param = %q, want %q", e.Param, tt.param)
			}
			f.transfer(valid) // the ID is still free
		})
	}
	t.Run("256 bytes of user data and 128 of id are fine", func(t *testing.T) {
		f := newFixture(t)
		f.transfer(Transfer{ID: strings.Repeat("i", 128), DebitAccountID: "src", CreditAccountID: "mer", Amount: 1, UserData: strings.Repeat("u", 256)})
	})
}

func TestPostVoidIdempotency(t *testing.T) {
	f := newFixture(t)
	f.fund("f1", 100)
	f.transfer(Transfer{ID: "p", DebitAccountID: "wal", CreditAccountID: "mer", Amount: 60, Flags: Pending})
	post := Transfer{ID: "c", PendingID: "p", Flags: PostPending} // amount and accounts implied
	first := f.transfer(post)
	if first.Amount != 60 || first.DebitAccountID != "wal" {
		t.Fatalf("post = %+v", first)
	}
	// The same request as given replays...
	if diff := cmp.Diff(first, f.transfer(post)); diff != "" {
		t.Errorf("replay (-first +got):\n%s", diff)
	}
	// ...but filling in what was left implied is another request.
	for _, other := range []Transfer{
		{ID: "c", PendingID: "p", Amount: 60, Flags: PostPending},
		{ID: "c", PendingID: "p", DebitAccountID: "wal", Flags: PostPending},
		{ID: "c", PendingID: "p", Flags: VoidPending},
	} {
		_, err := f.l.CreateTransfer(ctx, other)
		wantErr(t, err, pay.ErrIdempotencyConflict)
	}
	if got := f.balances("mer"); got != (balances{CPosted: 60}) {
		t.Errorf("merchant = %+v", got)
	}
}
