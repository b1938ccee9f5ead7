package ble

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// ErrLinkClosed: the link was closed (or, for a radio link, disconnected);
// nothing more is sent or received on it.
var ErrLinkClosed = &pay.Error{Code: "ble_link_closed", Message: "the link is closed", HTTPStatus: http.StatusServiceUnavailable}

// MaxMTU is the largest ATT MTU BLE negotiates (517: a 512-byte attribute
// value, the ATT opcode and handle).
const MaxMTU = 517

// memATTHeader is what an ATT write or notification spends of the MTU on
// its opcode and handle; a chunk is at most MTU-3 bytes.
const memATTHeader = 3

// MemLink is one end of an in-memory link (NewMemLink) that behaves like a
// poor radio: a negotiated MTU, and chunks lost, duplicated, delayed and
// reordered at random, from a seeded source, so a run's choices repeat. It
// is safe for concurrent use. Closing either end closes both, as a
// disconnection would.
type MemLink struct {
	sh  *memShared
	out *memDir // chunks this end sends
	in  *memDir // chunks this end receives
}

// MemLinkOption configures NewMemLink.
type MemLinkOption func(*memConfig) error

type memConfig struct {
	mtu                int
	loss, dup, reorder float64
	minDelay, maxDelay time.Duration
	seed               uint64
	queue              int
	reorderHold        time.Duration
}

// WithMTU sets the ATT MTU the ends negotiated, DefaultMTU (23) to MaxMTU
// (517); the default is DefaultMTU. Send refuses a chunk longer than
// MTU-3.
func WithMTU(n int) MemLinkOption {
	return func(c *memConfig) error {
		if n < DefaultMTU || n > MaxMTU {
			return pay.Errorf(pay.ErrInvalidRequest, "mtu", "the MTU must be %d to %d", DefaultMTU, MaxMTU)
		}
		c.mtu = n
		return nil
	}
}

// WithLoss drops each chunk sent with probability p (0 to 1; 1 is a link
// where nothing arrives). Dropped chunks are counted in MemLinkStats.
func WithLoss(p float64) MemLinkOption {
	return func(c *memConfig) error { return setProb(&c.loss, "loss", p) }
}

// WithDuplication delivers each chunk that was not lost twice with
// probability p, each copy with its own delay.
func WithDuplication(p float64) MemLinkOption {
	return func(c *memConfig) error { return setProb(&c.dup, "duplication", p) }
}

// WithReordering holds each delivered copy back with probability p until
// the next chunk sent the same way has arrived, then delivers it right
// after that one; if no chunk follows, it arrives after twice the maximum
// delay (at least 1 ms). So reordering needs no delay: with none, a held
// chunk swaps places with the next.
func WithReordering(p float64) MemLinkOption {
	return func(c *memConfig) error { return setProb(&c.reorder, "reordering", p) }
}

// WithDelay delays each chunk by a duration drawn uniformly from [min,
// max] (0 ≤ min ≤ max ≤ 10 s); the default is no delay. Chunks with equal
// delays arrive in the order sent.
func WithDelay(min, max time.Duration) MemLinkOption {
	return func(c *memConfig) error {
		if min < 0 || max < min || max > 10*time.Second {
			return pay.Errorf(pay.ErrInvalidRequest, "delay", "the delay must satisfy 0 ≤ min ≤ max ≤ 10s")
		}
		c.minDelay, c.maxDelay = min, max
		return nil
	}
}

// WithSeed seeds the link's random source (math/rand/v2 PCG); the default
// seed is 1. The same seed makes the same choices for the same sequence of
// sends; delivery timing still depends on the scheduler.
func WithSeed(seed uint64) MemLinkOption {
	return func(c *memConfig) error { c.seed = seed; return nil }
}

// WithQueue sets how many chunks may wait in each direction (default
// 4096); chunks sent to a full queue are dropped, as a radio's buffer
// overflows, and counted.
func WithQueue(n int) MemLinkOption {
	return func(c *memConfig) error {
		if n < 1 {
			return pay.Errorf(pay.ErrInvalidRequest, "queue", "the queue must hold at least one chunk")
		}
		c.queue = n
		return nil
	}
}

func setProb(dst *float64, param string, p float64) error {
	if !(p >= 0 && p <= 1) {
		return pay.Errorf(pay.ErrInvalidRequest, param, "the %s probability must be 0 to 1", param)
	}
	*dst = p
	return nil
}

// NewMemLink returns the two connected ends of a new in-memory link: what
// one Sends the other Recvs.
func NewMemLink(opts ...MemLinkOption) (a, b *MemLink, err error) {
	c := memConfig{mtu: DefaultMTU, seed: 1, queue: 4096}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, nil, err
		}
	}
	c.reorderHold = max(2*c.maxDelay, time.Millisecond)
	sh := &memShared{cfg: c, rng: rand.New(rand.NewPCG(c.seed, 0x70617962)), done: make(chan struct{})}
	ab, ba := newMemDir(), newMemDir()
	return &MemLink{sh: sh, out: ab, in: ba}, &MemLink{sh: sh, out: ba, in: ab}, nil
}

// MemLinkStats counts what happened to the chunks one end sent, and how
// many it received.
type MemLinkStats struct {
	// Sent is the chunks this end's Send accepted.
	Sent uint64
	// Dropped were lost (WithLoss); Overflowed found the queue full.
	Dropped, Overflowed uint64
	// Duplicated were delivered twice; Reordered copies were held back.
	Duplicated, Reordered uint64
	// Received is the chunks this end's Recv returned.
	Received uint64
}

// memShared is what both ends share: the configuration, the random source
// and the closed state, under one mutex that also guards both directions.
type memShared struct {
	cfg    memConfig
	mu     sync.Mutex
	rng    *rand.Rand
	closed bool
	done   chan struct{}
}

// memDir is one direction: chunks in flight ordered by arrival time (then
// by send order), and a wake-up for a waiting Recv.
type memDir struct {
	q     memQueue
	held  int // chunks in q held back for reordering
	seq   uint64
	wake  chan struct{}
	stats MemLinkStats // the sending end's counts; Received is the receiver's
}

func newMemDir() *memDir { return &memDir{wake: make(chan struct{}, 1)} }

type memItem struct {
	at   time.Time
	seq  uint64
	data []byte
	held bool // reordered: waits for the next chunk sent
}

// memQueue is a min-heap of items by (at, seq).
type memQueue []memItem

func (q memQueue) Len() int { return len(q) }
func (q memQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q memQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *memQueue) Push(x any)   { *q = append(*q, x.(memItem)) }
func (q *memQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = memItem{}
	*q = old[:len(old)-1]
	return it
}

// signal wakes one waiting Recv, if none is pending already.
func (d *memDir) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Send implements Link: it takes a copy of chunk, which must be 1 to
// MTU()-3 bytes, and returns at once; the chunk arrives (or not) as the
// link's options decide.
func (l *MemLink) Send(ctx context.Context, chunk []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(chunk) == 0 {
		return pay.Errorf(pay.ErrInvalidRequest, "chunk", "an empty chunk")
	}
	if len(chunk) > l.sh.cfg.mtu-memATTHeader {
		return pay.Errorf(ErrTooLarge, "chunk", "a %d-byte chunk exceeds the %d bytes an MTU of %d carries", len(chunk), l.sh.cfg.mtu-memATTHeader, l.sh.cfg.mtu)
	}
	sh, d := l.sh, l.out
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed {
		return pay.Errorf(ErrLinkClosed, "", "the link is closed")
	}
	d.stats.Sent++
	if sh.cfg.loss > 0 && sh.rng.Float64() < sh.cfg.loss {
		d.stats.Dropped++
		return nil
	}
	copies := 1
	if sh.cfg.dup > 0 && sh.rng.Float64() < sh.cfg.dup {
		copies = 2
		d.stats.Duplicated++
	}
	now := time.Now()
	for range copies {
		delay := sh.cfg.minDelay
		if span := sh.cfg.maxDelay - sh.cfg.minDelay; span > 0 {
			delay += time.Duration(sh.rng.Int64N(int64(span) + 1))
		}
		held := sh.cfg.reorder > 0 && sh.rng.Float64() < sh.cfg.reorder
		if d.q.Len() >= sh.cfg.queue {
			d.stats.Overflowed++
			continue
		}
		it := memItem{at: now.Add(delay), seq: d.seq, data: append([]byte(nil), chunk...)}
		d.seq++
		if held {
			d.stats.Reordered++
			it.at, it.held = it.at.Add(sh.cfg.reorderHold), true
			heap.Push(&d.q, it)
			d.held++
			continue
		}
		heap.Push(&d.q, it)
		d.release(it)
	}
	d.signal()
	return nil
}

// release moves the chunks held back for reordering to right after it,
// the chunk just sent.
func (d *memDir) release(it memItem) {
	for d.held > 0 {
		first := -1 // the held chunk sent first, to keep their order
		for i := range d.q {
			if d.q[i].held && d.q[i].at.After(it.at) && (first < 0 || d.q[i].seq < d.q[first].seq) {
				first = i
			}
		}
		if first < 0 {
			return
		}
		d.q[first].at, d.q[first].seq, d.q[first].held = it.at, d.seq, false
		d.seq++
		d.held--
		heap.Fix(&d.q, first)
	}
}

// Recv implements Link: it returns the next chunk that arrived, waiting
// for one until ctx ends (returning ctx.Err()) or the link closes
// (ErrLinkClosed). A chunk is never lost to a cancelled Recv.
func (l *MemLink) Recv(ctx context.Context) ([]byte, error) {
	sh, d := l.sh, l.in
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sh.mu.Lock()
		if sh.closed {
			sh.mu.Unlock()
			return nil, pay.Errorf(ErrLinkClosed, "", "the link is closed")
		}
		wait := time.Duration(-1)
		if d.q.Len() > 0 {
			if w := time.Until(d.q[0].at); w > 0 {
				wait = w
			} else {
				it := heap.Pop(&d.q).(memItem)
				if it.held {
					d.held-- // its hold ran out with nothing sent after it
				}
				d.stats.Received++
				if d.q.Len() > 0 {
					d.signal() // another Recv may be waiting for the rest
				}
				sh.mu.Unlock()
				return it.data, nil
			}
		}
		sh.mu.Unlock()
		var tc <-chan time.Time
		if wait >= 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-sh.done:
		case <-d.wake:
		case <-tc:
		}
	}
}

// MTU implements Link.
func (l *MemLink) MTU() int { return l.sh.cfg.mtu }

// Close closes both ends; pending and later Sends and Recvs fail with
// ErrLinkClosed, and chunks in flight are lost. Closing again does nothing.
func (l *MemLink) Close() error {
	l.sh.mu.Lock()
	defer l.sh.mu.Unlock()
	if !l.sh.closed {
		l.sh.closed = true
		close(l.sh.done)
	}
	return nil
}

// Stats returns the counts of the chunks this end sent, and of those it
// received.
func (l *MemLink) Stats() MemLinkStats {
	l.sh.mu.Lock()
	defer l.sh.mu.Unlock()
	s := l.out.stats
	s.Received = l.in.stats.Received
	return s
}
