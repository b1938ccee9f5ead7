package qr_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/qr"
)

// An issuer issues a card, a POS redeems it online, an offline terminal
// deducts from it and settles, and an old copy of the card is caught.
func ExampleIssuer() {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	keys := qr.NewKeySet()
	signer, _ := qr.GenerateSigner(1)
	issuer, _ := qr.NewIssuer(signer, keys, qr.WithClock(clk))

	card, _ := issuer.Issue(ctx, qr.IssueRequest{Holder: "Li Lei", Token: "6200000000000000000",
		Balance: pay.Money{Amount: 100_00, Currency: "CNY"}, Validity: 30 * 24 * time.Hour})

	rc, _ := issuer.Redeem(ctx, qr.RedeemRequest{Card: card.Text, MerchantID: "shop", TerminalID: "pos-1",
		Amount: pay.Money{Amount: 30_00, Currency: "CNY"}})
	fmt.Println("online:", rc.Charged, "left", rc.Card.Balance, "seq", rc.Card.Seq)

	tsigner, _ := qr.GenerateSigner(101)
	_, _ = issuer.RegisterTerminal(ctx, "pos-2", "shop", 101, tsigner.Public())
	term, _ := qr.NewTerminal(qr.TerminalConfig{ID: "pos-2", MerchantID: "shop"}, tsigner, keys, qr.DefaultOfflineLimits, clk)
	_, rec, _ := term.Deduct(ctx, rc.Text, pay.Money{Amount: 20_00, Currency: "CNY"}, nil, "")
	fmt.Println("offline: seq", rec.Seq, rec.Amount)

	batch, _ := term.Batch(ctx)
	rep, _ := issuer.Settle(ctx, batch)
	term.Settled(rep)
	bal, _ := issuer.Balance(ctx, card.Card.ID)
	fmt.Println("settled:", len(rep.Applied), "applied; card account", bal)

	_, err := issuer.Redeem(ctx, qr.RedeemRequest{Card: card.Text, MerchantID: "shop", TerminalID: "pos-3",
		Amount: pay.Money{Amount: 1_00, Currency: "CNY"}})
	fmt.Println("old copy:", errors.Is(err, qr.ErrCardConflict))
	// Output:
	// online: 30.00 CNY left 70.00 CNY seq 2
	// offline: seq 2 20.00 CNY
	// settled: 1 applied; card account 50.00 CNY
	// old copy: true
}
