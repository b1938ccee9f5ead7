package gatt

import (
	"context"
	"errors"
	"github.com/paykit-go/paykit/ble"
	"testing"
	"time"

	"tinygo.org/x/bluetooth"
)

// hgShop is a radio neighbourhood: a heart-rate strap, another shop's host
// and ours, heard in that order.
func hgShop(ourHost string) *hgCentral {
	hr, _ := bluetooth.ParseUUID("0000180d-0000-1000-8000-00805f9b34fb")
	return &hgCentral{heard: []bluetooth.ScanResult{
		hgScan("11:11:11:11:11:11", hgAdv{"strap", []bluetooth.UUID{hr}}),
		hgScan("22:22:22:22:22:22", hgAdv{AdvertisedName("host-next-door"), []bluetooth.UUID{ServiceUUID}}),
		hgScan("33:33:33:33:33:33", hgAdv{AdvertisedName(ourHost), []bluetooth.UUID{ServiceUUID}}),
	}, mtu: 185}
}

// Dial connects to the host named by the pairing's host ID (not the first
// host heard), takes the negotiated MTU, writes chunks to that host and
// receives its notifications.
func TestDialFindsItsHost(t *testing.T) {
	c := hgShop("host-ours")
	ctx := context.Background()
	l, err := dial(ctx, c, "host-ours")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := c.peer(0)
	if p.addr.String() != "33:33:33:33:33:33" {
		t.Errorf("connected to %s; want our host 33:33:…", p.addr)
	}
	if l.MTU() != 185 {
		t.Errorf("MTU %d; want the negotiated 185", l.MTU())
	}
	if err := l.Send(ctx, make([]byte, 182)); err != nil {
		t.Errorf("a 182-byte chunk at MTU 185: %v", err)
	}
	if err := l.Send(ctx, make([]byte, 183)); !errors.Is(err, ErrChunkSize) {
		t.Errorf("a 183-byte chunk at MTU 185: %v", err)
	}
	if !p.ack([]byte("ack 1")) {
		t.Fatal("Dial did not subscribe to acks")
	}
	got, err := l.Recv(ctx)
	if err != nil || string(got) != "ack 1" {
		t.Errorf("Recv = %q, %v", got, err)
	}
	if w, _ := p.state(); len(w) != 1 || len(w[0]) != 182 {
		t.Errorf("the host received %d writes", len(w))
	}

	// Without a host ID, the first paykit host heard.
	c2 := hgShop("host-ours")
	l2, err := dial(ctx, c2, "")
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if a := c2.peer(0).addr.String(); a != "22:22:22:22:22:22" {
		t.Errorf("without a host ID, connected to %s; want the first paykit host", a)
	}
}

// The MTU is what the stack says, within [23, 517], and 23 when the stack
// cannot say.
func TestDialMTU(t *testing.T) {
	for _, c := range []struct {
		stack int
		err   error
		want  int
	}{
		{23, nil, 23}, {64, nil, 64}, {247, nil, 247}, {0, nil, 23}, {9000, nil, ble.MaxMTU}, {185, errors.New("no MTU property"), 23},
	} {
		cen := hgShop("h")
		cen.mtu, cen.mtuErr = c.stack, c.err
		l, err := dial(context.Background(), cen, "h")
		if err != nil {
			t.Fatal(err)
		}
		if l.MTU() != c.want {
			t.Errorf("stack MTU %d (err %v): link MTU %d; want %d", c.stack, c.err, l.MTU(), c.want)
		}
		l.Close()
	}
}

// No host in range: Dial fails with ErrNoHost when its context ends. A
// failing connection or subscription fails Dial and leaves nothing open.
func TestDialFailures(t *testing.T) {
	c := hgShop("h")
	c.blockCtx = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := dial(ctx, c, "not-here"); !errors.Is(err, ErrNoHost) {
		t.Errorf("no such host: %v; want ErrNoHost", err)
	}

	c = hgShop("h")
	c.connErr = ErrRadio
	if _, err := dial(context.Background(), c, "h"); !errors.Is(err, ErrRadio) {
		t.Errorf("connect fails: %v", err)
	}

	c = hgShop("h")
	c.subErr = errors.New("CCCD write failed")
	if _, err := dial(context.Background(), c, "h"); !errors.Is(err, ErrRadio) || !errors.Is(err, c.subErr) {
		t.Errorf("subscribe fails: %v", err)
	}
	if _, closed := c.peer(0).state(); !closed {
		t.Error("a connection whose subscription failed was left open")
	}
	if _, err := Dial(context.Background(), nil, "h"); err == nil {
		t.Error("Dial without an adapter: no error")
	}
}

// A dropped connection: the failing write is reported as ErrRadio and the
// connection closed; the next Send scans, connects and subscribes again
// and goes through; acks arrive from the new connection.
func TestDialReconnects(t *testing.T) {
	c := hgShop("h")
	ctx := context.Background()
	l, err := dial(ctx, c, "h")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	first := c.peer(0)
	first.mu.Lock()
	first.failNext = true
	first.mu.Unlock()
	if err := l.Send(ctx, []byte("receipt 1/2")); !errors.Is(err, ErrRadio) || !errors.Is(err, errHGGone) {
		t.Fatalf("write on a dropped connection: %v; want ErrRadio", err)
	}
	if _, closed := first.state(); !closed {
		t.Error("the dropped connection was not closed")
	}
	if err := l.Send(ctx, []byte("receipt 1/2")); err != nil {
		t.Fatalf("the send after a drop: %v", err)
	}
	scans, peers := c.counts()
	if scans != 2 || peers != 2 {
		t.Errorf("%d scans, %d connections; want 2 and 2", scans, peers)
	}
	second := c.peer(1)
	if w, _ := second.state(); len(w) != 1 || string(w[0]) != "receipt 1/2" {
		t.Errorf("the new connection received %q", w)
	}
	if first.ack([]byte("stale")) {
		t.Error("the old connection still delivers acks")
	}
	if !second.ack([]byte("ack 1")) {
		t.Fatal("the new connection is not subscribed")
	}
	if got, _ := l.Recv(ctx); string(got) != "ack 1" {
		t.Errorf("Recv = %q", got)
	}
}

// A reconnecting Send blocked in a scan returns ble.ErrLinkClosed as soon as the
// link is closed, and the transport ends closed.
func TestCloseStopsReconnect(t *testing.T) {
	c := hgShop("h")
	l, err := dial(context.Background(), c, "h")
	if err != nil {
		t.Fatal(err)
	}
	c.peer(0).mu.Lock()
	c.peer(0).failNext = true
	c.peer(0).mu.Unlock()
	_ = l.Send(context.Background(), []byte{1}) // drops the connection
	c.mu.Lock()
	c.heard, c.blockCtx = nil, true // the host went away
	c.mu.Unlock()
	errs := make(chan error, 1)
	go func() { errs <- l.Send(context.Background(), []byte{2}) }()
	time.Sleep(20 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, ble.ErrLinkClosed) {
			t.Errorf("the reconnecting Send returned %v; want ble.ErrLinkClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not stop a reconnecting Send")
	}
	if err := l.Send(context.Background(), []byte{3}); !errors.Is(err, ble.ErrLinkClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if _, peers := c.counts(); peers != 1 {
		t.Errorf("%d connections made; want 1", peers)
	}
}

// Close disconnects the handheld's connection.
func TestDialClose(t *testing.T) {
	c := hgShop("h")
	l, err := dial(context.Background(), c, "h")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, closed := c.peer(0).state(); !closed {
		t.Error("Close left the connection open")
	}
}
