package ledger

import (
	"context"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// benchIDs returns n distinct transfer IDs, formatted before the timer
// starts so that ID formatting is not measured. They share one backing
// string: a million separately allocated IDs, all kept alive by the
// benchmark itself, would make every GC cycle mark a million objects that
// the ledger does not retain (it copies IDs into its own arena).
func benchIDs(prefix string, n int) []string {
	buf := make([]byte, 0, n*(len(prefix)+8))
	ends := make([]int, n)
	for i := range n {
		buf = append(buf, prefix...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		ends[i] = len(buf)
	}
	all := string(buf)
	ids := make([]string, n)
	start := 0
	for i, end := range ends {
		ids[i] = all[start:end]
		start = end
	}
	return ids
}

// benchLedger returns a ledger with pairs of accounts "wal<i>" (flagged
// DebitsMustNotExceedCredits, funded) and "dst<i>" (flagged
// CreditsMustNotExceedDebits, with room for credits), so that a transfer
// from wal<i> to dst<i> checks both balance constraints.
func benchLedger(b *testing.B, pairs int) *Ledger {
	b.Helper()
	ctx := context.Background()
	l, err := New()
	if err != nil {
		b.Fatal(err)
	}
	for p := range pairs {
		s := strconv.Itoa(p)
		// src is a debit-normal funding account (CreditsMustNotExceedDebits)
		// that funds the wallet; the wallet cannot go below zero.
		accts := []Account{
			{ID: "src" + s, Currency: "CNY"},
			{ID: "wal" + s, Currency: "CNY", Flags: DebitsMustNotExceedCredits},
			{ID: "dst" + s, Currency: "CNY", Flags: CreditsMustNotExceedDebits},
		}
		if err := l.CreateAccounts(ctx, accts...); err != nil {
			b.Fatal(err)
		}
		// Give the wallet "infinite" funds and the destination room for credits.
		fund := []Transfer{
			{ID: "fund-wal" + s, DebitAccountID: "src" + s, CreditAccountID: "wal" + s, Amount: math.MaxInt64 / 4},
			{ID: "fund-dst" + s, DebitAccountID: "dst" + s, CreditAccountID: "src" + s, Amount: math.MaxInt64 / 4},
		}
		for _, t := range fund {
			if _, err := l.CreateTransfer(ctx, t); err != nil {
				b.Fatal(err)
			}
		}
	}
	return l
}

// BenchmarkLedgerTransferSerial measures CreateTransfer of a simple posted
// transfer from a DebitsMustNotExceedCredits wallet to a
// CreditsMustNotExceedDebits account (both constraints checked), each with a
// new ID (the idempotency lookup misses and the ID is stored).
func BenchmarkLedgerTransferSerial(b *testing.B) {
	l := benchLedger(b, 1)
	ids := benchIDs("t", b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := l.CreateTransfer(ctx, Transfer{ID: ids[i], DebitAccountID: "wal0", CreditAccountID: "dst0", Amount: 1, Code: 2}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
}

// BenchmarkLedgerTransferParallel is the same from GOMAXPROCS goroutines,
// each on its own pair of accounts (the ledger serializes them anyway).
func BenchmarkLedgerTransferParallel(b *testing.B) {
	const pairs = 64
	l := benchLedger(b, pairs)
	ids := benchIDs("t", b.N)
	ctx := context.Background()
	var next, worker atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := strconv.Itoa(int(worker.Add(1)-1) % pairs)
		debit, credit := "wal"+s, "dst"+s
		for pb.Next() {
			i := next.Add(1) - 1
			if _, err := l.CreateTransfer(ctx, Transfer{ID: ids[i], DebitAccountID: debit, CreditAccountID: credit, Amount: 1, Code: 2}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
}

// BenchmarkBaselineMapMutex is the floor to compare with: a plain
// map[string]int64 of balances behind a sync.Mutex, debiting one key and
// crediting another, with no checks, history or idempotency.
func BenchmarkBaselineMapMutex(b *testing.B) {
	var mu sync.Mutex
	balances := map[string]int64{"wal0": math.MaxInt64 / 4, "dst0": 0}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		mu.Lock()
		balances["wal0"]--
		balances["dst0"]++
		mu.Unlock()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
}
