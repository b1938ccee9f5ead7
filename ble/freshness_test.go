package ble

import (
	"context"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// A receipt that verifies but is older than the host's age limit (a
// recording of one the host never acknowledged, played back later) or
// dated in the future is neither shown nor acknowledged; a fresh one
// after it is shown.
func TestHostRefusesStaleReceipts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	display := hfNewDisplay()
	store := NewMemPairings()
	key, ack := make([]byte, 32), make([]byte, 32)
	key[0], ack[0] = 1, 2
	if err := store.Add(ctx, HostPairing{Pairing: 7, HandheldID: "h", ReceiptKey: key, AckKey: ack}); err != nil {
		t.Fatal(err)
	}
	host, err := NewHost("host", display, &hfBuzzer{}, WithPairingStore(store), WithMaxReceiptAge(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	a, b, err := NewMemLink()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = host.Serve(ctx, b) }()
	send := func(counter uint64, at time.Time) {
		msg, err := EncodeReceipt(Receipt{Counter: counter, Kind: KindPaid, PaymentID: "abcdefgh",
			Amount: pay.Money{Amount: 100, Currency: "CNY"}, Channel: "wechatpay", Time: at}, 7, key)
		if err != nil {
			t.Fatal(err)
		}
		chunks, err := Fragment(CmdReceipt, msg, DefaultMTU)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			if err := a.Send(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := time.Now().Truncate(time.Second)
	send(1, now.Add(-365*24*time.Hour))
	send(2, now.Add(-11*time.Minute))
	send(3, now.Add(5*time.Minute))
	send(4, now)
	deadline := time.Now().Add(3 * time.Second)
	for host.Stats().Displayed < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	st := host.Stats()
	if st.Stale != 3 || st.Displayed != 1 {
		t.Fatalf("stale %d, displayed %d; want 3 and 1", st.Stale, st.Displayed)
	}
	if got := display.receipts(); len(got) != 1 || got[0].Counter != 4 {
		t.Fatalf("displayed %+v; want only receipt 4", got)
	}
	if _, err := NewHost("host", display, &hfBuzzer{}, WithMaxReceiptAge(time.Second)); err == nil {
		t.Fatal("an age limit under a minute was accepted")
	}
}
