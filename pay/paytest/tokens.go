package paytest

import (
	"context"
	"crypto/rand"

	"github.com/paykit-go/paykit/token"
)

// setupTokens builds the token vault under a fresh random master key. The
// admin key is the issuer and may detokenize; wallets are checked against
// the platform before they are tokenized.
func (b *Backend) setupTokens(c config) error {
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	var err error
	b.Tokens, err = token.New(master, token.WithClock(c.clock), token.WithLogger(c.log),
		token.WithAccountCheck(func(ctx context.Context, t token.AccountType, acct string) error {
			if t != token.AccountWallet {
				return nil
			}
			_, err := b.Platform.Wallet(ctx, acct)
			return err
		}))
	if err != nil {
		return err
	}
	b.scopes[RoleAdmin] = append([]string{token.ScopeDetokenize}, b.scopes[RoleAdmin]...)
	return nil
}
