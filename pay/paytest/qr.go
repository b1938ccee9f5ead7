package paytest

import (
	"context"
	"strconv"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/qr"
	"github.com/paykit-go/paykit/token"
)

// CardIssuerKeyID is the key ID of the key the backend signs stored-value
// cards with. Terminals register their own keys under other IDs (POST
// /v1/qr/terminals, merchant key).
const CardIssuerKeyID uint32 = 1

// cardCaller is how the card charger calls the token vault: like the
// account platform, it needs the wallet behind a card's token, so it may
// detokenize, but it owns no token.
var cardCaller = token.Caller{ID: "qr-issuer", Detokenize: true}

// setupCards builds the stored-value card issuer: a fresh issuer key
// (CardIssuerKeyID) in a new key set, card value booked in the backend's
// ledger (so merchant balances include card income) on the backend's
// clock, and redemptions that charge the designated account going through
// the token vault and the account platform. Call it after the vault and
// the platform exist.
func (b *Backend) setupCards(c config) error {
	signer, err := qr.GenerateSigner(CardIssuerKeyID)
	if err != nil {
		return err
	}
	b.Cards, err = qr.NewIssuer(signer, qr.NewKeySet(),
		qr.WithLedger(b.Ledger), qr.WithClock(c.clock),
		qr.WithCharger(cardCharger{tokens: b.Tokens, platform: b.Platform}))
	return err
}

// cardCharger charges a card's designated account: the card's token is used
// at the vault (presentment mode QR, within its controls), the wallet behind
// it pays the merchant through the account platform (the same books and
// points as any consumption), and the use is given back if the payment
// fails. Only wallet tokens can be charged: a token for a bank card or an
// account outside the platform is declined.
type cardCharger struct {
	tokens   *token.Vault
	platform *account.Platform
}

// Charge implements qr.Charger; the reference is the platform transaction's ID.
func (c cardCharger) Charge(ctx context.Context, r qr.ChargeRequest) (string, error) {
	amount, merchantID := r.Amount, r.MerchantID
	res, err := c.tokens.Use(ctx, cardCaller, token.UseRequest{
		Token: r.Token, Amount: amount, MerchantID: merchantID, TerminalID: r.TerminalID, Mode: token.ModeQR,
	})
	if err != nil {
		return "", err
	}
	giveBack := func() { _, _ = c.tokens.ReverseUse(context.WithoutCancel(ctx), cardCaller, res.Use.ID) }
	if res.AccountType != token.AccountWallet {
		giveBack()
		return "", pay.Errorf(token.ErrDeclined, "charge_account", "the card's designated account is not a wallet")
	}
	tx, err := c.platform.Consume(ctx, account.ConsumeRequest{
		WalletID: res.Account, MerchantID: merchantID, Amount: amount, TerminalID: r.TerminalID, Reference: r.CardID + ":" + strconv.FormatUint(r.Seq, 10),
	})
	if err != nil {
		giveBack()
		return "", err
	}
	return tx.ID, nil
}
