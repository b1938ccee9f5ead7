package gatt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/paykit-go/paykit/ble"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

func hgSHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Send writes chunks of 1 to MTU-3 bytes as they are and refuses the rest
// without writing anything.
func TestSendChunkSize(t *testing.T) {
	for _, mtu := range []int{23, 64, 185, ble.MaxMTU} {
		l, tr := hgLink(mtu)
		ctx := context.Background()
		for _, n := range []int{0, mtu - 2, mtu + 10} {
			err := l.Send(ctx, make([]byte, n))
			if !errors.Is(err, ErrChunkSize) {
				t.Errorf("MTU %d: a %d-byte chunk: err = %v; want ErrChunkSize", mtu, n, err)
			}
			if pe, ok := errors.AsType[*pay.Error](err); !ok || pe.Param != "chunk" {
				t.Errorf("MTU %d: %d bytes: error %v does not name the chunk", mtu, n, err)
			}
		}
		if len(tr.chunks()) != 0 {
			t.Fatalf("MTU %d: refused chunks were written", mtu)
		}
		full := bytes.Repeat([]byte{0xA5}, mtu-3)
		for _, c := range [][]byte{{1}, full} {
			if err := l.Send(ctx, c); err != nil {
				t.Fatalf("MTU %d: a %d-byte chunk: %v", mtu, len(c), err)
			}
		}
		if got := tr.chunks(); len(got) != 2 || !bytes.Equal(got[0], []byte{1}) || !bytes.Equal(got[1], full) {
			t.Errorf("MTU %d: written %x", mtu, got)
		}
		if l.MTU() != mtu {
			t.Errorf("MTU() = %d; want %d", l.MTU(), mtu)
		}
	}
}

// Received chunks come out of Recv in order, as copies; Recv honours its
// context.
func TestRecv(t *testing.T) {
	l, _ := hgLink(23)
	src := []byte("chunk-one")
	l.deliver(src)
	l.deliver([]byte("chunk-two"))
	copy(src, "XXXXXXXXX") // the stack reuses its buffer
	ctx := context.Background()
	for _, want := range []string{"chunk-one", "chunk-two"} {
		got, err := l.Recv(ctx)
		if err != nil || string(got) != want {
			t.Fatalf("Recv = %q, %v; want %q", got, err, want)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := l.Recv(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Recv on an idle link: %v; want the context's deadline", err)
	}
	if l.Dropped() != 0 {
		t.Errorf("Dropped = %d; want 0", l.Dropped())
	}
}

// A reader that falls behind loses the newest chunks, counted, and never
// blocks the stack; empty and oversized chunks are dropped too.
func TestQueueFull(t *testing.T) {
	l, _ := hgLink(23)
	for i := range QueueLen + 5 {
		l.deliver([]byte(fmt.Sprint(i)))
	}
	l.deliver(nil)
	l.deliver(make([]byte, ble.MaxMTU-2))
	if got := l.Dropped(); got != 7 {
		t.Errorf("Dropped = %d; want 7 (5 past the queue, one empty, one oversized)", got)
	}
	for i := range QueueLen {
		got, err := l.Recv(context.Background())
		if err != nil || string(got) != fmt.Sprint(i) {
			t.Fatalf("chunk %d: %q, %v", i, got, err)
		}
	}
	l.deliver([]byte("after"))
	if got, _ := l.Recv(context.Background()); string(got) != "after" {
		t.Errorf("after draining, Recv = %q; want the next chunk", got)
	}
}

// Close ends waiting and later calls with ble.ErrLinkClosed, closes the transport
// once, and drops chunks that arrive afterwards.
func TestClose(t *testing.T) {
	l, tr := hgLink(23)
	errs := make(chan error, 1)
	go func() {
		_, err := l.Recv(context.Background())
		errs <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, ble.ErrLinkClosed) {
			t.Errorf("a waiting Recv returned %v; want ble.ErrLinkClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not wake a waiting Recv")
	}
	if err := l.Close(); err != nil || tr.closed != 1 {
		t.Errorf("second Close: %v, transport closed %d times; want once", err, tr.closed)
	}
	if err := l.Send(context.Background(), []byte{1}); !errors.Is(err, ble.ErrLinkClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if _, err := l.Recv(context.Background()); !errors.Is(err, ble.ErrLinkClosed) {
		t.Errorf("Recv after Close: %v", err)
	}
	l.deliver([]byte{1})
	if l.Dropped() != 1 || len(tr.chunks()) != 0 {
		t.Errorf("after Close: dropped %d, written %d", l.Dropped(), len(tr.chunks()))
	}
}

// A cancelled context stops Send before anything is written.
func TestSendCancelled(t *testing.T) {
	l, tr := hgLink(23)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Send(ctx, []byte{1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: %v", err)
	}
	if len(tr.chunks()) != 0 {
		t.Error("a cancelled Send wrote")
	}
}

// Concurrent senders and receivers: every chunk is written exactly once,
// every delivered chunk is received exactly once.
func TestConcurrentSendRecv(t *testing.T) {
	const senders, each = 8, 200
	l, tr := hgLink(23)
	ctx := context.Background()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				if err := l.Send(ctx, []byte{byte(s), byte(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	got := make(chan []byte, senders*each)
	for range 4 {
		wg.Go(func() {
			for range senders * each / 4 {
				c, err := l.Recv(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				got <- c
			}
		})
	}
	for s := range senders {
		for i := range each {
			for {
				before := l.Dropped()
				l.deliver([]byte{byte(s), byte(i)})
				if l.Dropped() == before {
					break
				}
				time.Sleep(time.Millisecond) // queue full: the test retransmits
			}
		}
	}
	wg.Wait()
	close(got)
	seen := map[[2]byte]int{}
	for c := range got {
		seen[[2]byte(c)]++
	}
	written := map[[2]byte]int{}
	for _, c := range tr.chunks() {
		written[[2]byte(c)]++
	}
	if len(seen) != senders*each || len(written) != senders*each {
		t.Fatalf("received %d distinct chunks, written %d; want %d each", len(seen), len(written), senders*each)
	}
	for k, n := range seen {
		if n != 1 || written[k] != 1 {
			t.Fatalf("chunk %x received %d and written %d times; want once", k, n, written[k])
		}
	}
	// Each sender's chunks were written in its order.
	next := make([]int, senders)
	for _, c := range tr.chunks() {
		if int(c[1]) != next[c[0]]%256 {
			t.Fatalf("sender %d: chunk %d written out of order", c[0], c[1])
		}
		next[c[0]]++
	}
}

func TestClampMTU(t *testing.T) {
	for in, want := range map[int]int{0: 23, 22: 23, 23: 23, 64: 64, 517: 517, 518: 517, 65535: 517} {
		if got := clampMTU(in); got != want {
			t.Errorf("clampMTU(%d) = %d; want %d", in, got, want)
		}
	}
}
