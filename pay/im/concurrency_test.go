package im_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/im"
	"github.com/paykit-go/paykit/verify"
)

const hjRacers = 64

// hjRace runs post(i) for i in [0, hjRacers) at once and fails on any
// error.
func hjRace(t *testing.T, post func(i int) error) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	errs := make([]error, hjRacers)
	for i := range hjRacers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = post(i)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("racer %d: %v", i, err)
		}
	}
}

// outcomes reads the one prompt answering each racer's conversation and
// counts them by kind ("result" for a paid result, else the error code).
func (e *hjEnv) outcomes(convs []string) map[string]int {
	e.t.Helper()
	got := map[string]int{}
	for _, c := range convs {
		ps := e.prompts(e.dev, c)
		if len(ps) != 1 {
			e.t.Fatalf("conversation %s: %d prompts", c, len(ps))
		}
		switch p := ps[0]; {
		case p.Kind == im.PromptResult && p.Paid:
			got["paid"]++
		case p.Kind == im.PromptError:
			got[p.Code]++
		default:
			e.t.Fatalf("conversation %s: %+v", c, p)
		}
	}
	return got
}

// wantPaidOnce checks the bill was paid exactly once: the wallet and the
// merchant moved by the bill's amount once, one bill payment is recorded.
func (e *hjEnv) wantPaidOnce(b account.Bill) {
	e.t.Helper()
	if got := e.balance(e.wallet.ID); got != hjFunds-b.Amount.Amount {
		e.t.Fatalf("wallet %d, want %d", got, hjFunds-b.Amount.Amount)
	}
	if m := hjMust(e.platform.MerchantBalance(e.ctx, e.merchant.ID, "CNY")); m.Amount != b.Amount.Amount {
		e.t.Fatalf("merchant received %v, want %d", m, b.Amount.Amount)
	}
	n := 0
	for _, tx := range hjMust(e.platform.Transactions(e.ctx, e.wallet.ID)) {
		if tx.Kind == account.KindBillPayment {
			n++
		}
	}
	if n != 1 || e.status(b) != account.BillPaid {
		e.t.Fatalf("%d bill payments, bill %s", n, e.status(b))
	}
}

// TestConcurrentPaymentsOfOneBill: 64 conversations have chosen the water
// bill; their 64 payments are posted to the relay at once. Exactly one
// deducts: one paid result and 63 "already paid" (ErrBill) prompts, the
// wallet debited once, one bill payment recorded, the power bill still
// outstanding, and no password failure recorded.
func TestConcurrentPaymentsOfOneBill(t *testing.T) {
	e := hjNew(t)
	convs := make([]string, hjRacers)
	bodies := make([]string, hjRacers)
	for i := range convs {
		convs[i] = fmt.Sprintf("race-%d", i)
		e.toPassword(e.dev, convs[i], e.water)
		bodies[i], _ = e.seal(e.dev, convs[i], e.pay(e.water, hjPassword), nil)
	}
	hjRace(t, func(i int) error { return e.post(convs[i], bodies[i]) })
	got := e.outcomes(convs)
	if got["paid"] != 1 || got[im.ErrBill.Code] != hjRacers-1 {
		t.Fatalf("outcomes %v; want 1 paid and %d %s", got, hjRacers-1, im.ErrBill.Code)
	}
	e.wantPaidOnce(e.water)
	if e.status(e.power) != account.BillOutstanding {
		t.Fatal("the power bill changed")
	}
	if st := hjMust(e.passwds.Status(e.ctx, e.customer.ID)); st.Failures != 0 {
		t.Fatalf("%d password failures", st.Failures)
	}
}

// TestConcurrentPaymentsAcrossSubsystems: the same race over four
// subsystem processes sharing the platform, the store and the password
// store (as they would share a database): each queues its own payments, so
// up to four reach the platform together, and PayBill's lock still lets
// exactly one deduct; the others are told the bill is paid.
func TestConcurrentPaymentsAcrossSubsystems(t *testing.T) {
	e := hjNew(t)
	store := im.NewMemStore()
	subs := make([]*im.Subsystem, 4)
	for i := range subs {
		subs[i] = hjMust(im.NewSubsystem(e.platform, e.key, e.signer,
			im.WithClock(e.clk), im.WithPasswords(e.passwds), im.WithRelay(e.relay), im.WithStore(store)))
	}
	// The device registered with the shared store, the relay pushing to
	// the first process.
	if _, err := subs[0].RegisterDevice(e.ctx, hjMust(e.sub.Device(e.ctx, e.dev.id))); err != nil {
		t.Fatal(err)
	}
	e.relay.Subscribe(e.key.Public().ID(), subs[0].Receive)
	convs := make([]string, hjRacers)
	bodies := make([]string, hjRacers)
	for i := range convs {
		convs[i] = fmt.Sprintf("race-%d", i)
		e.toPassword(e.dev, convs[i], e.water)
		bodies[i], _ = e.seal(e.dev, convs[i], e.pay(e.water, hjPassword), nil)
	}
	hjRace(t, func(i int) error { return subs[i%len(subs)].Receive(e.ctx, convs[i], bodies[i]) })
	got := e.outcomes(convs)
	if got["paid"] != 1 || got[im.ErrBill.Code] != hjRacers-1 {
		t.Fatalf("outcomes %v; want 1 paid and %d %s", got, hjRacers-1, im.ErrBill.Code)
	}
	e.wantPaidOnce(e.water)
}

// TestConcurrentWrongPasswords: 64 payments of one bill with a wrong
// password race: exactly 5 are evaluated and refused as wrong, 59 find the
// password locked, and nothing is deducted.
func TestConcurrentWrongPasswords(t *testing.T) {
	e := hjNew(t)
	convs := make([]string, hjRacers)
	bodies := make([]string, hjRacers)
	for i := range convs {
		convs[i] = fmt.Sprintf("wrong-%d", i)
		e.toPassword(e.dev, convs[i], e.water)
		bodies[i], _ = e.seal(e.dev, convs[i], e.pay(e.water, hjWrong), nil)
	}
	hjRace(t, func(i int) error { return e.post(convs[i], bodies[i]) })
	got := e.outcomes(convs)
	if got[verify.ErrFailed.Code] != 5 || got[verify.ErrLocked.Code] != hjRacers-5 {
		t.Fatalf("outcomes %v; want 5 %s and %d %s", got, verify.ErrFailed.Code, hjRacers-5, verify.ErrLocked.Code)
	}
	e.untouched()
}

// TestConcurrentReplays: one sealed request posted 64 times at once is
// run once; the 63 copies are refused as replays.
func TestConcurrentReplays(t *testing.T) {
	e := hjNew(t)
	body, _ := e.seal(e.dev, "c", e.start(), nil)
	hjRace(t, func(int) error { return e.post("c", body) })
	got := map[string]int{}
	for _, p := range e.prompts(e.dev, "c") {
		got[string(p.Kind)+" "+p.Code]++
	}
	if got["choose_bill "] != 1 || got["error "+im.ErrReplay.Code] != hjRacers-1 || len(got) != 2 {
		t.Fatalf("prompts %v; want one choose_bill and %d replays", got, hjRacers-1)
	}
}

// TestConcurrentRelayPosts: 64 posters to one conversation, 4 messages
// each, get 256 distinct sequence numbers, all stored and fetchable in
// order.
func TestConcurrentRelayPosts(t *testing.T) {
	r := hjMust(im.NewMemRelay())
	ctx := context.Background()
	seqs := make([][]int64, hjRacers)
	hjRace(t, func(i int) error {
		for j := range 4 {
			m, err := r.Deliver(ctx, "c", "dev", fmt.Sprintf("m-%d-%d", i, j))
			if err != nil {
				return err
			}
			seqs[i] = append(seqs[i], m.Seq)
		}
		return nil
	})
	seen := map[int64]bool{}
	for _, s := range seqs {
		for _, n := range s {
			if seen[n] || n < 1 || n > 4*hjRacers {
				t.Fatalf("sequence number %d repeated or out of range", n)
			}
			seen[n] = true
		}
	}
	var all []im.RelayedMessage
	for after := int64(0); ; {
		page := hjMust(r.Fetch(ctx, "c", "dev", after))
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
	if len(all) != 4*hjRacers {
		t.Fatalf("fetched %d messages", len(all))
	}
	for i, m := range all {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
	}
}
