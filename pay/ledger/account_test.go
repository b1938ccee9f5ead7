package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

func TestCreateAccounts(t *testing.T) {
	f := newFixture(t)
	f.clk.Advance(time.Minute)
	// Creating again with the same fields is a no-op (CreatedAt unchanged).
	if err := f.l.CreateAccounts(ctx, Account{ID: "wal", Currency: "CNY", Flags: DebitsMustNotExceedCredits}); err != nil {
		t.Fatal(err)
	}
	if got := f.account("wal").CreatedAt; !got.Equal(epoch) {
		t.Errorf("CreatedAt = %v, want %v", got, epoch)
	}
	// With other fields it is a conflict.
	for _, a := range []Account{
		{ID: "wal", Currency: "USD", Flags: DebitsMustNotExceedCredits},
		{ID: "wal", Currency: "CNY"},
	} {
		err := f.l.CreateAccounts(ctx, a)
		wantErr(t, err, pay.ErrIdempotencyConflict, ErrExistsWithDifferentFields)
	}
	// All or nothing: "new1" is not created when "wal" conflicts.
	err := f.l.CreateAccounts(ctx, Account{ID: "new1", Currency: "CNY"}, Account{ID: "wal", Currency: "CNY"})
	wantErr(t, err, ErrExistsWithDifferentFields)
	var e *pay.Error
	if errors.As(err, &e) && e.Param != "accounts[1].id" {
		t.Errorf("param = %q", e.Param)
	}
	if _, err := f.l.LookupAccount(ctx, "new1"); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("new1 was created: %v", err)
	}
	// Duplicates within one call are fine when identical.
	if err := f.l.CreateAccounts(ctx, Account{ID: "new1", Currency: "PTS"}, Account{ID: "new1", Currency: "PTS"}); err != nil {
		t.Fatal(err)
	}
	want := Account{ID: "new1", Currency: "PTS", CreatedAt: epoch.Add(time.Minute)}
	if diff := cmp.Diff(want, f.account("new1")); diff != "" {
		t.Errorf("new1 (-want +got):\n%s", diff)
	}
	if err := f.l.CreateAccounts(ctx); err != nil {
		t.Errorf("CreateAccounts() = %v", err)
	}
}

func TestCreateAccountsValidation(t *testing.T) {
	tests := []struct {
		name  string
		a     Account
		param string
		cause error
	}{
		{"empty id", Account{Currency: "CNY"}, "id", ErrInvalidID},
		{"long id", Account{ID: strings.Repeat("a", 129), Currency: "CNY"}, "id", ErrInvalidID},
		{"no currency", Account{ID: "a"}, "currency", ErrInvalidCurrency},
		{"lower-case currency", Account{ID: "a", Currency: "cny"}, "currency", ErrInvalidCurrency},
		{"long currency", Account{ID: "a", Currency: "ABCDEFGHI"}, "currency", ErrInvalidCurrency},
		{"currency with a dash", Account{ID: "a", Currency: "US-D"}, "currency", ErrInvalidCurrency},
		{"unknown flag", Account{ID: "a", Currency: "CNY", Flags: 1 << 5}, "flags", ErrInvalidFlags},
		{"both constraints", Account{ID: "a", Currency: "CNY", Flags: DebitsMustNotExceedCredits | CreditsMustNotExceedDebits}, "flags", ErrInvalidFlags},
		{"balances given", Account{ID: "a", Currency: "CNY", CreditsPosted: 5}, "balances", ErrBalancesMustBeZero},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			err := f.l.CreateAccounts(ctx, tt.a)
			wantErr(t, err, pay.ErrInvalidRequest, tt.cause)
			var e *pay.Error
			if errors.As(err, &e) && e.Param != tt.param {
				t.Errorf("param = %q, want %q", e.Param, tt.param)
			}
			// In a batch, the param names the account.
			err = f.l.CreateAccounts(ctx, Account{ID: "ok", Currency: "CNY"}, tt.a)
			if errors.As(err, &e) && e.Param != "accounts[1]."+tt.param {
				t.Errorf("batch param = %q", e.Param)
			}
			if _, err := f.l.LookupAccount(ctx, "ok"); err == nil {
				t.Error("batch partly applied")
			}
		})
	}
	for _, c := range []string{"A", "PTS", "USDT", "ABCDEFGH", "X9"} {
		if !validCurrency(c) {
			t.Errorf("validCurrency(%q) = false", c)
		}
	}
}
