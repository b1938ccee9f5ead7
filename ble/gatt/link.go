package gatt

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/paykit-go/paykit/ble"
	"github.com/paykit-go/paykit/pay"
)

// QueueLen is how many received chunks a Link holds until Recv takes them;
// chunks arriving at a full queue are dropped and counted (see Dropped).
// 64 chunks are 32 receipts at the default MTU, far more than a handheld
// keeps in flight.
const QueueLen = 64

// transport is one side of a GATT connection as a Link sees it: the host's
// ack characteristic or the handheld's connection to the receipt
// characteristic. Tests fake it.
type transport interface {
	// write sends one chunk as one ATT Write Command or notification.
	write(ctx context.Context, p []byte) error
	// mtu is the ATT MTU in use now, already clamped to [23, ble.MaxMTU].
	mtu() int
	// close releases the Bluetooth resources.
	close() error
}

// Link is a ble.Link over a GATT connection: the host's (Advertise) or the
// handheld's (Dial). It is safe for concurrent use; chunks are written in
// the order Send is called.
type Link struct {
	t transport

	in      chan []byte
	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	once    sync.Once
	closeEr error

	wmu     sync.Mutex // one ATT write at a time, in Send order
	dropped atomic.Uint64
}

var _ ble.Link = (*Link)(nil)

// newLink returns a link with no transport yet; the caller sets l.t before
// handing the link out, so that the transport's callbacks can reach
// l.deliver.
func newLink() *Link {
	ctx, cancel := context.WithCancel(context.Background())
	return &Link{in: make(chan []byte, QueueLen), ctx: ctx, cancel: cancel}
}

// deliver queues a copy of a received chunk for Recv. It never blocks: the
// Bluetooth stack calls it on its own goroutine. Empty chunks, chunks no
// ATT packet can carry, chunks after Close and chunks arriving at a full
// queue are dropped and counted.
func (l *Link) deliver(p []byte) {
	if len(p) == 0 || len(p) > ble.MaxMTU-3 || l.ctx.Err() != nil {
		l.dropped.Add(1)
		return
	}
	c := append([]byte(nil), p...) // stacks may reuse their buffer
	select {
	case l.in <- c:
	default:
		l.dropped.Add(1)
	}
}

// Send writes chunk as one ATT packet: a Write Command to the receipt
// characteristic from the handheld, a notification on the ack
// characteristic from the host. The chunk must hold 1 to MTU()-3 bytes
// (ErrChunkSize). A handheld whose connection dropped connects again first,
// within ctx. Send fails with ble.ErrLinkClosed after Close, with ctx's
// error when ctx ends first, and with ErrRadio when the stack refuses the
// write; the chunk is then lost, as any BLE packet may be, and the
// protocol above retransmits.
func (l *Link) Send(ctx context.Context, chunk []byte) error {
	if l.ctx.Err() != nil {
		return ble.ErrLinkClosed
	}
	if err := checkChunk(chunk, l.t.mtu()); err != nil {
		return err
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(l.ctx, func() { cancel(ble.ErrLinkClosed) })
	defer stop()
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if err := l.t.write(ctx, chunk); err != nil {
		if l.ctx.Err() != nil {
			return ble.ErrLinkClosed
		}
		return err
	}
	return nil
}

// checkChunk checks that chunk fits one ATT packet at mtu.
func checkChunk(chunk []byte, mtu int) error {
	if len(chunk) == 0 || len(chunk) > mtu-3 {
		return pay.Errorf(ErrChunkSize, "chunk", "chunk of %d bytes; an ATT packet at MTU %d carries 1 to %d", len(chunk), mtu, mtu-3)
	}
	return nil
}

// Recv returns the next chunk received, waiting until one arrives, ctx
// ends (ctx's error) or the link is closed (ble.ErrLinkClosed). Each chunk
// is a fresh copy the caller may keep.
func (l *Link) Recv(ctx context.Context) ([]byte, error) {
	if l.ctx.Err() != nil {
		return nil, ble.ErrLinkClosed
	}
	select {
	case c := <-l.in:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.ctx.Done():
		return nil, ble.ErrLinkClosed
	}
}

// MTU is the ATT MTU in use: for a handheld, what the stack negotiated; for
// a host, 23 raised by the longest write received (see the package doc).
// It is between 23 and ble.MaxMTU.
func (l *Link) MTU() int { return l.t.mtu() }

// Dropped counts the chunks received but dropped: the queue was full, the
// link was closed, or the chunk was empty, oversized or written at an
// offset.
func (l *Link) Dropped() uint64 { return l.dropped.Load() }

// Close ends the link: a handheld disconnects, a host stops advertising and
// removes its service. Pending and later Send and Recv calls return
// ble.ErrLinkClosed. Close is idempotent and returns the first close's
// error.
func (l *Link) Close() error {
	l.once.Do(func() {
		l.cancel()
		l.closeEr = l.t.close()
	})
	return l.closeEr
}

// clampMTU brings an MTU a stack reported into [ble.DefaultMTU, ble.MaxMTU].
func clampMTU(n int) int {
	return min(max(n, ble.DefaultMTU), ble.MaxMTU)
}
