package gatt

import (
	"bytes"
	"context"
	"errors"
	"github.com/paykit-go/paykit/ble"
	"testing"

	"tinygo.org/x/bluetooth"
)

// hgHost builds the host's service around a fake notifier, as Advertise
// does around the stack, and returns the receipt characteristic's write
// handler as the stack would call it.
func hgHost(t *testing.T) (*Link, *bluetooth.Service, func(offset int, v []byte), *[][]byte) {
	t.Helper()
	h := newHostTransport()
	l := newLink()
	l.t = h
	var ack bluetooth.Characteristic
	svc := hostService(h, l, &ack)
	var notified [][]byte
	h.notify = func(p []byte) error { notified = append(notified, append([]byte(nil), p...)); return nil }
	h.stop = func() error { return nil }
	write := func(offset int, v []byte) { svc.Characteristics[0].WriteEvent(0, offset, v) }
	return l, svc, write, &notified
}

// The service the host registers: the receipt characteristic takes writes
// without response, the ack characteristic notifies and has no write
// handler (so a notification is never read back as a receipt chunk), and
// its handle is the one the host notifies through.
func TestHostService(t *testing.T) {
	h := newHostTransport()
	l := newLink()
	var ack bluetooth.Characteristic
	svc := hostService(h, l, &ack)
	if svc.UUID != ServiceUUID || len(svc.Characteristics) != 2 {
		t.Fatalf("service %v with %d characteristics", svc.UUID, len(svc.Characteristics))
	}
	rx, tx := svc.Characteristics[0], svc.Characteristics[1]
	if rx.UUID != ReceiptCharUUID || !rx.Flags.WriteWithoutResponse() || rx.Flags.Notify() || rx.WriteEvent == nil {
		t.Errorf("receipt characteristic %v flags %b", rx.UUID, rx.Flags)
	}
	if tx.UUID != AckCharUUID || !tx.Flags.Notify() || tx.Flags.Write() || tx.Flags.WriteWithoutResponse() || tx.WriteEvent != nil || tx.Handle != &ack {
		t.Errorf("ack characteristic %v flags %b, write handler %v", tx.UUID, tx.Flags, tx.WriteEvent != nil)
	}
}

// The host starts at MTU 23 and raises it only to what a write proves; a
// write at an offset is dropped; chunks reach Recv in order.
func TestHostLearnsMTU(t *testing.T) {
	l, _, write, _ := hgHost(t)
	if l.MTU() != 23 {
		t.Fatalf("a new host's MTU = %d; want 23", l.MTU())
	}
	steps := []struct {
		offset, n int
		mtu       int
		queued    bool
	}{
		{0, 20, 23, true},
		{0, 61, 64, true},
		{0, 10, 64, true},                     // a short write does not lower it
		{4, 180, 64, false},                   // part of a long write: dropped, proves nothing
		{-1, 5, 64, false},                    // a stack's odd offset
		{0, ble.MaxMTU - 2, 64, false},        // no ATT packet is that long
		{0, 0, 64, false},                     // empty
		{0, 182, 185, true},                   //
		{0, ble.MaxMTU - 3, ble.MaxMTU, true}, // the largest
		{0, 1, ble.MaxMTU, true},
	}
	queued := 0
	for i, s := range steps {
		v := bytes.Repeat([]byte{byte(i + 1)}, s.n)
		write(s.offset, v)
		if s.queued {
			queued++
		}
		if got := l.t.(*hostTransport).learnedMTU(); got != s.mtu {
			t.Errorf("step %d (offset %d, %d bytes): learned MTU %d; want %d", i, s.offset, s.n, got, s.mtu)
		}
		if l.MTU() != ble.DefaultMTU {
			t.Errorf("step %d: the host sends at MTU %d; want %d whatever it learned", i, l.MTU(), ble.DefaultMTU)
		}
	}
	if want := uint64(len(steps) - queued); l.Dropped() != want {
		t.Errorf("Dropped = %d; want %d", l.Dropped(), want)
	}
	for i, s := range steps {
		if !s.queued {
			continue
		}
		got, err := l.Recv(context.Background())
		if err != nil || len(got) != s.n || got[0] != byte(i+1) {
			t.Fatalf("step %d: Recv %d bytes, %v; want its %d-byte chunk", i, len(got), err, s.n)
		}
	}
}

// The host's Send notifies the ack characteristic within the default MTU
// even after a central proved a larger one (another central may not have
// negotiated anything); a failing stack is reported as ErrRadio.
func TestHostSend(t *testing.T) {
	l, _, write, notified := hgHost(t)
	ctx := context.Background()
	if err := l.Send(ctx, make([]byte, 21)); !errors.Is(err, ErrChunkSize) {
		t.Errorf("21 bytes at MTU 23: %v; want ErrChunkSize", err)
	}
	write(0, make([]byte, 40))
	if err := l.Send(ctx, bytes.Repeat([]byte{7}, 21)); !errors.Is(err, ErrChunkSize) {
		t.Errorf("21 bytes after a 40-byte write: %v; want ErrChunkSize (the host sends at MTU 23)", err)
	}
	if err := l.Send(ctx, bytes.Repeat([]byte{7}, 20)); err != nil {
		t.Errorf("20 bytes: %v", err)
	}
	if len(*notified) != 1 || len((*notified)[0]) != 20 {
		t.Errorf("notified %x", *notified)
	}
	h := l.t.(*hostTransport)
	cause := errors.New("org.bluez.Error.Failed")
	h.notify = func([]byte) error { return cause }
	if err := l.Send(ctx, []byte{1}); !errors.Is(err, ErrRadio) || !errors.Is(err, cause) {
		t.Errorf("a failing notify: %v; want ErrRadio wrapping the stack's error", err)
	}
	h.stop = func() error { return cause }
	if err := l.Close(); !errors.Is(err, ErrRadio) || !errors.Is(err, cause) {
		t.Errorf("Close with a failing stack: %v", err)
	}
}

func TestAdvertiseRefusesEmptyHostID(t *testing.T) {
	if err := checkHostID(""); err == nil {
		t.Error("an empty host ID was accepted")
	}
	if err := checkHostID("host_1"); err != nil {
		t.Error(err)
	}
	if _, err := Advertise(nil, "host_1"); err == nil {
		t.Error("Advertise without an adapter: no error")
	}
}

// Whatever a connected central writes, the host neither panics nor leaves
// the MTU outside [23, ble.MaxMTU], and a chunk is either queued intact or
// counted as dropped.
func FuzzHostWrite(f *testing.F) {
	f.Add(0, []byte{0x81, 0x00, 0x10})
	f.Add(3, []byte{1, 2})
	f.Add(0, []byte{})
	f.Add(0, make([]byte, 600))
	f.Fuzz(func(t *testing.T, offset int, v []byte) {
		h := newHostTransport()
		l := newLink()
		l.t = h
		var ack bluetooth.Characteristic
		hostService(h, l, &ack).Characteristics[0].WriteEvent(0, offset, v)
		if m := l.MTU(); m < 23 || m > ble.MaxMTU {
			t.Fatalf("MTU %d", m)
		}
		select {
		case got := <-l.in:
			if !bytes.Equal(got, v) || l.Dropped() != 0 {
				t.Fatalf("queued %x for %x, dropped %d", got, v, l.Dropped())
			}
		default:
			if l.Dropped() != 1 {
				t.Fatalf("nothing queued and %d dropped", l.Dropped())
			}
		}
	})
}
