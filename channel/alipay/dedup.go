package alipay

import (
	"context"
	"sync"
	"time"
)

// Deduplicator remembers the notify_ids of notifications already accepted,
// for as long as a copy of them could still pass the freshness check. Alipay
// re-sends a notification with the same notify_id until it is answered
// "success", and anyone who captured one could post it again; Alipay does
// not de-duplicate for the merchant. Implement it over a shared store
// (Redis SET NX with an expiry, a table with a unique key) when several
// instances receive notifications. Implementations must be safe for
// concurrent use.
type Deduplicator interface {
	// Seen records id as seen until expires and reports whether it was
	// already recorded and not yet expired at now. Recording an id that is
	// present keeps the later of the two expiries. Of several concurrent
	// calls with one id, exactly one may report false.
	Seen(ctx context.Context, id string, now, expires time.Time) (bool, error)
	// Forget removes id, so that the next notification carrying it is
	// accepted again.
	Forget(ctx context.Context, id string) error
}

// sweepInterval is how often MemoryDeduplicator drops expired IDs.
const sweepInterval = time.Minute

// MemoryDeduplicator is an in-process Deduplicator: a map from notify_id
// to its expiry, swept of expired entries at most once a minute while it
// is used. Memory is proportional to the notifications accepted within the
// window (about 100 bytes each). It is safe for concurrent use; the zero
// value is not, use NewMemoryDeduplicator.
type MemoryDeduplicator struct {
	mu        sync.Mutex
	seen      map[string]time.Time
	lastSweep time.Time
}

// NewMemoryDeduplicator returns an empty MemoryDeduplicator.
func NewMemoryDeduplicator() *MemoryDeduplicator {
	return &MemoryDeduplicator{seen: make(map[string]time.Time)}
}

// Seen implements Deduplicator.
func (d *MemoryDeduplicator) Seen(_ context.Context, id string, now, expires time.Time) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.lastSweep) >= sweepInterval || now.Before(d.lastSweep) {
		for k, exp := range d.seen {
			if !now.Before(exp) {
				delete(d.seen, k)
			}
		}
		d.lastSweep = now
	}
	exp, ok := d.seen[id]
	dup := ok && now.Before(exp)
	if !dup || expires.After(exp) {
		d.seen[id] = expires
	}
	return dup, nil
}

// Forget implements Deduplicator.
func (d *MemoryDeduplicator) Forget(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, id)
	return nil
}

// Len returns how many IDs are remembered, expired ones not yet swept
// included.
func (d *MemoryDeduplicator) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}
