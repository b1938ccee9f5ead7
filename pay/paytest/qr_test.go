package paytest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/qr"
	"github.com/paykit-go/paykit/token"
)

// qrEnv is a backend with a merchant, two customers with CNY wallets (the
// first topped up with 100.00) and a wallet token for each, and the card
// clients of the merchant backend and of a POS.
type qrEnv struct {
	srv              *paytest.Server
	merchant, pos    *qr.Client
	accounts         *account.Client
	vault            *token.Client
	shop             account.Merchant
	wallet1, wallet2 account.Wallet
	token1, token2   token.Token
}

func newQREnv(t *testing.T) *qrEnv {
	t.Helper()
	ctx := context.Background()
	srv := newServer(t)
	e := &qrEnv{srv: srv, merchant: qr.NewClient(srv.Client), pos: qr.NewClient(srv.DeviceClient),
		accounts: account.NewClient(srv.Client), vault: token.NewClient(srv.Client)}
	var err error
	if e.shop, err = account.NewClient(srv.AdminClient).CreateMerchant(ctx, "Canteen"); err != nil {
		t.Fatal(err)
	}
	wallet := func(name, phone string) (account.Wallet, token.Token) {
		cus, err := e.accounts.CreateCustomer(ctx, account.CreateCustomerRequest{Name: name, Phone: phone})
		if err != nil {
			t.Fatal(err)
		}
		w, err := e.accounts.OpenWallet(ctx, cus.ID, "CNY")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.vault.Issue(ctx, token.IssueRequest{Account: w.ID, AccountType: token.AccountWallet})
		if err != nil {
			t.Fatal(err)
		}
		return w, tok.Token
	}
	e.wallet1, e.token1 = wallet("Li Lei", "+8613800138000")
	e.wallet2, e.token2 = wallet("Han Meimei", "+8613900139000")
	if _, err := account.NewClient(srv.DeviceClient).TopUp(ctx, account.TopUpRequest{
		WalletID: e.wallet1.ID, Amount: cny(100_00), Source: account.SourceMachine, TerminalID: "kiosk-1",
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// books checks the card's ledger balance, the merchant's balance as the
// account platform reports it, and the first wallet's balance, to the unit.
func (e *qrEnv) books(t *testing.T, what, cardID string, card, shop, wallet int64) {
	t.Helper()
	ctx := context.Background()
	gotCard, err := e.srv.Cards.Balance(ctx, cardID)
	if err != nil {
		t.Fatal(err)
	}
	gotShop, err := e.accounts.MerchantBalance(ctx, e.shop.ID, "CNY")
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.accounts.Wallet(ctx, e.wallet1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gotCard != cny(card) || gotShop != cny(shop) || w.Balance != cny(wallet) {
		t.Errorf("%s: card %s, merchant %s, wallet %s; want %s, %s, %s", what, gotCard, gotShop, w.Balance, cny(card), cny(shop), cny(wallet))
	}
}

// terminal provisions an offline terminal: a fresh key registered over HTTP
// with the merchant key, and a key set trusting the issuer and keys (the
// other terminals' keys, so cards they regenerated verify here).
func (e *qrEnv) terminal(t *testing.T, id string, keyID uint32, others ...qr.Signer) (*qr.Terminal, qr.Signer) {
	t.Helper()
	s, err := qr.GenerateSigner(keyID)
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.merchant.RegisterTerminal(context.Background(), qr.RegisterTerminalRequest{
		ID: id, MerchantID: e.shop.ID, KeyID: keyID, PublicKey: s.Public(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != id || info.MerchantID != e.shop.ID || info.KeyID != keyID {
		t.Fatalf("registered terminal = %+v", info)
	}
	// The terminal is provisioned over HTTP: trusted keys and limits.
	prov, err := e.merchant.Provisioning(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if prov.Limits != qr.DefaultOfflineLimits {
		t.Fatalf("provisioned limits = %+v", prov.Limits)
	}
	keys, err := qr.KeySetOf(prov.Keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append([]qr.Signer{s}, others...) {
		if got, ok := keys.Key(k.KeyID()); !ok || !got.Equal(k.Public()) {
			t.Fatalf("provisioned keys lack terminal key %d", k.KeyID())
		}
	}
	if _, ok := keys.Key(paytest.CardIssuerKeyID); !ok {
		t.Fatal("provisioned keys lack the issuer's")
	}
	term, err := qr.NewTerminal(qr.TerminalConfig{ID: id, MerchantID: e.shop.ID}, s, keys, prov.Limits, e.srv)
	if err != nil {
		t.Fatal(err)
	}
	return term, s
}

// wantCardErr checks err is kind after the trip over HTTP, with its status
// and a request ID.
func wantCardErr(t *testing.T, what string, err error, kind *pay.Error) {
	t.Helper()
	var pe *pay.Error
	if !errors.Is(err, kind) || !errors.As(err, &pe) {
		t.Errorf("%s: err = %v; want %s", what, err, kind.Code)
		return
	}
	if pe.HTTPStatus != kind.HTTPStatus || pe.RequestID == "" {
		t.Errorf("%s: status %d, request ID %q; want %d and an ID", what, pe.HTTPStatus, pe.RequestID, kind.HTTPStatus)
	}
}

// The whole life of a card through the public clients: issued by the
// merchant backend, paid online at a POS (card value and a charge to the
// designated wallet, both landing in the merchant's platform balance),
// deducted twice offline and settled, a copy double-spent at a second
// terminal caught at settlement with both records, a re-upload reported
// as duplicates, and the rest transferred to a second holder.
func TestCardLifeOverHTTP(t *testing.T) {
	e := newQREnv(t)
	ctx := context.Background()

	card, err := e.merchant.Issue(ctx, qr.IssueRequest{Holder: "Li Lei", Token: e.token1.Value, Balance: cny(100_00), Validity: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if card.Card.Seq != 1 || card.Card.Balance != cny(100_00) || card.Card.KeyID != paytest.CardIssuerKeyID {
		t.Fatalf("issued %+v", card.Card)
	}
	e.books(t, "issued", card.Card.ID, 100_00, 0, 100_00)

	rc, err := e.pos.Redeem(ctx, qr.RedeemRequest{Card: card.Text, MerchantID: e.shop.ID, TerminalID: "pos-1", Amount: cny(30_00)})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Charged != cny(30_00) || rc.Card.Balance != cny(70_00) || rc.Card.Seq != 2 || rc.Seq != 1 || rc.Kind != qr.KindAmount {
		t.Fatalf("receipt %+v", rc)
	}
	e.books(t, "redeemed online", card.Card.ID, 70_00, 30_00, 100_00)

	// Charging the designated account: the wallet pays through the vault
	// and the platform; the card's balance stays.
	ch, err := e.pos.Redeem(ctx, qr.RedeemRequest{Card: rc.Text, MerchantID: e.shop.ID, TerminalID: "pos-1", Amount: cny(12_00), ChargeAccount: true})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Kind != qr.KindCharge || ch.Charged != cny(12_00) || ch.Card.Balance != cny(70_00) || ch.Card.Seq != 3 || ch.Reference == "" {
		t.Fatalf("charge receipt %+v", ch)
	}
	txs, err := e.accounts.Transactions(ctx, e.wallet1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := txs[len(txs)-1]; last.ID != ch.Reference || last.Kind != account.KindConsumption || last.Amount != cny(12_00) || last.TerminalID != "pos-1" {
		t.Errorf("wallet's last transaction %+v; want the charge %s", last, ch.Reference)
	}
	e.books(t, "charged to the wallet", card.Card.ID, 70_00, 42_00, 88_00)
	if tk, err := e.vault.Get(ctx, e.token1.ID); err != nil || tk.Uses != 1 || tk.Spent != cny(12_00) {
		t.Errorf("wallet token after the charge: %+v, %v; want 1 use of 12.00 CNY", tk, err)
	}

	// Offline: two deductions at one terminal, settled over HTTP.
	t1, s1 := e.terminal(t, "pos-off-1", 101)
	t2, _ := e.terminal(t, "pos-off-2", 102, s1)
	text4, r3, err := t1.Deduct(ctx, ch.Text, cny(20_00), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	text5, r4, err := t1.Deduct(ctx, text4, cny(15_00), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if r3.Seq != 3 || r4.Seq != 4 {
		t.Fatalf("offline records consumed %d and %d; want 3 and 4", r3.Seq, r4.Seq)
	}
	// The same card copy (seq 3) is spent again at a second terminal,
	// which cannot know.
	_, r3b, err := t2.Deduct(ctx, ch.Text, cny(10_00), nil, "")
	if err != nil {
		t.Fatal(err)
	}

	b1, err := t1.Batch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.pos.Settle(ctx, b1)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]qr.Record{r3, r4}, rep.Applied); d != "" || len(rep.Duplicates)+len(rep.Conflicts)+len(rep.Rejected) != 0 {
		t.Fatalf("first settlement: applied diff (-want +got):\n%s\nreport %+v", d, rep)
	}
	t1.Settled(rep)
	if n := len(t1.Pending()); n != 0 {
		t.Errorf("%d records still pending after settlement", n)
	}
	e.books(t, "settled", card.Card.ID, 35_00, 77_00, 88_00)

	b2, err := t2.Batch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep2, err := e.pos.Settle(ctx, b2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep2.Conflicts) != 1 || len(rep2.Applied)+len(rep2.Duplicates)+len(rep2.Rejected) != 0 {
		t.Fatalf("double spend settlement: %+v; want exactly one conflict", rep2)
	}
	if d := cmp.Diff(qr.Conflict{A: r3, B: r3b}, rep2.Conflicts[0]); d != "" {
		t.Errorf("conflict (-want +got):\n%s", d)
	}
	e.books(t, "double spend refused", card.Card.ID, 35_00, 77_00, 88_00)

	again, err := e.pos.Settle(ctx, b1)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]qr.Record{r3, r4}, again.Duplicates); d != "" || len(again.Applied)+len(again.Conflicts)+len(again.Rejected) != 0 {
		t.Errorf("re-upload: duplicates diff (-want +got):\n%s\nreport %+v", d, again)
	}
	e.books(t, "re-upload", card.Card.ID, 35_00, 77_00, 88_00)

	st, err := e.merchant.Card(ctx, card.Card.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Head != 5 || len(st.Consumed) != 4 || st.Token != "" {
		t.Errorf("card state: head %d, %d consumed, token %q; want 5, 4, none", st.Head, len(st.Consumed), st.Token)
	}

	// The rest goes to a second holder; the card the terminal regenerated
	// (signed by the terminal's key) is accepted online.
	tr, err := e.pos.Transfer(ctx, qr.TransferRequest{Card: text5, ToHolder: "Han Meimei", ToToken: e.token2.Value})
	if err != nil {
		t.Fatal(err)
	}
	rcpt := tr.Recipient.Card
	if tr.Remainder != nil || tr.Amount != cny(35_00) || rcpt.Balance != cny(35_00) || rcpt.Holder != "Han Meimei" || rcpt.PrevHolder != "Li Lei" || rcpt.Seq != 1 {
		t.Fatalf("transfer %+v", tr)
	}
	if got, err := e.srv.Cards.Balance(ctx, rcpt.ID); err != nil || got != cny(35_00) {
		t.Errorf("recipient card account %s, %v; want 35.00 CNY", got, err)
	}
	e.books(t, "transferred", card.Card.ID, 0, 77_00, 88_00)
	_, err = e.pos.Redeem(ctx, qr.RedeemRequest{Card: text5, MerchantID: e.shop.ID, TerminalID: "pos-1", Amount: cny(1_00)})
	wantCardErr(t, "the given-away card", err, qr.ErrCardConflict)

	// The recipient pays with the new card.
	paid, err := e.pos.Redeem(ctx, qr.RedeemRequest{Card: tr.Recipient.Text, MerchantID: e.shop.ID, TerminalID: "pos-1", Amount: cny(5_00)})
	if err != nil || paid.Card.Balance != cny(30_00) {
		t.Fatalf("recipient pays: %+v, %v", paid.Card, err)
	}
	e.books(t, "recipient paid", card.Card.ID, 0, 82_00, 88_00)
}

// Refusals keep their sentinel, status and request ID across HTTP, and
// change nothing.
func TestCardErrorsOverHTTP(t *testing.T) {
	e := newQREnv(t)
	ctx := context.Background()
	card, err := e.merchant.Issue(ctx, qr.IssueRequest{Holder: "Li Lei", Token: e.token1.Value, Balance: cny(50_00), Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	redeem := func(text string, amount pay.Money) error {
		_, err := e.pos.Redeem(ctx, qr.RedeemRequest{Card: text, MerchantID: e.shop.ID, TerminalID: "pos-1", Amount: amount})
		return err
	}

	_, err = e.pos.Issue(ctx, qr.IssueRequest{Holder: "Li Lei", Token: e.token1.Value, Balance: cny(1_00), Validity: time.Hour})
	wantCardErr(t, "issue with the device key", err, pay.ErrForbidden)
	_, err = e.merchant.Issue(ctx, qr.IssueRequest{Holder: "Li Lei", Token: "4111111111111112", Balance: cny(1_00), Validity: time.Hour})
	wantCardErr(t, "issue against a number that is not a token", err, pay.ErrInvalidRequest)

	wantCardErr(t, "over the balance", redeem(card.Text, cny(50_01)), qr.ErrCardBalance)
	wantCardErr(t, "wrong currency", redeem(card.Text, pay.Money{Amount: 1_00, Currency: "USD"}), qr.ErrCardCurrency)
	tampered := []byte(card.Text)
	tampered[len(tampered)/2] ^= 'A' ^ 'B'
	if tampered[len(tampered)/2] == card.Text[len(tampered)/2] {
		t.Fatal("tamper did not change the text")
	}
	if err := redeem(string(tampered), cny(1_00)); !errors.Is(err, qr.ErrCardSignature) && !errors.Is(err, qr.ErrCardMalformed) {
		t.Errorf("tampered card: err = %v; want card_bad_signature or card_malformed", err)
	}
	_, err = e.pos.Redeem(ctx, qr.RedeemRequest{Card: card.Text, MerchantID: e.shop.ID, TerminalID: "pos-1", OneUse: true})
	wantCardErr(t, "a use of a card that is not use-limited", err, qr.ErrCardNoUses)
	_, err = e.merchant.Card(ctx, "svc_aaaaaaaaaaaaa")
	wantCardErr(t, "unknown card", err, qr.ErrCardNotFound)

	rc, err := e.pos.Redeem(ctx, qr.RedeemRequest{Card: card.Text, MerchantID: e.shop.ID, TerminalID: "pos-1", Amount: cny(10_00)})
	if err != nil {
		t.Fatal(err)
	}
	dup, err := e.pos.Redeem(ctx, qr.RedeemRequest{Card: card.Text, MerchantID: e.shop.ID, TerminalID: "pos-1", Amount: cny(10_00)})
	if err != nil || !dup.Duplicate || dup.Text != rc.Text {
		t.Errorf("repeated redemption: duplicate %v, same card %v, %v", dup.Duplicate, dup.Text == rc.Text, err)
	}
	_, err = e.pos.Redeem(ctx, qr.RedeemRequest{Card: card.Text, MerchantID: e.shop.ID, TerminalID: "pos-2", Amount: cny(10_00)})
	wantCardErr(t, "old copy at another POS", err, qr.ErrCardConflict)

	// A bank card token cannot be charged: declined, the use given back.
	bank, err := e.vault.Issue(ctx, token.IssueRequest{Account: "4111111111111111", AccountType: token.AccountCard})
	if err != nil {
		t.Fatal(err)
	}
	bc, err := e.merchant.Issue(ctx, qr.IssueRequest{Holder: "Li Lei", Token: bank.Token.Value, Balance: cny(5_00), Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pos.Redeem(ctx, qr.RedeemRequest{Card: bc.Text, MerchantID: e.shop.ID, TerminalID: "pos-1", Amount: cny(1_00), ChargeAccount: true})
	wantCardErr(t, "charge to a bank card token", err, token.ErrDeclined)
	if tk, err := e.vault.Get(ctx, bank.Token.ID); err != nil || tk.Uses != 0 || tk.Spent.Amount != 0 {
		t.Errorf("declined charge left the token at %d uses, %s spent (%v); want none", tk.Uses, tk.Spent, err)
	}
	// A wallet that cannot pay: refused by the platform, the use given back.
	poor, err := e.merchant.Issue(ctx, qr.IssueRequest{Holder: "Han Meimei", Token: e.token2.Value, Balance: cny(5_00), Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pos.Redeem(ctx, qr.RedeemRequest{Card: poor.Text, MerchantID: e.shop.ID, TerminalID: "pos-1", Amount: cny(1_00), ChargeAccount: true})
	wantCardErr(t, "charge to an empty wallet", err, pay.ErrInsufficientFunds)
	if tk, err := e.vault.Get(ctx, e.token2.ID); err != nil || tk.Uses != 0 {
		t.Errorf("refused charge left the wallet token at %d uses (%v); want 0", tk.Uses, err)
	}
	if st, err := e.merchant.Card(ctx, poor.Card.ID); err != nil || st.Head != 1 || len(st.Consumed) != 0 {
		t.Errorf("refused charge consumed the card: head %d, %d consumed (%v)", st.Head, len(st.Consumed), err)
	}
	e.books(t, "after the refusals", card.Card.ID, 40_00, 10_00, 100_00)

	// Settlement: unknown terminal, forged batch.
	term, _ := e.terminal(t, "pos-off-1", 101)
	if _, _, err := term.Deduct(ctx, rc.Text, cny(5_00), nil, ""); err != nil {
		t.Fatal(err)
	}
	b, err := term.Batch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	forged := b
	forged.Records = append([]qr.Record(nil), b.Records...)
	forged.Records[0].Amount = cny(1_00)
	_, err = e.pos.Settle(ctx, forged)
	wantCardErr(t, "forged batch", err, qr.ErrBatchSignature)
	stranger := b
	stranger.TerminalID = "pos-unknown"
	_, err = e.pos.Settle(ctx, stranger)
	wantCardErr(t, "unknown terminal", err, qr.ErrTerminalUnknown)
	_, err = e.merchant.RegisterTerminal(ctx, qr.RegisterTerminalRequest{ID: "pos-x", MerchantID: e.shop.ID, KeyID: paytest.CardIssuerKeyID, PublicKey: make([]byte, 32)})
	wantCardErr(t, "terminal under the issuer's key ID", err, pay.ErrConflict)
	_, err = e.pos.RegisterTerminal(ctx, qr.RegisterTerminalRequest{ID: "pos-y", MerchantID: e.shop.ID, KeyID: 200, PublicKey: make([]byte, 32)})
	wantCardErr(t, "terminal registered with the device key", err, pay.ErrForbidden)
	e.books(t, "after the refused batches", card.Card.ID, 40_00, 10_00, 100_00)
}
