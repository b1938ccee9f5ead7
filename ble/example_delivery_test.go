package ble_test

import (
	"context"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/ble"
	"github.com/paykit-go/paykit/pay"
)

// printDisplay is a host display that prints what it is shown.
type printDisplay struct{}

func (printDisplay) Show(_ context.Context, r ble.Receipt) error {
	fmt.Printf("display: #%d %s %s via %s, payer …%s\n", r.Counter, r.Kind, r.Amount, r.Channel, r.Payer)
	return nil
}

// printBuzzer is a host buzzer that prints its beeps.
type printBuzzer struct{}

func (printBuzzer) Beep(_ context.Context, k ble.Kind) error {
	fmt.Println("beep:", k)
	return nil
}

// A collection host and a handheld pair over a simulated BLE link that
// loses, duplicates and reorders a fifth of its chunks; the merchant
// compares the codes; the handheld then delivers a receipt, shown and
// beeped once.
func Example_delivery() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hand, hostEnd, err := ble.NewMemLink(ble.WithLoss(0.2), ble.WithDuplication(0.2), ble.WithReordering(0.2), ble.WithSeed(1))
	if err != nil {
		panic(err)
	}
	host, err := ble.NewHost("counter-1", printDisplay{}, printBuzzer{})
	if err != nil {
		panic(err)
	}
	go func() { _ = host.Serve(ctx, hostEnd) }()

	// The host shows its pairing QR; the handheld scans it and pairs.
	offer, err := host.BeginPairing(ctx)
	if err != nil {
		panic(err)
	}
	scanned, err := ble.ParseOffer(offer.QR())
	if err != nil {
		panic(err)
	}
	fast := ble.WithRetransmit(10*time.Millisecond, 50*time.Millisecond)
	pairing, err := ble.PairOver(ctx, hand, scanned, "handheld-1", fast)
	if err != nil {
		panic(err)
	}
	hostCode, _, err := offer.Code(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("codes match:", hostCode == pairing.Code)
	if err := offer.Confirm(ctx); err != nil { // the merchant confirms
		panic(err)
	}

	handheld, err := ble.NewHandheld(hand, pairing, fast)
	if err != nil {
		panic(err)
	}
	err = handheld.Send(ctx, ble.Receipt{
		Kind:      ble.KindPaid,
		PaymentID: ble.ShortID("pay_3kq7x2abmd5ctr4e7w2k3q7x2a"),
		Amount:    pay.Money{Amount: 1250, Currency: "CNY"},
		Channel:   "wechatpay",
		Payer:     "1234",
		Time:      time.Now().Truncate(time.Second),
		Terminal:  1,
	})
	fmt.Println("delivered:", err == nil)
	// Output:
	// codes match: true
	// display: #1 paid 12.50 CNY via wechatpay, payer …1234
	// beep: paid
	// delivered: true
}

// A MemLink's faults come from a seeded source, so a test's link is the
// same in every run.
func ExampleNewMemLink() {
	a, _, err := ble.NewMemLink(ble.WithLoss(0.25), ble.WithDuplication(0.1), ble.WithSeed(7))
	if err != nil {
		panic(err)
	}
	for range 1000 {
		if err := a.Send(context.Background(), []byte("chunk")); err != nil {
			panic(err)
		}
	}
	s := a.Stats()
	fmt.Printf("sent %d, dropped %d, duplicated %d\n", s.Sent, s.Dropped, s.Duplicated)
	// Output: sent 1000, dropped 268, duplicated 66
}
