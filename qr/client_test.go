package qr

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// The whole contract through the Client over HTTP: issue, register a
// terminal, redeem, refuse an old copy, settle an offline batch (and a
// tampered one), transfer, read the card's record. Errors keep their
// sentinels across the wire.
func TestClientContract(t *testing.T) {
	e := h8NewEnv(t)
	srv := httptest.NewServer(Handler(e.iss))
	defer srv.Close()
	pc, err := pay.NewClient(srv.URL, pay.WithAPIKey("sk_test_0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	cl := NewClient(pc)
	ctx := e.ctx

	iss, err := cl.Issue(ctx, IssueRequest{Holder: "Li Lei", Token: h8Token, Balance: h8CNY(100_00), Validity: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if iss.Card.Balance != h8CNY(100_00) || iss.Card.Seq != 1 {
		t.Fatalf("issued %+v", iss.Card)
	}
	_, err = cl.Issue(ctx, IssueRequest{Holder: "Li Lei", Token: "411111111111111", Balance: h8CNY(1), Validity: time.Hour})
	h8IsCode(t, "bad token over HTTP", err, pay.ErrInvalidRequest)

	s, _ := GenerateSigner(101)
	ti, err := cl.RegisterTerminal(ctx, RegisterTerminalRequest{ID: "pos-1", MerchantID: "m1", KeyID: 101, PublicKey: s.Public()})
	if err != nil || ti.MerchantID != "m1" {
		t.Fatalf("register %+v, %v", ti, err)
	}
	term, err := NewTerminal(TerminalConfig{ID: "pos-1", MerchantID: "m1"}, s, e.keys, h8Wide, e.clk)
	if err != nil {
		t.Fatal(err)
	}

	rc, err := cl.Redeem(ctx, RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos-9", Amount: h8CNY(25_00)})
	if err != nil || rc.Card.Balance != h8CNY(75_00) || rc.Card.Seq != 2 {
		t.Fatalf("redeem %+v, %v", rc, err)
	}
	_, err = cl.Redeem(ctx, RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos-8", Amount: h8CNY(25_00)})
	h8IsCode(t, "old copy over HTTP", err, ErrCardConflict)
	_, err = cl.Redeem(ctx, RedeemRequest{Card: rc.Text, MerchantID: "m1", TerminalID: "pos-9", Amount: h8CNY(75_01)})
	h8IsCode(t, "over balance over HTTP", err, ErrCardBalance)

	text, _, err := term.Deduct(ctx, rc.Text, h8CNY(5_00), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := term.Batch(ctx)
	bad := b
	bad.Number++
	_, err = cl.Settle(ctx, bad)
	h8IsCode(t, "tampered batch over HTTP", err, ErrBatchSignature)
	rep, err := cl.Settle(ctx, b)
	if err != nil || len(rep.Applied) != 1 || rep.Applied[0].Amount != h8CNY(5_00) {
		t.Fatalf("settle %+v, %v", rep, err)
	}
	rep, err = cl.Settle(ctx, b)
	if err != nil || len(rep.Duplicates) != 1 {
		t.Fatalf("re-settle %+v, %v", rep, err)
	}

	tr, err := cl.Transfer(ctx, TransferRequest{Card: text, ToHolder: "Han Meimei", ToToken: h8Token2})
	if err != nil || tr.Remainder != nil || tr.Recipient.Card.Balance != h8CNY(70_00) || tr.Recipient.Card.PrevHolder != "Li Lei" {
		t.Fatalf("transfer %+v, %v", tr, err)
	}
	st, err := cl.Card(ctx, iss.Card.ID)
	if err != nil || !st.Spent || st.Head != 4 || len(st.Consumed) != 3 || st.Token != "" {
		t.Fatalf("card state %+v, %v", st, err)
	}
	_, err = cl.Card(ctx, NewCardID())
	h8IsCode(t, "unknown card over HTTP", err, ErrCardNotFound)
	if e.cardBalance(iss.Card.ID) != 0 || e.merchantBalance("m1") != 30_00 || e.cardBalance(tr.Recipient.Card.ID) != 70_00 {
		t.Fatal("books wrong after the HTTP flow")
	}
}
