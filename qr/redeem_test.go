package qr

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

func TestIssueBooksValue(t *testing.T) {
	e := h8NewEnv(t)
	iss := e.issue("Li Lei", 100_00, 0)
	c, err := Decode(iss.Text, e.keys, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(iss.Card, c); diff != "" {
		t.Fatalf("decoded card differs (-issued +decoded):\n%s", diff)
	}
	if c.Seq != 1 || c.Uses != UnlimitedUses || c.KeyID != 1 || c.Balance != h8CNY(100_00) {
		t.Fatalf("card = %+v", c)
	}
	if got := e.cardBalance(c.ID); got != 100_00 {
		t.Fatalf("card account = %d, want 10000", got)
	}
	if got := e.ledgerBalance(FloatAccount("CNY")); got != -100_00 {
		t.Fatalf("float account = %d, want -10000", got)
	}
	a, _ := e.iss.Ledger().LookupAccount(e.ctx, CardAccount(c.ID))
	if a.Flags != ledger.DebitsMustNotExceedCredits {
		t.Fatalf("card account flags = %v", a.Flags)
	}
	st := e.state(c.ID)
	if st.Head != 1 || st.Current != iss.Text || len(st.Consumed) != 0 {
		t.Fatalf("state = %+v", st)
	}
}

func TestIssueRefusals(t *testing.T) {
	e := h8NewEnv(t)
	ok := IssueRequest{Holder: "Li Lei", Token: h8Token, Balance: h8CNY(1), Validity: time.Hour}
	for _, tc := range []struct {
		name  string
		edit  func(r *IssueRequest)
		param string
	}{
		{"no validity", func(r *IssueRequest) { r.Validity = 0 }, "validity_seconds"},
		{"raw PAN-like token", func(r *IssueRequest) { r.Token = "411111111111111" }, "token"},
		{"negative balance", func(r *IssueRequest) { r.Balance.Amount = -1 }, "balance"},
		{"empty holder", func(r *IssueRequest) { r.Holder = "" }, "holder"},
	} {
		r := ok
		tc.edit(&r)
		_, err := e.iss.Issue(e.ctx, r)
		h8IsCode(t, tc.name, err, pay.ErrInvalidRequest)
		if strings.Contains(err.Error(), r.Token) {
			t.Fatalf("%s: error echoes the token", tc.name)
		}
	}
	tot, _ := e.iss.Ledger().Totals(e.ctx)
	if tot["CNY"].DebitsPosted != 0 {
		t.Fatalf("a refused issue booked %d", tot["CNY"].DebitsPosted)
	}
}

func TestRedeemAmountRegenerates(t *testing.T) {
	e := h8NewEnv(t)
	iss := e.issue("Li Lei", 100_00, 0)
	rc, err := e.iss.Redeem(e.ctx, RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(30_00)})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Card.Balance != h8CNY(70_00) || rc.Card.Seq != 2 || rc.Seq != 1 || rc.Charged != h8CNY(30_00) || rc.Kind != KindAmount || rc.Duplicate {
		t.Fatalf("receipt = %+v", rc)
	}
	c, err := Decode(rc.Text, e.keys, e.clk.Now())
	if err != nil || c != rc.Card || c.KeyID != e.signer.KeyID() {
		t.Fatalf("regenerated card %+v, %v", c, err)
	}
	if e.cardBalance(c.ID) != 70_00 || e.merchantBalance("m1") != 30_00 {
		t.Fatalf("ledger card %d merchant %d", e.cardBalance(c.ID), e.merchantBalance("m1"))
	}
	tr, err := e.iss.Ledger().LookupTransfer(e.ctx, transferID(c.ID, 1))
	if err != nil || tr.Amount != 30_00 || tr.Code != CodeRedeem {
		t.Fatalf("ledger transfer %+v, %v", tr, err)
	}
	st := e.state(c.ID)
	if st.Head != 2 || st.Current != rc.Text || len(st.Consumed) != 1 || st.Consumed[0].Record.Seq != 1 {
		t.Fatalf("state = %+v", st)
	}
	// The regenerated card pays on.
	rc2, err := e.iss.Redeem(e.ctx, RedeemRequest{Card: rc.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(70_00)})
	if err != nil || rc2.Card.Balance.Amount != 0 || rc2.Card.Seq != 3 {
		t.Fatalf("second redeem %+v, %v", rc2, err)
	}
}

func TestRedeemDuplicateAndConflict(t *testing.T) {
	e := h8NewEnv(t)
	iss := e.issue("Li Lei", 100_00, 0)
	req := RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(30_00)}
	first, err := e.iss.Redeem(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.iss.Redeem(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.Text != first.Text || again.Seq != first.Seq {
		t.Fatalf("repeat = %+v, want the first receipt as a duplicate", again)
	}
	for _, tc := range []struct {
		name string
		edit func(r *RedeemRequest)
	}{
		{"other amount", func(r *RedeemRequest) { r.Amount = h8CNY(50_00) }},
		{"other terminal", func(r *RedeemRequest) { r.TerminalID = "pos2" }},
		{"other merchant", func(r *RedeemRequest) { r.MerchantID = "m2" }},
		{"a use", func(r *RedeemRequest) { r.Amount = pay.Money{}; r.OneUse = true }},
	} {
		r := req
		tc.edit(&r)
		_, err := e.iss.Redeem(e.ctx, r)
		if tc.name == "a use" {
			h8IsCode(t, tc.name, err, ErrCardNoUses) // the card is not use-limited: refused before the lock
			continue
		}
		h8IsCode(t, tc.name, err, ErrCardConflict)
	}
	if e.cardBalance(iss.Card.ID) != 70_00 || e.merchantBalance("m1") != 30_00 || e.merchantBalance("m2") != 0 {
		t.Fatal("a duplicate or conflict moved money")
	}
	if st := e.state(iss.Card.ID); len(st.Consumed) != 1 || st.Head != 2 {
		t.Fatalf("state = %+v", st)
	}
}

func TestRedeemRefusalsChangeNothing(t *testing.T) {
	e := h8NewEnv(t)
	iss := e.issue("Li Lei", 100_00, 0)
	used := e.issue("Han Meimei", 0, 1)
	other, _ := GenerateSigner(99)
	foreign := iss.Card
	foreign.ID = NewCardID()
	foreignText, _ := Encode(e.ctx, foreign, e.signer) // signed by the issuer, unknown to its store
	unknownKey, _ := Encode(e.ctx, iss.Card, other)
	altered := []byte(iss.Text)
	altered[20] ^= 1
	if altered[20] == ' ' || altered[20] == '%' {
		altered[20] = 'A'
	}
	base := RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(10_00)}
	for _, tc := range []struct {
		name string
		edit func(r *RedeemRequest)
		kind *pay.Error
	}{
		{"over balance", func(r *RedeemRequest) { r.Amount = h8CNY(100_01) }, ErrCardBalance},
		{"wrong currency", func(r *RedeemRequest) { r.Amount = pay.Money{Amount: 100, Currency: "USD"} }, ErrCardCurrency},
		{"use of an unlimited card", func(r *RedeemRequest) { r.Amount = pay.Money{}; r.OneUse = true }, ErrCardNoUses},
		{"amount and use", func(r *RedeemRequest) { r.OneUse = true }, pay.ErrInvalidRequest},
		{"no amount", func(r *RedeemRequest) { r.Amount = pay.Money{} }, pay.ErrInvalidRequest},
		{"no terminal", func(r *RedeemRequest) { r.TerminalID = "" }, pay.ErrInvalidRequest},
		{"unknown card", func(r *RedeemRequest) { r.Card = foreignText }, ErrCardNotFound},
		{"unknown key", func(r *RedeemRequest) { r.Card = unknownKey }, ErrCardUnknownKey},
		{"garbage", func(r *RedeemRequest) { r.Card = "NOT A CARD" }, ErrCardMalformed},
		{"truncated", func(r *RedeemRequest) { r.Card = iss.Text[:len(iss.Text)-3] }, ErrCardMalformed},
	} {
		r := base
		tc.edit(&r)
		_, err := e.iss.Redeem(e.ctx, r)
		h8IsCode(t, tc.name, err, tc.kind)
		if strings.Contains(err.Error(), h8Token) {
			t.Fatalf("%s: error echoes the token", tc.name)
		}
	}
	if _, err := e.iss.Redeem(e.ctx, RedeemRequest{Card: string(altered), MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(1)}); err == nil {
		t.Fatal("altered card accepted")
	}
	// A use-limited card with its uses spent.
	rc, err := e.iss.Redeem(e.ctx, RedeemRequest{Card: used.Text, MerchantID: "m1", TerminalID: "pos1", OneUse: true})
	if err != nil || rc.Card.Uses != 0 || rc.Kind != KindUse || rc.Charged.Amount != 0 {
		t.Fatalf("use: %+v, %v", rc, err)
	}
	_, err = e.iss.Redeem(e.ctx, RedeemRequest{Card: rc.Text, MerchantID: "m1", TerminalID: "pos1", OneUse: true})
	h8IsCode(t, "no uses left", err, ErrCardNoUses)
	// Expired.
	e.clk.Advance(31 * 24 * time.Hour)
	_, err = e.iss.Redeem(e.ctx, base)
	h8IsCode(t, "expired", err, ErrCardExpired)

	if e.cardBalance(iss.Card.ID) != 100_00 || e.merchantBalance("m1") != 0 {
		t.Fatal("a refused redemption moved money")
	}
	if st := e.state(iss.Card.ID); len(st.Consumed) != 0 || st.Head != 1 {
		t.Fatalf("a refused redemption changed the card: %+v", st)
	}
}

func TestRedeemChargeAccount(t *testing.T) {
	e := h8NewEnv(t)
	iss := e.issue("Li Lei", 100_00, 0)
	req := RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(250_00), ChargeAccount: true}
	e.charger.fail = true
	_, err := e.iss.Redeem(e.ctx, req)
	h8IsCode(t, "declined charge", err, pay.ErrDeclined)
	if st := e.state(iss.Card.ID); len(st.Consumed) != 0 {
		t.Fatal("a declined charge consumed the sequence number")
	}
	e.charger.fail = false
	rc, err := e.iss.Redeem(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Kind != KindCharge || rc.Reference != "chg_250.00" || rc.Card.Balance != h8CNY(100_00) || rc.Card.Seq != 2 {
		t.Fatalf("receipt = %+v", rc)
	}
	if diff := cmp.Diff([]string{h8Token + " 250.00 CNY m1 pos1 " + iss.Card.ID + " 1"}, e.charger.calls); diff != "" {
		t.Fatal(diff)
	}
	if e.cardBalance(iss.Card.ID) != 100_00 || e.merchantBalance("m1") != 0 {
		t.Fatal("a charge to the account touched the card's books")
	}
	// Without a charger the mode is refused.
	e2 := h8NewEnv(t)
	e2.iss.charger = nil
	iss2 := e2.issue("Li Lei", 1, 0)
	_, err = e2.iss.Redeem(e2.ctx, RedeemRequest{Card: iss2.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(1), ChargeAccount: true})
	h8IsCode(t, "no charger", err, pay.ErrInvalidRequest)
}

func TestRulesAdjustAndReport(t *testing.T) {
	e := h8NewEnv(t, WithRules(RegionalPrice{Location: "airport", Factor: 12_000}, MemberDiscount{Attribute: "tier", Value: "gold", BasisPoints: 1_000}))
	iss := e.issue("Li Lei", 500_00, 0)
	rc, err := e.iss.Redeem(e.ctx, RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(100_00),
		Attributes: map[string]string{"tier": "gold"}, Location: "airport"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Adjustment{
		{Rule: "regional_price:airport", Before: h8CNY(100_00), After: h8CNY(120_00)},
		{Rule: "member_discount:tier=gold", Before: h8CNY(120_00), After: h8CNY(108_00)},
	}
	if diff := cmp.Diff(want, rc.Adjustments); diff != "" {
		t.Fatal(diff)
	}
	if rc.Requested != h8CNY(100_00) || rc.Charged != h8CNY(108_00) || rc.Card.Balance != h8CNY(392_00) || e.merchantBalance("m1") != 108_00 {
		t.Fatalf("receipt = %+v", rc)
	}
	// No attribute, another place: no adjustment.
	rc, err = e.iss.Redeem(e.ctx, RedeemRequest{Card: rc.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(10_00), Location: "suburb"})
	if err != nil || len(rc.Adjustments) != 0 || rc.Charged != h8CNY(10_00) {
		t.Fatalf("plain redeem %+v, %v", rc, err)
	}
	// Bad rules are refused at construction.
	for _, r := range []Rule{MemberDiscount{Attribute: "tier", Value: "gold", BasisPoints: 10_000}, RegionalPrice{Factor: 9_000}, nil} {
		if _, err := NewIssuer(e.signer, NewKeySet(), WithRules(r)); err == nil {
			t.Fatalf("rule %#v accepted", r)
		}
	}
}

func TestNewIssuerOptions(t *testing.T) {
	s, _ := GenerateSigner(1)
	for name, opt := range map[string]Option{
		"nil store": WithStore(nil), "nil ledger": WithLedger(nil), "nil clock": WithClock(nil),
		"nil charger": WithCharger(nil), "bad limits": WithLimits(OfflineLimits{Currency: "CNY"}),
	} {
		if _, err := NewIssuer(s, NewKeySet(), opt); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := NewIssuer(nil, NewKeySet()); err == nil {
		t.Error("nil signer accepted")
	}
	keys := NewKeySet()
	other, _ := GenerateSigner(1)
	_ = keys.Add(1, other.Public())
	if _, err := NewIssuer(s, keys); err == nil {
		t.Error("issuer key ID taken by another key accepted")
	}
}

// 64 goroutines redeem the same card at once, each at its own terminal:
// exactly one wins, 63 are conflicts, the books move once.
func TestRedeemConcurrentSameCard(t *testing.T) {
	e := h8NewEnv(t)
	iss := e.issue("Li Lei", 100_00, 0)
	const n = 64
	var wg sync.WaitGroup
	errs := make([]error, n)
	for g := range n {
		wg.Go(func() {
			_, errs[g] = e.iss.Redeem(context.Background(), RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos" + string(rune('A'+g%26)) + string(rune('a'+g/26)), Amount: h8CNY(40_00)})
		})
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errorsIs(err, ErrCardConflict):
			conflicts++
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 1 || conflicts != n-1 {
		t.Fatalf("ok %d conflicts %d", ok, conflicts)
	}
	if e.cardBalance(iss.Card.ID) != 60_00 || e.merchantBalance("m1") != 40_00 {
		t.Fatalf("card %d merchant %d", e.cardBalance(iss.Card.ID), e.merchantBalance("m1"))
	}
}
