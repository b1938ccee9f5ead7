package alipay

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryDeduplicator(t *testing.T) {
	ctx := context.Background()
	d := NewMemoryDeduplicator()
	t0 := testStart
	seen := func(id string, now, exp time.Time) bool {
		t.Helper()
		dup, err := d.Seen(ctx, id, now, exp)
		if err != nil {
			t.Fatal(err)
		}
		return dup
	}
	if seen("a", t0, t0.Add(time.Hour)) {
		t.Fatal("first sight reported as duplicate")
	}
	if !seen("a", t0.Add(time.Minute), t0.Add(time.Hour)) {
		t.Fatal("second sight not a duplicate")
	}
	// A duplicate with a later expiry extends the memory.
	if !seen("a", t0.Add(2*time.Minute), t0.Add(3*time.Hour)) {
		t.Fatal("third sight not a duplicate")
	}
	if !seen("a", t0.Add(2*time.Hour), t0.Add(3*time.Hour)) {
		t.Fatal("memory was not extended")
	}
	// Expired: seen afresh.
	if seen("a", t0.Add(3*time.Hour), t0.Add(4*time.Hour)) {
		t.Fatal("expired id reported as duplicate")
	}
	if err := d.Forget(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if seen("a", t0.Add(3*time.Hour), t0.Add(4*time.Hour)) {
		t.Fatal("forgotten id reported as duplicate")
	}
}

func TestMemoryDeduplicatorSweeps(t *testing.T) {
	ctx := context.Background()
	d := NewMemoryDeduplicator()
	for i := range 100 {
		_, _ = d.Seen(ctx, string(rune('A'+i)), testStart, testStart.Add(time.Hour))
	}
	if d.Len() != 100 {
		t.Fatalf("Len = %d", d.Len())
	}
	_, _ = d.Seen(ctx, "late", testStart.Add(time.Hour+sweepInterval), testStart.Add(3*time.Hour))
	if d.Len() != 1 {
		t.Fatalf("Len after the window = %d, want 1", d.Len())
	}
}

func TestMemoryDeduplicatorConcurrent(t *testing.T) {
	ctx := context.Background()
	d := NewMemoryDeduplicator()
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dup, err := d.Seen(ctx, "same", testStart, testStart.Add(time.Hour))
			if err == nil && !dup {
				fresh.Add(1)
			}
		}()
	}
	wg.Wait()
	if fresh.Load() != 1 {
		t.Fatalf("%d goroutines saw the id first", fresh.Load())
	}
}
