package sandbox

import (
	"fmt"
	"sync"
	"testing"

	"github.com/paykit-go/paykit/channel"
)

const goroutines = 64

func TestConcurrentDistinctCharges(t *testing.T) {
	h := newHarness(t, nil)
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	ids := make([]string, goroutines)
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := h.ch.CreateCharge(bg, chargeReq(fmt.Sprintf("ord_many_%02d", i), channel.ScenarioQR))
			errs[i], ids[i] = err, c.ProviderID
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		if seen[ids[i]] {
			t.Fatalf("provider ID %s given twice", ids[i])
		}
		seen[ids[i]] = true
	}
	if n := h.p.Accepted(); n != goroutines {
		t.Fatalf("Accepted() = %d, want %d", n, goroutines)
	}
}

func TestConcurrentSameCharge(t *testing.T) {
	h := newHarness(t, nil)
	req := chargeReq("ord_same", channel.ScenarioScanned)
	var wg sync.WaitGroup
	ids := make([]string, goroutines)
	errs := make([]error, goroutines)
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := h.ch.CreateCharge(bg, req)
			errs[i], ids[i] = err, c.ProviderID
		}()
	}
	wg.Wait()
	for i := range goroutines {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("create %d = %q, %v; want %q", i, ids[i], errs[i], ids[0])
		}
	}
	if n := h.p.Accepted(); n != 1 {
		t.Fatalf("Accepted() = %d, want 1", n)
	}
	h.rc.wait(t, channel.EventChargeSucceeded, req.ChargeID)
	if cbs := h.p.Callbacks(); len(cbs) != 1 {
		t.Fatalf("%d callbacks for one synchronous charge, want 1", len(cbs))
	}
}

// TestConcurrentPay: many payers race to pay one charge; exactly one wins.
func TestConcurrentPay(t *testing.T) {
	h := newHarness(t, nil)
	id := "ord_race"
	if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioQR)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if h.p.Pay(bg, id) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d payers won, want 1", wins)
	}
	if cbs := h.p.Callbacks(); len(cbs) != 1 {
		t.Fatalf("%d callbacks, want 1", len(cbs))
	}
}
