package flows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/qr"
	"github.com/paykit-go/paykit/qr/qrimage"
	"github.com/paykit-go/paykit/token"
	qrcode "github.com/skip2/go-qrcode"
)

// StoredValueOptions says what the stored-value flow shows and where it
// writes the card's QR image.
type StoredValueOptions struct {
	// PNG is the file the issued card's QR code is saved to (required).
	PNG string
	// QR, if set, receives the card's QR code drawn with half-block
	// characters, two module rows per line; nil prints no code (the tour).
	QR io.Writer
	// LightOnDark draws light modules as blocks, for terminals that print
	// light text on a dark background; otherwise dark modules are blocks.
	LightOnDark bool
}

// StoredValue runs the stored-value card flow through the public clients: a
// merchant backend issues a QR card against a wallet token, the card is
// rendered as a QR code and saved as a PNG that is decoded back, a POS
// redeems it online, an offline terminal deducts twice and settles, an old
// copy spent at a second offline terminal is caught at settlement, the old
// copy is refused online, and the rest of the value is transferred to a
// second holder who pays with the new card. It registers terminals bus-1
// and bus-2 (key IDs 101 and 102), so it runs once per backend. It prints only the last four
// characters of tokens and never a card's full text.
func StoredValue(ctx context.Context, srv *paytest.Server, opt StoredValueOptions) error {
	if opt.PNG == "" {
		return errors.New("storedvalue: no PNG path")
	}
	operator := account.NewClient(srv.AdminClient)
	merchant := account.NewClient(srv.Client)
	vault := token.NewClient(srv.Client)
	cards := qr.NewClient(srv.Client)     // the merchant backend
	pos := qr.NewClient(srv.DeviceClient) // POS devices: online payments, settlement, transfers
	cny := func(s string) pay.Money { m, _ := pay.ParseMoney(s, "CNY"); return m }

	shop, err := operator.CreateMerchant(ctx, "Campus Canteen")
	if err != nil {
		return err
	}
	holder := func(name, phone string) (token.Token, error) {
		cus, err := merchant.CreateCustomer(ctx, account.CreateCustomerRequest{Name: name, Phone: phone})
		if err != nil {
			return token.Token{}, err
		}
		w, err := merchant.OpenWallet(ctx, cus.ID, "CNY")
		if err != nil {
			return token.Token{}, err
		}
		t, err := vault.Issue(ctx, token.IssueRequest{Account: w.ID, AccountType: token.AccountWallet})
		return t.Token, err
	}
	liToken, err := holder("Li Lei", "+8613800138000")
	if err != nil {
		return err
	}
	hanToken, err := holder("Han Meimei", "+8613900139000")
	if err != nil {
		return err
	}

	card, err := cards.Issue(ctx, qr.IssueRequest{Holder: "Li Lei", Token: liToken.Value, Balance: cny("100.00"), Validity: 30 * 24 * time.Hour})
	if err != nil {
		return err
	}
	fmt.Printf("merchant backend: issued card %s to %s, %s, backed by wallet token …%s, valid until %s (seq %d, signed by issuer key %d)\n",
		card.Card.ID, card.Card.Holder, card.Card.Balance, last4(card.Card.Token), card.Card.Expires.Format("2006-01-02"), card.Card.Seq, card.Card.KeyID)

	if err := showCard(card.Text, opt); err != nil {
		return err
	}

	rc, err := pos.Redeem(ctx, qr.RedeemRequest{Card: card.Text, MerchantID: shop.ID, TerminalID: "pos-1", Amount: cny("30.00")})
	if err != nil {
		return err
	}
	fmt.Printf("POS pos-1 (online): paid %s at %s → card %s, seq %d, re-signed by the issuer\n", rc.Charged, shop.Name, rc.Card.Balance, rc.Card.Seq)

	bus1, err := offlineTerminal(ctx, srv, cards, "bus-1", shop.ID, 101)
	if err != nil {
		return err
	}
	bus2, err := offlineTerminal(ctx, srv, cards, "bus-2", shop.ID, 102)
	if err != nil {
		return err
	}
	l := srv.Cards.Limits()
	fmt.Printf("merchant backend: registered offline terminals bus-1 and bus-2 (their own Ed25519 keys); limits %s a payment, %s and %d payments per card, %s per terminal between settlements\n",
		pay.Money{Amount: l.PerTransaction, Currency: l.Currency}, pay.Money{Amount: l.PerCardAmount, Currency: l.Currency}, l.PerCardCount,
		pay.Money{Amount: l.PerTerminalAmount, Currency: l.Currency})

	copied := rc.Text // the holder keeps a screenshot of the card at seq 2
	text3, r2, err := bus1.Deduct(ctx, rc.Text, cny("20.00"), nil, "")
	if err != nil {
		return err
	}
	text4, r3, err := bus1.Deduct(ctx, text3, cny("15.00"), nil, "")
	if err != nil {
		return err
	}
	now, err := qr.Decode(text4, srv.Cards.Keys(), srv.Now()) // the issuer trusts bus-1's key
	if err != nil {
		return err
	}
	fmt.Printf("bus-1 (offline): paid %s (seq %d) and %s (seq %d) → card %s, seq %d, re-signed by bus-1\n", r2.Amount, r2.Seq, r3.Amount, r3.Seq, now.Balance, now.Seq)
	_, rb, err := bus2.Deduct(ctx, copied, cny("10.00"), nil, "")
	if err != nil {
		return err
	}
	fmt.Printf("bus-2 (offline): the screenshot of the card at seq %d pays %s — bus-2 cannot know it was spent\n", rb.Seq, rb.Amount)

	rep1, err := settle(ctx, pos, bus1)
	if err != nil {
		return err
	}
	rep2, err := settle(ctx, pos, bus2)
	if err != nil {
		return err
	}
	fmt.Printf("settlement: bus-1 batch → %d applied; bus-2 batch → %d applied, %d conflict\n", len(rep1.Applied), len(rep2.Applied), len(rep2.Conflicts))
	if len(rep1.Applied) != 2 || len(rep2.Applied) != 0 || len(rep2.Conflicts) != 1 {
		return fmt.Errorf("storedvalue: settlement applied %d and %d with %d conflicts; want 2, 0, 1", len(rep1.Applied), len(rep2.Applied), len(rep2.Conflicts))
	}
	c := rep2.Conflicts[0]
	fmt.Printf("  double spend caught: seq %d was spent first at %s (%s, booked) and again at %s (%s, not booked)\n", c.A.Seq, c.A.TerminalID, c.A.Amount, c.B.TerminalID, c.B.Amount)

	_, err = pos.Redeem(ctx, qr.RedeemRequest{Card: copied, MerchantID: shop.ID, TerminalID: "pos-2", Amount: cny("5.00")})
	var pe *pay.Error
	if !errors.Is(err, qr.ErrCardConflict) || !errors.As(err, &pe) {
		return fmt.Errorf("storedvalue: the spent copy online: want card_conflict, got %v", err)
	}
	fmt.Printf("POS pos-2 (online): the screenshot again → refused (%s, HTTP %d)\n", pe.Code, pe.HTTPStatus)

	tr, err := pos.Transfer(ctx, qr.TransferRequest{Card: text4, ToHolder: "Han Meimei", ToToken: hanToken.Value})
	if err != nil {
		return err
	}
	to := tr.Recipient.Card
	fmt.Printf("transfer: Li Lei gives the rest, %s, to %s → new card %s (previous holder %s); the old card is spent\n", tr.Amount, to.Holder, to.ID, to.PrevHolder)
	paid, err := pos.Redeem(ctx, qr.RedeemRequest{Card: tr.Recipient.Text, MerchantID: shop.ID, TerminalID: "pos-1", Amount: cny("8.50")})
	if err != nil {
		return err
	}
	fmt.Printf("POS pos-1 (online): %s pays %s → her card %s\n", to.Holder, paid.Charged, paid.Card.Balance)

	old, err := srv.Cards.Balance(ctx, card.Card.ID)
	if err != nil {
		return err
	}
	han, err := srv.Cards.Balance(ctx, to.ID)
	if err != nil {
		return err
	}
	got, err := merchant.MerchantBalance(ctx, shop.ID, "CNY")
	if err != nil {
		return err
	}
	fmt.Printf("books: %s received %s (30.00 online + 35.00 offline + 8.50); card accounts: Li Lei's %s, Han Meimei's %s\n", shop.Name, got, old, han)
	if got != cny("73.50") || old != cny("0.00") || han != cny("26.50") || paid.Card.Balance != han {
		return fmt.Errorf("storedvalue: merchant %s, old card %s, new card %s (card says %s); want 73.50, 0.00, 26.50 CNY", got, old, han, paid.Card.Balance)
	}
	return nil
}

// showCard prints the card as a QR code (if asked), saves it as a PNG and
// reads the PNG back, checking it holds the card's text.
func showCard(text string, opt StoredValueOptions) error {
	if opt.QR != nil {
		if err := drawQR(opt.QR, text, opt.LightOnDark); err != nil {
			return err
		}
	}
	png, err := qrimage.Encode(text)
	if err != nil {
		return err
	}
	if err := os.WriteFile(opt.PNG, png, 0o644); err != nil {
		return err
	}
	saved, err := os.ReadFile(opt.PNG)
	if err != nil {
		return err
	}
	back, err := qrimage.DecodePNG(saved)
	if err != nil {
		return fmt.Errorf("storedvalue: decode the saved PNG: %w", err)
	}
	if back != text {
		return errors.New("storedvalue: the PNG decodes to another text than the card's")
	}
	v, err := qrimage.Version(text, qrimage.LevelM)
	if err != nil {
		return err
	}
	fmt.Printf("QR: %d Base45 characters, version %d-M (%d×%d modules); PNG (%d bytes) saved to %s and decoded back: same text\n",
		len(text), v, 17+4*v, 17+4*v, len(png), opt.PNG)
	return nil
}

// drawQR writes text's QR code (level M, with its quiet zone) two module
// rows per line: ▀ when only the upper module is drawn, ▄ only the lower,
// █ both.
func drawQR(w io.Writer, text string, lightOnDark bool) error {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return err
	}
	bm := q.Bitmap() // true is a dark module
	drawn := func(y, x int) bool { return y < len(bm) && bm[y][x] != lightOnDark }
	var b strings.Builder
	for y := 0; y < len(bm); y += 2 {
		for x := range bm[y] {
			switch top, bottom := drawn(y, x), drawn(y+1, x); {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// offlineTerminal makes a POS that can pay offline: a fresh key registered
// with the issuer over HTTP (merchant key), and the issuer's public key and
// offline limits provisioned into it (read from the backend here; in the
// field, loaded when the terminal is installed).
func offlineTerminal(ctx context.Context, srv *paytest.Server, cards *qr.Client, id, merchantID string, keyID uint32) (*qr.Terminal, error) {
	s, err := qr.GenerateSigner(keyID)
	if err != nil {
		return nil, err
	}
	if _, err := cards.RegisterTerminal(ctx, qr.RegisterTerminalRequest{ID: id, MerchantID: merchantID, KeyID: keyID, PublicKey: s.Public()}); err != nil {
		return nil, err
	}
	// Provisioning over HTTP: the keys cards may be signed with (the
	// issuer's, this terminal's, the other terminals') and the limits.
	prov, err := cards.Provisioning(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := qr.KeySetOf(prov.Keys)
	if err != nil {
		return nil, err
	}
	return qr.NewTerminal(qr.TerminalConfig{ID: id, MerchantID: merchantID}, s, keys, prov.Limits, srv)
}

// settle uploads a terminal's batch and clears what the issuer settled.
func settle(ctx context.Context, pos *qr.Client, t *qr.Terminal) (qr.SettlementReport, error) {
	b, err := t.Batch(ctx)
	if err != nil {
		return qr.SettlementReport{}, err
	}
	rep, err := pos.Settle(ctx, b)
	if err != nil {
		return qr.SettlementReport{}, err
	}
	t.Settled(rep)
	return rep, nil
}
