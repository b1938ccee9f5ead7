package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

func ExampleLedger_CreateTransfer() {
	ctx := context.Background()
	l, _ := ledger.New()
	_ = l.CreateAccounts(ctx,
		ledger.Account{ID: "topup_source_CNY", Currency: "CNY"},
		ledger.Account{ID: "wal_1", Currency: "CNY", Flags: ledger.DebitsMustNotExceedCredits},
		ledger.Account{ID: "merchant_1", Currency: "CNY"},
	)

	// Top up ¥50.00, then spend ¥80.00: the wallet cannot go below zero.
	_, err := l.CreateTransfer(ctx, ledger.Transfer{ID: "topup_k1", DebitAccountID: "topup_source_CNY", CreditAccountID: "wal_1", Amount: 5000, Code: 1})
	fmt.Println("top-up:", err)
	_, err = l.CreateTransfer(ctx, ledger.Transfer{ID: "pay_1", DebitAccountID: "wal_1", CreditAccountID: "merchant_1", Amount: 8000, Code: 2})
	fmt.Println("spend:", errors.Is(err, pay.ErrInsufficientFunds), errors.Is(err, ledger.ErrExceedsCredits))

	// Retrying the top-up with the same ID moves nothing.
	_, err = l.CreateTransfer(ctx, ledger.Transfer{ID: "topup_k1", DebitAccountID: "topup_source_CNY", CreditAccountID: "wal_1", Amount: 5000, Code: 1})
	wal, _ := l.LookupAccount(ctx, "wal_1")
	fmt.Println("retry:", err, "balance:", wal.Balance())
	// Output:
	// top-up: <nil>
	// spend: true true
	// retry: <nil> balance: 5000
}

func ExampleLedger_CreateLinked() {
	ctx := context.Background()
	l, _ := ledger.New()
	_ = l.CreateAccounts(ctx,
		ledger.Account{ID: "src", Currency: "CNY"},
		ledger.Account{ID: "wal_1", Currency: "CNY", Flags: ledger.DebitsMustNotExceedCredits},
		ledger.Account{ID: "merchant_1", Currency: "CNY"},
		ledger.Account{ID: "points_issued", Currency: "PTS"},
		ledger.Account{ID: "points_1", Currency: "PTS", Flags: ledger.DebitsMustNotExceedCredits},
	)
	_, _ = l.CreateTransfer(ctx, ledger.Transfer{ID: "topup", DebitAccountID: "src", CreditAccountID: "wal_1", Amount: 1000})

	// A payment and the points it earns commit together or not at all.
	pay1 := []ledger.Transfer{
		{ID: "pay_1", DebitAccountID: "wal_1", CreditAccountID: "merchant_1", Amount: 600},
		{ID: "pay_1:points", DebitAccountID: "points_issued", CreditAccountID: "points_1", Amount: 6},
	}
	_, err := l.CreateLinked(ctx, pay1...)
	fmt.Println("pay_1:", err)

	pay2 := []ledger.Transfer{
		{ID: "pay_2", DebitAccountID: "wal_1", CreditAccountID: "merchant_1", Amount: 600}, // only 400 left
		{ID: "pay_2:points", DebitAccountID: "points_issued", CreditAccountID: "points_1", Amount: 6},
	}
	_, err = l.CreateLinked(ctx, pay2...)
	fmt.Println("pay_2:", errors.Is(err, ledger.ErrExceedsCredits))

	pts, _ := l.LookupAccount(ctx, "points_1")
	fmt.Println("points:", pts.Balance())
	// Output:
	// pay_1: <nil>
	// pay_2: true
	// points: 6
}

func ExampleTransfer_pending() {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l, _ := ledger.New(ledger.WithClock(clk))
	_ = l.CreateAccounts(ctx,
		ledger.Account{ID: "src", Currency: "CNY"},
		ledger.Account{ID: "wal_1", Currency: "CNY", Flags: ledger.DebitsMustNotExceedCredits},
		ledger.Account{ID: "merchant_1", Currency: "CNY"},
	)
	_, _ = l.CreateTransfer(ctx, ledger.Transfer{ID: "topup", DebitAccountID: "src", CreditAccountID: "wal_1", Amount: 1000})

	// Reserve 700 for 15 minutes, then capture 650 of it.
	_, _ = l.CreateTransfer(ctx, ledger.Transfer{ID: "hold_1", DebitAccountID: "wal_1", CreditAccountID: "merchant_1", Amount: 700, Flags: ledger.Pending, Timeout: 15 * time.Minute})
	wal, _ := l.LookupAccount(ctx, "wal_1")
	fmt.Println("held: balance", wal.Balance(), "available", wal.Available())
	capture, _ := l.CreateTransfer(ctx, ledger.Transfer{ID: "capture_1", PendingID: "hold_1", Amount: 650, Flags: ledger.PostPending})
	wal, _ = l.LookupAccount(ctx, "wal_1")
	fmt.Println("captured", capture.Amount, "from", capture.DebitAccountID+": balance", wal.Balance(), "available", wal.Available())

	// A second hold that nobody captures expires and is released.
	_, _ = l.CreateTransfer(ctx, ledger.Transfer{ID: "hold_2", DebitAccountID: "wal_1", CreditAccountID: "merchant_1", Amount: 300, Flags: ledger.Pending, Timeout: 15 * time.Minute})
	clk.Advance(15 * time.Minute)
	_, err := l.CreateTransfer(ctx, ledger.Transfer{ID: "capture_2", PendingID: "hold_2", Flags: ledger.PostPending})
	wal, _ = l.LookupAccount(ctx, "wal_1")
	fmt.Println("late capture:", errors.Is(err, ledger.ErrPendingExpired), "available", wal.Available())
	// Output:
	// held: balance 1000 available 300
	// captured 650 from wal_1: balance 350 available 350
	// late capture: true available 350
}
