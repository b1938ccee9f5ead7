package ble

import (
	"context"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Kind says what a receipt reports.
type Kind uint8

// Receipt kinds; the host beeps a distinct pattern for each.
const (
	KindPaid     Kind = 1
	KindRefunded Kind = 2
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindPaid:
		return "paid"
	case KindRefunded:
		return "refunded"
	}
	return "unknown"
}

// Receipt is one "payment received" (or refunded) message from the
// merchant's handheld to its collection host.
type Receipt struct {
	Kind Kind
	// PaymentID is the short form of the payment's ID: its last
	// ShortIDLen characters.
	PaymentID string
	Amount    pay.Money
	// Channel is the channel's registry name ("wechatpay", "alipay" …);
	// on the wire a code from ChannelCodes, or "other".
	Channel string
	// Payer is the payer masked to the last 4 digits, e.g. "1234" (empty
	// when unknown).
	Payer string
	// Time is when the payment happened, to the second.
	Time time.Time
	// Terminal is the merchant terminal (or collection point) number the
	// payment was made at, within the pairing's merchant.
	Terminal uint16
	// Counter increases with every receipt a handheld sends under one
	// pairing; the host accepts each counter once, in order.
	Counter uint64
}

// Link carries chunks between a handheld and a host: one ATT write or
// notification each. Implementations: MemLink (simulated, for tests and
// examples) and ble/gatt (a real BLE GATT connection).
type Link interface {
	// Send transmits one chunk of at most MTU()-3 bytes (the ATT payload).
	Send(ctx context.Context, chunk []byte) error
	// Recv returns the next chunk received, blocking until one arrives or
	// ctx ends.
	Recv(ctx context.Context) ([]byte, error)
	// MTU is the ATT MTU negotiated for the link (at least 23).
	MTU() int
}

// DefaultMTU is BLE's default ATT MTU; nothing may assume more until the
// link negotiated it.
const DefaultMTU = 23

// Display is the collection host's screen: it is shown a receipt only
// after the receipt verified.
type Display interface {
	Show(ctx context.Context, r Receipt) error
}

// Buzzer beeps a pattern per receipt kind (paid and refunded sound
// different).
type Buzzer interface {
	Beep(ctx context.Context, k Kind) error
}
