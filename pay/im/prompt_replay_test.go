package im_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay/im"
)

// The relay is untrusted: a "paid" prompt it keeps and posts again later
// is refused by the client — as a replay while it is fresh, as stale once
// it is older than MaxAge — while fetching the same position again is not
// a replay.
func TestClientRefusesReplayedPrompts(t *testing.T) {
	b := hjNewBackend(t, im.SuiteX25519)
	conv := im.NewConversationID()
	b.next(conv, im.Request{Kind: im.RequestStart, CustomerID: b.customer.ID})
	b.next(conv, im.Request{Kind: im.RequestChooseBill, CustomerID: b.customer.ID, BillID: b.water.ID})
	b.next(conv, im.Request{Kind: im.RequestPay, CustomerID: b.customer.ID, BillID: b.water.ID, WalletID: b.wallet.ID, Amount: hjCNY(1234_57), Password: hjPassword})
	var paid string
	for _, m := range b.srv.Relay.Messages(conv) {
		if m.Seq == b.after[conv] {
			paid = m.Body
		}
	}
	if paid == "" {
		t.Fatal("no result prompt in the relay")
	}
	again, err := b.client.Fetch(b.ctx, conv, b.after[conv]-1)
	if err != nil || len(again) != 1 || again[0].Err != nil || !again[0].Prompt.Paid {
		t.Fatalf("fetching the result again: %+v, %v; want it, unflagged", again, err)
	}
	to := b.seal.Public().ID()
	if err := b.srv.Relay.Post(b.ctx, conv, to, paid); err != nil {
		t.Fatal(err)
	}
	ds, err := b.client.Fetch(b.ctx, conv, b.after[conv])
	if err != nil || len(ds) != 1 || !errors.Is(ds[0].Err, im.ErrReplay) {
		t.Fatalf("the result posted again: %+v, %v; want ErrReplay", ds, err)
	}
	if err := b.srv.Advance(time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := b.srv.Relay.Post(b.ctx, conv, to, paid); err != nil {
		t.Fatal(err)
	}
	ds, err = b.client.Fetch(b.ctx, conv, b.after[conv]+1)
	if err != nil || len(ds) != 1 || !errors.Is(ds[0].Err, im.ErrStale) {
		t.Fatalf("the result posted an hour later: %+v, %v; want ErrStale", ds, err)
	}
	if ps, _ := b.client.Prompts(b.ctx, conv, b.after[conv]); len(ps) != 0 {
		t.Fatalf("Prompts shows %d replayed prompts; want none", len(ps))
	}
}
