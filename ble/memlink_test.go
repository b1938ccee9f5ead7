package ble

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// hfChunk is chunk i: its index in 4 bytes and a filler byte.
func hfChunk(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }

// hfRecvAll receives until n chunks arrived or the context ends.
func hfRecvAll(ctx context.Context, t *testing.T, l *MemLink, n int) [][]byte {
	t.Helper()
	var got [][]byte
	for len(got) < n {
		c, err := l.Recv(ctx)
		if err != nil {
			t.Fatalf("after %d of %d chunks: %v", len(got), n, err)
		}
		got = append(got, c)
	}
	return got
}

// TestMemLinkPerfect: without options every chunk arrives once, in order,
// unaltered, and the sender's buffer is not kept.
func TestMemLinkPerfect(t *testing.T) {
	a, b, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	if a.MTU() != DefaultMTU || b.MTU() != DefaultMTU {
		t.Fatalf("MTU %d, %d", a.MTU(), b.MTU())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	buf := make([]byte, 4)
	for i := range 100 {
		binary.BigEndian.PutUint32(buf, uint32(i))
		if err := a.Send(ctx, buf); err != nil {
			t.Fatal(err)
		}
	}
	buf[0] = 0xFF
	got := hfRecvAll(ctx, t, b, 100)
	for i, c := range got {
		if !bytes.Equal(c, hfChunk(i)) {
			t.Fatalf("chunk %d is %x", i, c)
		}
	}
	// And the other way.
	if err := b.Send(ctx, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if c, err := a.Recv(ctx); err != nil || !bytes.Equal(c, []byte{1}) {
		t.Fatalf("b→a: %x, %v", c, err)
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.Sent != 100 || sa.Received != 1 || sb.Sent != 1 || sb.Received != 100 || sa.Dropped+sa.Duplicated+sa.Reordered != 0 {
		t.Fatalf("stats a %+v, b %+v", sa, sb)
	}
}

// TestMemLinkMTU: a chunk of MTU-3 bytes goes, one byte more does not; the
// MTU option takes 23 to 517.
func TestMemLinkMTU(t *testing.T) {
	ctx := context.Background()
	for _, mtu := range []int{DefaultMTU, 64, 185, MaxMTU} {
		a, b, err := NewMemLink(WithMTU(mtu))
		if err != nil {
			t.Fatal(err)
		}
		if a.MTU() != mtu || b.MTU() != mtu {
			t.Fatalf("MTU %d, want %d", a.MTU(), mtu)
		}
		if err := a.Send(ctx, make([]byte, mtu-3)); err != nil {
			t.Fatalf("MTU %d: a full chunk: %v", mtu, err)
		}
		if err := a.Send(ctx, make([]byte, mtu-2)); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("MTU %d: an oversize chunk: %v", mtu, err)
		}
	}
	a, _, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, nil); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Fatalf("empty chunk: %v", err)
	}
	for _, opt := range []MemLinkOption{
		WithMTU(22), WithMTU(518), WithLoss(-0.1), WithLoss(1.1), WithDuplication(2), WithReordering(-1),
		WithDelay(-1, 0), WithDelay(2, 1), WithDelay(0, 11*time.Second), WithQueue(0),
	} {
		if _, _, err := NewMemLink(opt); !errors.Is(err, pay.ErrInvalidRequest) {
			t.Fatalf("a bad option was taken: %v", err)
		}
	}
}

// TestMemLinkSeededFaults: loss and duplication happen at the rates asked,
// every chunk not lost arrives (twice when duplicated), and the same seed
// makes the same choices.
func TestMemLinkSeededFaults(t *testing.T) {
	const n = 10000
	run := func(seed uint64) (MemLinkStats, [][]byte) {
		a, b, err := NewMemLink(WithLoss(0.2), WithDuplication(0.1), WithSeed(seed), WithQueue(2*n))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for i := range n {
			if err := a.Send(ctx, hfChunk(i)); err != nil {
				t.Fatal(err)
			}
		}
		s := a.Stats()
		if s.Overflowed != 0 {
			t.Fatalf("%d chunks overflowed", s.Overflowed)
		}
		return s, hfRecvAll(ctx, t, b, int(s.Sent-s.Dropped+s.Duplicated))
	}
	s1, got1 := run(42)
	s2, got2 := run(42)
	s3, _ := run(43)
	if s1.Dropped < 1800 || s1.Dropped > 2200 || s1.Duplicated < 650 || s1.Duplicated > 950 {
		t.Fatalf("dropped %d, duplicated %d of %d (want about 2000 and 800)", s1.Dropped, s1.Duplicated, n)
	}
	if s1 != s2 || len(got1) != len(got2) {
		t.Fatalf("the same seed made different choices: %+v vs %+v", s1, s2)
	}
	for i := range got1 {
		if !bytes.Equal(got1[i], got2[i]) {
			t.Fatalf("chunk %d differs between runs of one seed", i)
		}
	}
	if s1 == s3 {
		t.Fatalf("seeds 42 and 43 made the same choices: %+v", s1)
	}
	// In order (no delay, no reordering), each index at most twice.
	seen := map[uint32]int{}
	last := uint32(0)
	for _, c := range got1 {
		i := binary.BigEndian.Uint32(c)
		if i < last {
			t.Fatalf("chunk %d after %d without reordering", i, last)
		}
		last = i
		seen[i]++
		if seen[i] > 2 {
			t.Fatalf("chunk %d arrived %d times", i, seen[i])
		}
	}
	if len(seen) != n-int(s1.Dropped) {
		t.Fatalf("%d distinct chunks arrived, want %d", len(seen), n-int(s1.Dropped))
	}
}

// TestMemLinkReorderAndDelay: with reordering some chunks arrive after
// later ones, all arrive, and none before its delay.
func TestMemLinkReorderAndDelay(t *testing.T) {
	const n = 200
	a, b, err := NewMemLink(WithReordering(0.2), WithDelay(2*time.Millisecond, 3*time.Millisecond), WithSeed(5))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	for i := range n {
		if err := a.Send(ctx, hfChunk(i)); err != nil {
			t.Fatal(err)
		}
	}
	first, err := b.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 2*time.Millisecond {
		t.Fatalf("the first chunk arrived after %v, before the 2ms delay", d)
	}
	got := append([][]byte{first}, hfRecvAll(ctx, t, b, n-1)...)
	seen := map[uint32]bool{}
	inversions := 0
	for i, c := range got {
		v := binary.BigEndian.Uint32(c)
		seen[v] = true
		if i > 0 && v < binary.BigEndian.Uint32(got[i-1]) {
			inversions++
		}
	}
	if len(seen) != n || inversions == 0 || a.Stats().Reordered == 0 {
		t.Fatalf("%d distinct of %d, %d inversions, stats %+v", len(seen), n, inversions, a.Stats())
	}
}

// TestMemLinkCloseAndCancel: a Recv blocked when the peer closes returns
// ErrLinkClosed, as do later Sends and Recvs; a cancelled Recv loses no
// chunk.
func TestMemLinkCloseAndCancel(t *testing.T) {
	a, b, err := NewMemLink(WithDelay(20*time.Millisecond, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(context.Background(), []byte{7}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
	defer cancel()
	if _, err := b.Recv(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv before the chunk's delay = %v", err)
	}
	if c, err := b.Recv(context.Background()); err != nil || !bytes.Equal(c, []byte{7}) {
		t.Fatalf("the chunk after a cancelled Recv: %x, %v", c, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.Recv(context.Background())
		done <- err
	}()
	time.Sleep(5 * time.Millisecond)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrLinkClosed) {
			t.Fatalf("blocked Recv = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not wake a blocked Recv")
	}
	if err := b.Send(context.Background(), []byte{1}); !errors.Is(err, ErrLinkClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
	if _, err := a.Recv(context.Background()); !errors.Is(err, ErrLinkClosed) {
		t.Fatalf("Recv after Close = %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

// TestMemLinkQueueOverflow: chunks sent to a full queue are dropped and
// counted.
func TestMemLinkQueueOverflow(t *testing.T) {
	a, b, err := NewMemLink(WithQueue(3))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 5 {
		if err := a.Send(ctx, hfChunk(i)); err != nil {
			t.Fatal(err)
		}
	}
	if s := a.Stats(); s.Sent != 5 || s.Overflowed != 2 {
		t.Fatalf("stats %+v", s)
	}
	got := hfRecvAll(ctx, t, b, 3)
	for i, c := range got {
		if !bytes.Equal(c, hfChunk(i)) {
			t.Fatalf("chunk %d is %x", i, c)
		}
	}
}

// TestMemLinkConcurrent: 4 senders and 3 receivers on one direction, with
// delays, under -race: every chunk arrives exactly once.
func TestMemLinkConcurrent(t *testing.T) {
	const senders, each, receivers = 4, 1000, 3
	a, b, err := NewMemLink(WithDelay(0, 100*time.Microsecond), WithReordering(0.1))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var (
		mu   sync.Mutex
		seen = map[uint32]int{}
		wg   sync.WaitGroup
	)
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				if err := a.Send(ctx, hfChunk(s*each+i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var rg sync.WaitGroup
	for range receivers {
		rg.Go(func() {
			for {
				c, err := b.Recv(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				seen[binary.BigEndian.Uint32(c)]++
				total := len(seen)
				mu.Unlock()
				if total == senders*each {
					cancel()
				}
			}
		})
	}
	wg.Wait()
	rg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != senders*each {
		t.Fatalf("%d distinct chunks arrived, want %d", len(seen), senders*each)
	}
	for v, k := range seen {
		if k != 1 {
			t.Fatalf("chunk %d arrived %d times", v, k)
		}
	}
	if s := b.Stats(); s.Received != senders*each {
		t.Fatalf("received %d", s.Received)
	}
}
