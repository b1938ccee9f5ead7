package account

import (
	"context"

	"github.com/paykit-go/paykit/pay"
)

// onWallet runs book, the ledger movement of a consumption or top-up, on
// the movement's wallet: walletID itself, or the wallet a credential stands
// for once the resolver approved its use (described by use). When book
// fails, the credential's use is given back; when it succeeds, the
// transaction is recorded and, if a credential paid, returned as a receipt.
func (p *Platform) onWallet(ctx context.Context, walletID string, c *Credential, use CredentialUse, book func(walletID string) (Transaction, error)) (Transaction, error) {
	walletID, grant, err := p.authorize(ctx, walletID, c, use)
	if err != nil {
		return Transaction{}, err
	}
	t, err := book(walletID)
	if err != nil {
		p.reverse(ctx, grant)
		return Transaction{}, err
	}
	t.CredentialUseID = grant.UseID
	return p.receipt(p.record(ctx, t))
}

// authorize names the wallet of a movement: walletID itself, or the wallet
// the credential stands for once the resolver approved its use (described
// by use, without the credential).
func (p *Platform) authorize(ctx context.Context, walletID string, c *Credential, use CredentialUse) (string, CredentialGrant, error) {
	if c == nil {
		return walletID, CredentialGrant{}, nil
	}
	if p.credentials == nil {
		return "", CredentialGrant{}, pay.Errorf(pay.ErrInvalidRequest, "credential", "credential payments are not enabled on this platform")
	}
	use.Credential = *c
	g, err := p.credentials.AuthorizeCredential(ctx, use)
	if err != nil {
		return "", CredentialGrant{}, err
	}
	return g.WalletID, g, nil
}

// reverse gives back a credential use whose movement failed. The movement's
// own error is what the caller reports; a failed reversal leaves the use
// counted, which only ever refuses more, never approves more.
func (p *Platform) reverse(ctx context.Context, g CredentialGrant) {
	if g.UseID != "" {
		_ = p.credentials.ReverseCredential(context.WithoutCancel(ctx), g)
	}
}

// receipt is what the machine that presented a credential gets back: the
// stored transaction without the wallet and customer IDs the credential
// stands in for (balances stay, for the receipt). Movements named by
// wallet ID return the transaction unchanged.
func (p *Platform) receipt(t Transaction, err error) (Transaction, error) {
	if err == nil && t.CredentialUseID != "" {
		t.WalletID, t.CustomerID = "", ""
	}
	return t, err
}
