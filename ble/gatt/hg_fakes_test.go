package gatt

import (
	"context"
	"errors"
	"sync"

	"tinygo.org/x/bluetooth"
)

// hgTransport is a fake transport recording what is written.
type hgTransport struct {
	mu      sync.Mutex
	m       int
	written [][]byte
	fail    error
	closed  int
}

func (t *hgTransport) write(_ context.Context, p []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail != nil {
		return t.fail
	}
	t.written = append(t.written, append([]byte(nil), p...))
	return nil
}

func (t *hgTransport) mtu() int { return t.m }

func (t *hgTransport) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed++
	return nil
}

func (t *hgTransport) chunks() [][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([][]byte(nil), t.written...)
}

func hgLink(mtu int) (*Link, *hgTransport) {
	t := &hgTransport{m: mtu}
	l := newLink()
	l.t = t
	return l, t
}

// hgAdv is an advertisement payload.
type hgAdv struct {
	name  string
	uuids []bluetooth.UUID
}

func (a hgAdv) LocalName() string { return a.name }
func (a hgAdv) HasServiceUUID(u bluetooth.UUID) bool {
	for _, x := range a.uuids {
		if x == u {
			return true
		}
	}
	return false
}
func (a hgAdv) ServiceUUIDs() []bluetooth.UUID                        { return a.uuids }
func (a hgAdv) Bytes() []byte                                         { return nil }
func (a hgAdv) ManufacturerData() []bluetooth.ManufacturerDataElement { return nil }
func (a hgAdv) ServiceData() []bluetooth.ServiceDataElement           { return nil }

// hgCentral is a fake stack: it "hears" its advertisers in order, and each
// connect makes a new hgPeer.
type hgCentral struct {
	mu       sync.Mutex
	heard    []bluetooth.ScanResult
	peers    []*hgPeer
	scans    int
	connErr  error
	subErr   error
	mtu      int
	mtuErr   error
	blockCtx bool // scan waits for ctx when nothing matches
}

func (c *hgCentral) scan(ctx context.Context, match func(bluetooth.ScanResult) bool) (bluetooth.Address, error) {
	c.mu.Lock()
	c.scans++
	heard := c.heard
	block := c.blockCtx
	c.mu.Unlock()
	for _, r := range heard {
		if match(r) {
			return r.Address, nil
		}
	}
	if block {
		<-ctx.Done()
	}
	return bluetooth.Address{}, ErrNoHost.Wrap(ctx.Err())
}

func (c *hgCentral) connect(_ context.Context, addr bluetooth.Address) (peer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.connErr != nil {
		return nil, c.connErr
	}
	p := &hgPeer{addr: addr, m: c.mtu, mtuErr: c.mtuErr, subErr: c.subErr}
	c.peers = append(c.peers, p)
	return p, nil
}

func (c *hgCentral) peer(i int) *hgPeer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peers[i]
}

func (c *hgCentral) counts() (scans, peers int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scans, len(c.peers)
}

// hgPeer is a fake connection.
type hgPeer struct {
	mu       sync.Mutex
	addr     bluetooth.Address
	m        int
	mtuErr   error
	subErr   error
	notify   func([]byte)
	written  [][]byte
	failNext bool
	closed   bool
}

var errHGGone = errors.New("hg: connection lost")

func (p *hgPeer) write(b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.failNext {
		return errHGGone
	}
	p.written = append(p.written, append([]byte(nil), b...))
	return nil
}

func (p *hgPeer) subscribe(fn func([]byte)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.subErr != nil {
		return p.subErr
	}
	p.notify = fn
	return nil
}

func (p *hgPeer) mtu() (int, error) { return p.m, p.mtuErr }

func (p *hgPeer) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.notify = nil
	return nil
}

// ack plays the host notifying p; it reports whether p was subscribed.
func (p *hgPeer) ack(b []byte) bool {
	p.mu.Lock()
	fn := p.notify
	p.mu.Unlock()
	if fn == nil {
		return false
	}
	fn(b)
	return true
}

func (p *hgPeer) state() (written [][]byte, closed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.written...), p.closed
}

func hgScan(mac string, adv hgAdv) bluetooth.ScanResult {
	m, err := bluetooth.ParseMAC(mac)
	if err != nil {
		panic(err)
	}
	return bluetooth.ScanResult{Address: bluetooth.Address{MACAddress: bluetooth.MACAddress{MAC: m}}, AdvertisementPayload: adv}
}
