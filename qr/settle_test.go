package qr

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// The same card spent at two offline terminals: the first batch settled is
// applied, the second reports a conflict with both records; money moves once.
func TestOfflineDoubleSpendTwoTerminals(t *testing.T) {
	e := h8NewEnv(t)
	t1 := e.terminal("pos-1", "m1", 101, h8Wide)
	t2 := e.terminal("pos-2", "m2", 102, h8Wide)
	iss := e.issue("Li Lei", 100_00, 0)

	text1, r1, err := t1.Deduct(e.ctx, iss.Text, h8CNY(30_00), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	c1, err := Decode(text1, e.keys, e.clk.Now())
	if err != nil || c1.KeyID != 101 || c1.Seq != 2 || c1.Balance != h8CNY(70_00) {
		t.Fatalf("terminal-regenerated card %+v, %v", c1, err)
	}
	_, r2, err := t2.Deduct(e.ctx, iss.Text, h8CNY(50_00), nil, "") // the same card, copied
	if err != nil {
		t.Fatal(err)
	}
	if r1.Seq != 1 || r2.Seq != 1 {
		t.Fatalf("records consumed %d and %d", r1.Seq, r2.Seq)
	}
	b1, _ := t1.Batch(e.ctx)
	b2, _ := t2.Batch(e.ctx)
	rep1, err := e.iss.Settle(e.ctx, b1)
	if err != nil {
		t.Fatal(err)
	}
	rep2, err := e.iss.Settle(e.ctx, b2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Record{r1}, rep1.Applied); diff != "" || len(rep1.Conflicts)+len(rep1.Duplicates)+len(rep1.Rejected) != 0 {
		t.Fatalf("first batch: %+v %s", rep1, diff)
	}
	if diff := cmp.Diff([]Conflict{{A: r1, B: r2}}, rep2.Conflicts); diff != "" || len(rep2.Applied)+len(rep2.Duplicates)+len(rep2.Rejected) != 0 {
		t.Fatalf("second batch: %+v %s", rep2, diff)
	}
	if e.cardBalance(iss.Card.ID) != 70_00 || e.merchantBalance("m1") != 30_00 || e.merchantBalance("m2") != 0 {
		t.Fatalf("books: card %d m1 %d m2 %d", e.cardBalance(iss.Card.ID), e.merchantBalance("m1"), e.merchantBalance("m2"))
	}
	// The terminals clear what the issuer answered.
	t1.Settled(rep1)
	t2.Settled(rep2)
	if len(t1.Pending()) != 0 || len(t2.Pending()) != 0 {
		t.Fatal("settled records still pending")
	}
	// The card regenerated offline pays on online; the issuer knows seq 1 is gone.
	rc, err := e.iss.Redeem(e.ctx, RedeemRequest{Card: text1, MerchantID: "m1", TerminalID: "pos-9", Amount: h8CNY(70_00)})
	if err != nil || rc.Card.Seq != 3 || rc.Card.Balance.Amount != 0 {
		t.Fatalf("online after offline: %+v, %v", rc, err)
	}
}

// A card presented with a sequence number it had already passed: online
// after an offline deduction, and offline after an online one.
func TestPassedSequenceIsConflict(t *testing.T) {
	e := h8NewEnv(t)
	t1 := e.terminal("pos-1", "m1", 101, h8Wide)
	t2 := e.terminal("pos-2", "m1", 102, h8Wide)
	iss := e.issue("Li Lei", 100_00, 0)

	// Offline at T1 (seq 1 → 2), then online with the regenerated card (2 → 3).
	text2, r1, err := t1.Deduct(e.ctx, iss.Text, h8CNY(10_00), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.iss.Redeem(e.ctx, RedeemRequest{Card: text2, MerchantID: "m1", TerminalID: "pos-9", Amount: h8CNY(20_00)}); err != nil {
		t.Fatal(err)
	}
	// The original card (seq 1) presented online: the card passed seq 1.
	_, err = e.iss.Redeem(e.ctx, RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos-9", Amount: h8CNY(5_00)})
	h8IsCode(t, "old copy online", err, ErrCardConflict)
	// T1's record of seq 1 settles late, out of order: applied.
	b, _ := t1.Batch(e.ctx)
	rep, err := e.iss.Settle(e.ctx, b)
	if err != nil || len(rep.Applied) != 1 || rep.Applied[0].Seq != r1.Seq {
		t.Fatalf("late settlement: %+v, %v", rep, err)
	}
	// The card at seq 2 presented again offline at T2 (seq 2 was consumed online).
	_, r2, err := t2.Deduct(e.ctx, text2, h8CNY(1_00), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := t2.Batch(e.ctx)
	rep2, err := e.iss.Settle(e.ctx, b2)
	if err != nil || len(rep2.Conflicts) != 1 || len(rep2.Applied) != 0 {
		t.Fatalf("settle of a passed sequence: %+v, %v", rep2, err)
	}
	if c := rep2.Conflicts[0]; c.B.Seq != 2 || c.A.Seq != 2 || c.A.TerminalID != "pos-9" || c.A.Amount != h8CNY(20_00) || !c.B.same(r2) {
		t.Fatalf("conflict = %+v", c)
	}
	// The same terminal refuses a card it has seen at a later sequence.
	_, _, err = t1.Deduct(e.ctx, iss.Text, h8CNY(1_00), nil, "")
	h8IsCode(t, "terminal sees an old copy", err, ErrCardConflict)
	if e.cardBalance(iss.Card.ID) != 70_00 || e.merchantBalance("m1") != 30_00 {
		t.Fatalf("books: card %d merchant %d", e.cardBalance(iss.Card.ID), e.merchantBalance("m1"))
	}
}

func TestSettleRefusesBadBatches(t *testing.T) {
	e := h8NewEnv(t)
	t1 := e.terminal("pos-1", "m1", 101, h8Wide)
	iss := e.issue("Li Lei", 100_00, 0)
	if _, _, err := t1.Deduct(e.ctx, iss.Text, h8CNY(10_00), nil, ""); err != nil {
		t.Fatal(err)
	}
	b, _ := t1.Batch(e.ctx)
	for name, edit := range map[string]func(b *Batch){
		"number":         func(b *Batch) { b.Number++ },
		"record amount":  func(b *Batch) { b.Records[0].Amount.Amount++ },
		"record dropped": func(b *Batch) { b.Records = nil },
		"signature":      func(b *Batch) { b.Signature[0] ^= 1 },
		"unsigned":       func(b *Batch) { b.Signature = nil },
	} {
		bad := b
		bad.Records = append([]Record(nil), b.Records...)
		bad.Signature = append([]byte(nil), b.Signature...)
		edit(&bad)
		_, err := e.iss.Settle(e.ctx, bad)
		h8IsCode(t, name, err, ErrBatchSignature)
	}
	other := b
	other.TerminalID = "pos-x"
	_, err := e.iss.Settle(e.ctx, other)
	h8IsCode(t, "unknown terminal", err, ErrTerminalUnknown)
	if e.cardBalance(iss.Card.ID) != 100_00 || len(e.state(iss.Card.ID).Consumed) != 0 {
		t.Fatal("a refused batch changed something")
	}
}

// Record-level checks: a batch applies its good records and reports each
// bad one; a replayed record is a duplicate.
func TestSettleRecordsOneByOne(t *testing.T) {
	e := h8NewEnv(t, WithLimits(DefaultOfflineLimits))
	t1 := e.terminal("pos-1", "m1", 101, h8Wide)
	rogue, _ := GenerateSigner(200)
	a := e.issue("Li Lei", 500_00, 0)
	bcard := e.issue("Han Meimei", 500_00, 0)
	_, good, _ := t1.Deduct(e.ctx, a.Text, h8CNY(50_00), nil, "")
	_, over, _ := t1.Deduct(e.ctx, bcard.Text, h8CNY(300_00), nil, "") // within the terminal's wide limits, over the issuer's ¥200
	forged := good
	forged.Seq = 7
	_ = forged.sign(e.ctx, rogue) // not the terminal's key
	unknown := good
	unknown.CardID = NewCardID()
	_ = unknown.sign(e.ctx, t1.signer)
	b := Batch{TerminalID: "pos-1", Number: 1, Records: []Record{good, over, forged, unknown}}
	if err := b.sign(e.ctx, t1.signer); err != nil {
		t.Fatal(err)
	}
	rep, err := e.iss.Settle(e.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	reasons := []string{}
	for _, r := range rep.Rejected {
		reasons = append(reasons, r.Reason)
	}
	if diff := cmp.Diff([]string{"card_offline_limit", "record_bad_signature", "card_not_found"}, reasons); diff != "" {
		t.Fatal(diff)
	}
	if len(rep.Applied) != 1 || !rep.Applied[0].same(good) {
		t.Fatalf("applied = %+v", rep.Applied)
	}
	// Re-uploading the whole batch, and the good record in a new batch: duplicates.
	rep2, err := e.iss.Settle(e.ctx, b)
	if err != nil || len(rep2.Duplicates) != 1 || len(rep2.Applied) != 0 || len(rep2.Rejected) != 3 {
		t.Fatalf("re-upload: %+v, %v", rep2, err)
	}
	b3 := Batch{TerminalID: "pos-1", Number: 9, Records: []Record{good}}
	_ = b3.sign(e.ctx, t1.signer)
	rep3, err := e.iss.Settle(e.ctx, b3)
	if err != nil || len(rep3.Duplicates) != 1 || len(rep3.Applied) != 0 {
		t.Fatalf("replayed record: %+v, %v", rep3, err)
	}
	if e.cardBalance(a.Card.ID) != 450_00 || e.cardBalance(bcard.Card.ID) != 500_00 || e.merchantBalance("m1") != 50_00 {
		t.Fatal("books wrong after rejections and replays")
	}
}

func TestOfflineLimitsEachRefused(t *testing.T) {
	limits := OfflineLimits{Currency: "CNY", PerTransaction: 100_00, PerCardAmount: 150_00, PerCardCount: 3,
		PerTerminalAmount: 300_00, PerTerminalCount: 5, MaxUnsettled: time.Hour}
	type step struct {
		card   int // index into the cards
		amount int64
		param  string // "" = accepted; else the refused limit's param
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"per transaction", []step{{0, 100_01, "per_transaction"}, {0, 100_00, ""}}},
		{"per card amount", []step{{0, 100_00, ""}, {0, 50_01, "per_card_amount"}, {0, 50_00, ""}}},
		{"per card count", []step{{0, 1, ""}, {0, 1, ""}, {0, 1, ""}, {0, 1, "per_card_count"}, {1, 1, ""}}},
		{"per terminal amount", []step{{0, 100_00, ""}, {1, 100_00, ""}, {2, 100_00, ""}, {3, 1, "per_terminal_amount"}}},
		{"per terminal count", []step{{0, 1, ""}, {1, 1, ""}, {2, 1, ""}, {3, 1, ""}, {0, 1, ""}, {1, 1, "per_terminal_count"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := h8NewEnv(t)
			term := e.terminal("pos-1", "m1", 101, limits)
			texts := make([]string, 4)
			for i := range texts {
				texts[i] = e.issue(fmt.Sprintf("holder %d", i), 1_000_00, 0).Text
			}
			for i, s := range tc.steps {
				next, _, err := term.Deduct(e.ctx, texts[s.card], h8CNY(s.amount), nil, "")
				if s.param == "" {
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					texts[s.card] = next
					continue
				}
				h8IsCode(t, fmt.Sprint("step ", i), err, ErrOfflineLimit)
				if pe := err.(*pay.Error); pe.Param != s.param {
					t.Fatalf("step %d: param %q, want %q", i, pe.Param, s.param)
				}
			}
		})
	}
	t.Run("unsettled too long, expiry, currency, balance", func(t *testing.T) {
		e := h8NewEnv(t)
		term := e.terminal("pos-1", "m1", 101, limits)
		iss := e.issue("Li Lei", 10_00, 0)
		_, _, err := term.Deduct(e.ctx, iss.Text, h8CNY(10_01), nil, "")
		h8IsCode(t, "over balance", err, ErrCardBalance)
		_, _, err = term.Deduct(e.ctx, iss.Text, pay.Money{Amount: 1, Currency: "USD"}, nil, "")
		h8IsCode(t, "currency", err, ErrCardCurrency)
		e.clk.Advance(time.Hour + time.Second)
		_, _, err = term.Deduct(e.ctx, iss.Text, h8CNY(1), nil, "")
		h8IsCode(t, "unsettled", err, ErrOfflineLimit)
		b, _ := term.Batch(e.ctx)
		rep, err := e.iss.Settle(e.ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		term.Settled(rep)
		if _, _, err := term.Deduct(e.ctx, iss.Text, h8CNY(1), nil, ""); err != nil {
			t.Fatalf("after settling: %v", err)
		}
		e.clk.Advance(31 * 24 * time.Hour)
		_, _, err = term.Deduct(e.ctx, iss.Text, h8CNY(1), nil, "")
		h8IsCode(t, "expired", err, ErrCardExpired)
		if n := len(term.Pending()); n != 1 {
			t.Fatalf("pending = %d, want 1", n)
		}
	})
	t.Run("settlement frees the limits", func(t *testing.T) {
		e := h8NewEnv(t)
		term := e.terminal("pos-1", "m1", 101, limits)
		text := e.issue("Li Lei", 1_000_00, 0).Text
		for range 3 {
			next, _, err := term.Deduct(e.ctx, text, h8CNY(1), nil, "")
			if err != nil {
				t.Fatal(err)
			}
			text = next
		}
		if _, _, err := term.Deduct(e.ctx, text, h8CNY(1), nil, ""); err == nil {
			t.Fatal("fourth deduction accepted")
		}
		b, _ := term.Batch(e.ctx)
		rep, _ := e.iss.Settle(e.ctx, b)
		term.Settled(rep)
		if _, _, err := term.Deduct(e.ctx, text, h8CNY(1), nil, ""); err != nil {
			t.Fatalf("after settlement: %v", err)
		}
	})
}

func TestOfflineUseAndRules(t *testing.T) {
	e := h8NewEnv(t)
	s, _ := GenerateSigner(101)
	if _, err := e.iss.RegisterTerminal(e.ctx, "pos-1", "m1", 101, s.Public()); err != nil {
		t.Fatal(err)
	}
	term, err := NewTerminal(TerminalConfig{ID: "pos-1", MerchantID: "m1", Rules: []Rule{MemberDiscount{Attribute: "tier", Value: "gold", BasisPoints: 2_000}}}, s, e.keys, h8Wide, e.clk)
	if err != nil {
		t.Fatal(err)
	}
	iss := e.issue("Li Lei", 100_00, 2)
	text, rec, err := term.Deduct(e.ctx, iss.Text, h8CNY(50_00), map[string]string{"tier": "gold"}, "")
	if err != nil || rec.Amount != h8CNY(40_00) {
		t.Fatalf("discounted deduction %+v, %v", rec, err)
	}
	text, rec2, err := term.DeductUse(e.ctx, text)
	if err != nil || rec2.Uses != 1 || rec2.Amount.Amount != 0 || rec2.Seq != 2 {
		t.Fatalf("use %+v, %v", rec2, err)
	}
	c, _ := Decode(text, e.keys, e.clk.Now())
	if c.Uses != 1 || c.Balance != h8CNY(60_00) || c.Seq != 3 {
		t.Fatalf("card after offline use %+v", c)
	}
	b, _ := term.Batch(e.ctx)
	rep, err := e.iss.Settle(e.ctx, b)
	if err != nil || len(rep.Applied) != 2 {
		t.Fatalf("settle %+v, %v", rep, err)
	}
	if e.cardBalance(iss.Card.ID) != 60_00 || e.merchantBalance("m1") != 40_00 {
		t.Fatal("books wrong")
	}
}

// 64 concurrent settlements of overlapping batches (each terminal's batch
// taken twice as it grows, each batch uploaded 8 times at once), with double
// spends among the records: every (card, sequence) is booked exactly once and
// the ledger balances are exact to the unit.
func TestConcurrentOverlappingSettlements(t *testing.T) {
	e := h8NewEnv(t)
	const cards, terms = 8, 4
	terminals := make([]*Terminal, terms)
	for k := range terminals {
		terminals[k] = e.terminal(fmt.Sprintf("pos-%d", k), fmt.Sprintf("m%d", k%2), uint32(101+k), h8Wide)
	}
	amount := func(c int, seq uint64) int64 { return int64(100 + 10*c + int(seq)) }
	var batches []Batch
	doubles := 0
	want := map[[2]int]int64{} // (card, seq) -> amount booked
	var ids []string
	texts := make([]string, cards)
	for c := range cards {
		iss := e.issue(fmt.Sprintf("holder %d", c), 1_000_00, 0)
		ids = append(ids, iss.Card.ID)
		texts[c] = iss.Text
	}
	for round := range 2 {
		for k, term := range terminals {
			for c := range cards {
				cur, _ := Decode(texts[c], e.keys, e.clk.Now())
				next, rec, err := term.Deduct(e.ctx, texts[c], h8CNY(amount(c, cur.Seq)), nil, "")
				if err != nil {
					t.Fatal(err)
				}
				want[[2]int{c, int(rec.Seq)}] = rec.Amount.Amount
				// Terminal k+1 also takes the same card copy at the same
				// sequence, for the same amount: a double spend.
				if (k+c+round)%3 == 0 {
					doubles++
					dbl := terminals[(k+1)%terms]
					if _, _, err := dbl.Deduct(e.ctx, texts[c], h8CNY(amount(c, cur.Seq)), nil, ""); err != nil {
						t.Fatal(err)
					}
				}
				texts[c] = next
			}
			b, err := term.Batch(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, b)
		}
	}
	for _, term := range terminals { // the final batches hold every record
		b, _ := term.Batch(e.ctx)
		batches = append(batches, b)
	}
	distinct := len(want)
	var wg sync.WaitGroup
	reports := make([]SettlementReport, 64)
	errs := make([]error, 64)
	for g := range 64 {
		wg.Go(func() { reports[g], errs[g] = e.iss.Settle(context.Background(), batches[g%len(batches)]) })
	}
	wg.Wait()
	applied := map[[2]int]int{}
	losers := map[string]bool{}
	byID := map[string]int{}
	for c, id := range ids {
		byID[id] = c
	}
	for g, rep := range reports {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		if len(rep.Rejected) != 0 {
			t.Fatalf("rejected: %+v", rep.Rejected)
		}
		for _, r := range rep.Applied {
			applied[[2]int{byID[r.CardID], int(r.Seq)}]++
		}
		for _, c := range rep.Conflicts {
			if c.A.CardID != c.B.CardID || c.A.Seq != c.B.Seq || c.A.TerminalID == c.B.TerminalID {
				t.Fatalf("conflict pairs different deductions: %+v", c)
			}
			losers[fmt.Sprint(c.B.TerminalID, c.B.CardID, c.B.Seq)] = true
		}
	}
	if len(losers) != doubles {
		t.Fatalf("%d double spends reported, want %d", len(losers), doubles)
	}
	if len(applied) != distinct {
		t.Fatalf("%d distinct (card, seq) applied, want %d", len(applied), distinct)
	}
	for k, n := range applied {
		if n != 1 {
			t.Fatalf("(card %d, seq %d) applied %d times", k[0], k[1], n)
		}
	}
	var total int64
	for c, id := range ids {
		var spent int64
		for k, v := range want {
			if k[0] == c {
				spent += v
			}
		}
		total += spent
		if got := e.cardBalance(id); got != 1_000_00-spent {
			t.Fatalf("card %d balance %d, want %d", c, got, 1_000_00-spent)
		}
		st := e.state(id)
		if len(st.Consumed) != len(want)/cards {
			t.Fatalf("card %d consumed %d seqs", c, len(st.Consumed))
		}
	}
	// Merchant income is exactly what the winning records say.
	perMerchant := map[string]int64{}
	for _, id := range ids {
		for _, con := range e.state(id).Consumed {
			tm, _ := e.iss.store.Terminal(e.ctx, con.Record.TerminalID)
			perMerchant[tm.MerchantID] += con.Record.Amount.Amount
		}
	}
	if got := e.merchantBalance("m0") + e.merchantBalance("m1"); got != total || perMerchant["m0"] != e.merchantBalance("m0") || perMerchant["m1"] != e.merchantBalance("m1") {
		t.Fatalf("merchants %d + %d, want total %d (%v)", e.merchantBalance("m0"), e.merchantBalance("m1"), total, perMerchant)
	}
	tot, _ := e.iss.Ledger().Totals(e.ctx)
	if c := tot["CNY"]; c.DebitsPosted != c.CreditsPosted {
		t.Fatalf("ledger out of balance %+v", c)
	}
}
