package stripe

import "sync"

// idCache is a bounded map from merchant-side IDs to Stripe IDs, so calls
// after CreateCharge, Refund or SignAgreement in the same process need no
// search. It forgets the oldest entry when full; a miss is always answered
// by asking Stripe, never by guessing.
type idCache[V any] struct {
	mu   sync.Mutex
	m    map[string]V
	ring []string
	next int
}

func newIDCache[V any](size int) *idCache[V] {
	return &idCache[V]{m: make(map[string]V), ring: make([]string, size)}
}

func (c *idCache[V]) get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *idCache[V]) put(k string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

// update applies fn to the entry for k (the zero value when absent) and
// stores the result, atomically.
func (c *idCache[V]) update(k string, fn func(*V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.m[k]
	fn(&v)
	c.putLocked(k, v)
}

func (c *idCache[V]) putLocked(k string, v V) {
	if _, ok := c.m[k]; !ok {
		if old := c.ring[c.next]; old != "" {
			delete(c.m, old)
		}
		c.ring[c.next] = k
		c.next = (c.next + 1) % len(c.ring)
	}
	c.m[k] = v
}
