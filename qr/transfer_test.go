package qr

import (
	"testing"

	"github.com/paykit-go/paykit/pay"
)

func TestTransferPartialAndFull(t *testing.T) {
	e := h8NewEnv(t)
	iss := e.issue("Li Lei", 100_00, 3)
	req := TransferRequest{Card: iss.Text, ToHolder: "Han Meimei", ToToken: h8Token2, Amount: h8CNY(40_00)}
	res, err := e.iss.Transfer(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	to, err := Decode(res.Recipient.Text, e.keys, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if to.Holder != "Han Meimei" || to.PrevHolder != "Li Lei" || to.Token != h8Token2 || to.Balance != h8CNY(40_00) ||
		to.Uses != UnlimitedUses || to.Seq != 1 || to.ID == iss.Card.ID || !to.Expires.Equal(iss.Card.Expires) {
		t.Fatalf("recipient card = %+v", to)
	}
	if res.Remainder == nil || res.Remainder.Card.Balance != h8CNY(60_00) || res.Remainder.Card.Seq != 2 || res.Remainder.Card.Uses != 3 {
		t.Fatalf("remainder = %+v", res.Remainder)
	}
	if e.cardBalance(iss.Card.ID) != 60_00 || e.cardBalance(to.ID) != 40_00 {
		t.Fatalf("ledger giver %d recipient %d", e.cardBalance(iss.Card.ID), e.cardBalance(to.ID))
	}
	// Repeating the transfer is a duplicate; the old card for anything else a conflict.
	again, err := e.iss.Transfer(e.ctx, req)
	if err != nil || !again.Duplicate || again.Recipient.Text != res.Recipient.Text {
		t.Fatalf("repeat = %+v, %v", again, err)
	}
	_, err = e.iss.Redeem(e.ctx, RedeemRequest{Card: iss.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(1)})
	h8IsCode(t, "old card after transfer", err, ErrCardConflict)
	_, err = e.iss.Transfer(e.ctx, TransferRequest{Card: iss.Text, ToHolder: "Wei Hua", ToToken: h8Token2})
	h8IsCode(t, "old card transferred again", err, ErrCardConflict)

	// The recipient pays with the new card.
	rc, err := e.iss.Redeem(e.ctx, RedeemRequest{Card: res.Recipient.Text, MerchantID: "m1", TerminalID: "pos1", Amount: h8CNY(15_00)})
	if err != nil || rc.Card.PrevHolder != "Li Lei" || rc.Card.Balance != h8CNY(25_00) {
		t.Fatalf("recipient pays: %+v, %v", rc, err)
	}

	// A full transfer of the rest spends the giver's card and hands over its uses.
	full, err := e.iss.Transfer(e.ctx, TransferRequest{Card: res.Remainder.Text, ToHolder: "Wei Hua", ToToken: h8Token2})
	if err != nil {
		t.Fatal(err)
	}
	if full.Remainder != nil || full.Amount != h8CNY(60_00) || full.Recipient.Card.Uses != 3 || full.Recipient.Card.Balance != h8CNY(60_00) {
		t.Fatalf("full transfer = %+v", full)
	}
	st := e.state(iss.Card.ID)
	if !st.Spent || st.Current != "" || st.Head != 3 {
		t.Fatalf("giver state = %+v", st)
	}
	if e.cardBalance(iss.Card.ID) != 0 || e.cardBalance(full.Recipient.Card.ID) != 60_00 {
		t.Fatal("full transfer books wrong")
	}
	tot, _ := e.iss.Ledger().Totals(e.ctx)
	if c := tot["CNY"]; c.DebitsPosted != c.CreditsPosted {
		t.Fatalf("ledger out of balance: %+v", c)
	}
}

func TestTransferRefusals(t *testing.T) {
	e := h8NewEnv(t)
	iss := e.issue("Li Lei", 10_00, 0)
	empty := e.issue("Li Lei", 0, 2)
	for _, tc := range []struct {
		name string
		req  TransferRequest
		kind error
	}{
		{"over balance", TransferRequest{Card: iss.Text, ToHolder: "B", ToToken: h8Token2, Amount: h8CNY(10_01)}, ErrCardBalance},
		{"currency", TransferRequest{Card: iss.Text, ToHolder: "B", ToToken: h8Token2, Amount: pay.Money{Amount: 1, Currency: "USD"}}, ErrCardCurrency},
		{"no value", TransferRequest{Card: empty.Text, ToHolder: "B", ToToken: h8Token2}, ErrCardBalance},
		{"no token", TransferRequest{Card: iss.Text, ToHolder: "B"}, nil},
		{"bad holder", TransferRequest{Card: iss.Text, ToHolder: "", ToToken: h8Token2}, nil},
		{"raw account", TransferRequest{Card: iss.Text, ToHolder: "B", ToToken: "12345678"}, nil},
	} {
		_, err := e.iss.Transfer(e.ctx, tc.req)
		if err == nil {
			t.Fatalf("%s accepted", tc.name)
		}
		if tc.kind != nil && !errorsIsErr(err, tc.kind) {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	if e.cardBalance(iss.Card.ID) != 10_00 || len(e.state(iss.Card.ID).Consumed) != 0 {
		t.Fatal("a refused transfer changed the card")
	}
}
