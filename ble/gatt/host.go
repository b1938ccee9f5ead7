package gatt

import (
	"context"
	"sync/atomic"

	"github.com/paykit-go/paykit/ble"
	"github.com/paykit-go/paykit/pay"
	"tinygo.org/x/bluetooth"
)

// hostTransport is the host's side: chunks go out as notifications on the
// ack characteristic, chunks come in as writes to the receipt
// characteristic.
type hostTransport struct {
	notify  func(p []byte) error // writes the ack characteristic's value
	stop    func() error         // stops advertising, removes the service
	learned atomic.Int32         // the MTU proven by the longest write
}

func newHostTransport() *hostTransport {
	h := &hostTransport{}
	h.learned.Store(ble.DefaultMTU)
	return h
}

func (h *hostTransport) write(_ context.Context, p []byte) error {
	if err := h.notify(p); err != nil {
		return pay.Errorf(ErrRadio, "", "notifying the ack characteristic failed").Wrap(err)
	}
	return nil
}

// mtu is what the host fragments its notifications at: always the
// default MTU. The stack doesn't say which central wrote, so the learned
// value (the longest write seen) may belong to another central; one that
// negotiated nothing can only take 20-byte notifications. Host messages
// (acks, pair responses) are small, so this costs at most a packet.
func (h *hostTransport) mtu() int { return ble.DefaultMTU }

// learnedMTU is the largest MTU a central's writes have shown (statistics).
func (h *hostTransport) learnedMTU() int { return int(h.learned.Load()) }

func (h *hostTransport) close() error {
	if err := h.stop(); err != nil {
		return pay.Errorf(ErrRadio, "", "stopping the receipt service failed").Wrap(err)
	}
	return nil
}

// onWrite handles a write to the receipt characteristic: a write at an
// offset (part of a long write, which the protocol never uses) is dropped;
// any other raises the MTU to what the write proves, then is delivered.
func (h *hostTransport) onWrite(l *Link, offset int, value []byte) {
	if offset != 0 {
		l.dropped.Add(1)
		return
	}
	if n := len(value); n > 0 && n <= ble.MaxMTU-3 {
		proven := int32(clampMTU(n + 3))
		for {
			cur := h.learned.Load()
			if proven <= cur || h.learned.CompareAndSwap(cur, proven) {
				break
			}
		}
	}
	l.deliver(value)
}

// hostService is the receipt service a host registers: the receipt
// characteristic (write without response, and write for stacks that only
// offer requests) delivering to h and l, and the ack characteristic
// (notify, and read), whose handle ack receives. The ack characteristic
// has no write handler, so a notification is never fed back as a receipt
// chunk.
func hostService(h *hostTransport, l *Link, ack *bluetooth.Characteristic) *bluetooth.Service {
	return &bluetooth.Service{
		UUID: ServiceUUID,
		Characteristics: []bluetooth.CharacteristicConfig{
			{
				UUID:  ReceiptCharUUID,
				Flags: bluetooth.CharacteristicWriteWithoutResponsePermission | bluetooth.CharacteristicWritePermission,
				WriteEvent: func(_ bluetooth.Connection, offset int, value []byte) {
					h.onWrite(l, offset, value)
				},
			},
			{
				Handle: ack,
				UUID:   AckCharUUID,
				Flags:  bluetooth.CharacteristicNotifyPermission | bluetooth.CharacteristicReadPermission,
			},
		},
	}
}

// checkHostID refuses an empty host ID: a host always advertises its own.
func checkHostID(hostID string) error {
	if hostID == "" {
		return pay.Errorf(pay.ErrInvalidRequest, "hostID", "a host advertises its host ID; it must not be empty")
	}
	return nil
}
