package gatt

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/paykit-go/paykit/ble"
	"github.com/paykit-go/paykit/pay"
	"tinygo.org/x/bluetooth"
)

// central is what a handheld needs from its Bluetooth stack: find a host,
// connect to it. adapterCentral is the real one; tests fake it.
type central interface {
	// scan returns the address of the first advertiser match accepts,
	// scanning until ctx ends.
	scan(ctx context.Context, match func(bluetooth.ScanResult) bool) (bluetooth.Address, error)
	// connect connects to addr and discovers the receipt service's
	// characteristics.
	connect(ctx context.Context, addr bluetooth.Address) (peer, error)
}

// peer is one connection to a host's receipt service.
type peer interface {
	// write sends p as a Write Command to the receipt characteristic.
	write(p []byte) error
	// subscribe enables notifications of the ack characteristic.
	subscribe(fn func([]byte)) error
	// mtu is the ATT MTU the stack negotiated.
	mtu() (int, error)
	// close unsubscribes and disconnects.
	close() error
}

// centralTransport is the handheld's side of a link. It keeps at most one
// connection and makes a new one when a write finds none.
type centralTransport struct {
	c       central
	hostID  string
	deliver func([]byte)

	mu     sync.Mutex // guards p and closed; held while connecting and writing
	p      peer
	closed bool
	m      atomic.Int32
}

// connect finds the host, connects, subscribes to acks and reads the MTU.
// t.mu is held.
func (t *centralTransport) connect(ctx context.Context) error {
	addr, err := t.c.scan(ctx, func(r bluetooth.ScanResult) bool { return isHost(r.AdvertisementPayload, t.hostID) })
	if err != nil {
		return err
	}
	p, err := t.c.connect(ctx, addr)
	if err != nil {
		return err
	}
	if err := p.subscribe(t.deliver); err != nil {
		_ = p.close()
		return pay.Errorf(ErrRadio, "", "subscribing to the ack characteristic failed").Wrap(err)
	}
	m, err := p.mtu()
	if err != nil {
		m = ble.DefaultMTU // the stack cannot say: assume the least
	}
	t.m.Store(int32(clampMTU(m)))
	t.p = p
	return nil
}

func (t *centralTransport) write(ctx context.Context, b []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ble.ErrLinkClosed
	}
	if t.p == nil {
		if err := t.connect(ctx); err != nil {
			return err
		}
		// A new connection may have negotiated a smaller MTU.
		if err := checkChunk(b, t.mtu()); err != nil {
			return err
		}
	}
	if err := t.p.write(b); err != nil {
		_ = t.p.close()
		t.p = nil
		return pay.Errorf(ErrRadio, "", "writing the receipt characteristic failed; the next send reconnects").Wrap(err)
	}
	return nil
}

func (t *centralTransport) mtu() int { return int(t.m.Load()) }

func (t *centralTransport) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	if t.p == nil {
		return nil
	}
	err := t.p.close()
	t.p = nil
	if err != nil {
		return pay.Errorf(ErrRadio, "", "disconnecting failed").Wrap(err)
	}
	return nil
}

// Dial makes this device a handheld: it scans with adapter (already
// enabled with Enable) for a collection host advertising the receipt
// service — the one with hostID, from the pairing QR, or any when hostID
// is empty — connects, discovers the receipt and ack characteristics,
// subscribes to acks and reads the negotiated MTU. It returns when
// connected, or fails when ctx ends first (ErrNoHost) or the stack fails
// (ErrRadio). Close disconnects.
func Dial(ctx context.Context, adapter *bluetooth.Adapter, hostID string) (*Link, error) {
	if adapter == nil {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "adapter", "a Bluetooth adapter is required")
	}
	return dial(ctx, &adapterCentral{a: adapter}, hostID)
}

// dial is Dial over any central.
func dial(ctx context.Context, c central, hostID string) (*Link, error) {
	l := newLink()
	t := &centralTransport{c: c, hostID: hostID, deliver: l.deliver}
	t.m.Store(ble.DefaultMTU)
	l.t = t
	t.mu.Lock()
	err := t.connect(ctx)
	t.mu.Unlock()
	if err != nil {
		l.cancel()
		return nil, err
	}
	return l, nil
}
