package ble_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/ble"
	"github.com/paykit-go/paykit/pay"
)

// A handheld encodes a receipt under its pairing's key, and the host reads
// the pairing number, picks the key and verifies the receipt. An altered
// receipt is refused.
func ExampleEncodeReceipt() {
	key := bytes.Repeat([]byte{0x42}, 32) // in use: the key pairing derived
	r := ble.Receipt{
		Kind:      ble.KindPaid,
		PaymentID: ble.ShortID("pay_7f3kq2m5xw4hn6pzbt2rk3q7x2ab"),
		Amount:    pay.Money{Amount: 1250, Currency: "CNY"},
		Channel:   "wechatpay",
		Payer:     "1234",
		Time:      time.Date(2026, 11, 22, 8, 30, 15, 0, time.UTC),
		Terminal:  3,
		Counter:   1042,
	}
	b, err := ble.EncodeReceipt(r, 7, key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(b), "bytes")

	// The host.
	pairing, _ := ble.ReceiptPairing(b) // unverified: only to choose the key
	got, err := ble.DecodeReceipt(b, key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("pairing", pairing, got.Kind, got.Amount, got.Channel, got.Payer, got.PaymentID, got.Counter)

	b[6] ^= 0x01 // one bit of the payment ID
	_, err = ble.DecodeReceipt(b, key)
	fmt.Println(errors.Is(err, ble.ErrMAC))
	// Output:
	// 30 bytes
	// pairing 7 paid 12.50 CNY wechatpay 1234 k3q7x2ab 1042
	// true
}

// A message is fragmented for the link's MTU and reassembled on the other
// side; a chunk out of sequence is refused and the next message still
// arrives.
func ExampleFragment() {
	msg := bytes.Repeat([]byte("receipt!"), 5) // 40 bytes
	frames, err := ble.Fragment(ble.CmdReceipt, msg, ble.DefaultMTU)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range frames {
		fmt.Printf("% x … (%d bytes)\n", f[:3], len(f))
	}

	r := ble.NewReassembler(256)
	_, _, _, err = r.Add(frames[1]) // a continuation first
	fmt.Println(errors.Is(err, ble.ErrFrame))
	for _, f := range frames {
		cmd, got, done, err := r.Add(f)
		if err != nil {
			fmt.Println(err)
			return
		}
		if done {
			fmt.Printf("cmd %#x, %d bytes, intact %v\n", cmd, len(got), bytes.Equal(got, msg))
		}
	}
	// Output:
	// 81 00 28 … (20 bytes)
	// 00 65 63 … (20 bytes)
	// 01 69 70 … (5 bytes)
	// true
	// cmd 0x81, 40 bytes, intact true
}
