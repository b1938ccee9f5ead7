package account

import (
	"context"
	"fmt"

	"github.com/paykit-go/paykit/pay"
)

// PointsRule says how many points a consumption earns: Points for every
// full Every minor units spent in Currency. {Currency "CNY", Every 100,
// Points 1} earns one point per yuan; 12.99 CNY earns 12.
type PointsRule struct {
	Currency string `json:"currency"`
	Every    int64  `json:"every"`
	Points   int64  `json:"points"`
}

// Earned returns the points amount m earns under r (0 for other currencies).
func (r PointsRule) Earned(m pay.Money) int64 {
	if r.Currency != m.Currency || r.Every <= 0 || m.Amount <= 0 {
		return 0
	}
	return m.Amount / r.Every * r.Points
}

func (r PointsRule) validate() error {
	if _, err := pay.CurrencyExponent(r.Currency); err != nil {
		return err
	}
	if r.Every <= 0 || r.Points < 0 || r.Points > 1_000_000 {
		return fmt.Errorf("account: points rule needs Every > 0 and 0 <= Points <= 1e6, got %+v", r)
	}
	return nil
}

// Credential is what a consumption or top-up machine reads from a
// contactless credential (a phone's SIM or HCE applet) instead of a wallet
// ID: a payment token, the per-use cryptogram that proves the device holds
// the token's key, and the device's ID for device-bound tokens.
type Credential struct {
	Token      string `json:"token"`
	Cryptogram string `json:"cryptogram,omitempty"`
	DeviceID   string `json:"device_id,omitempty"`
}

// CredentialUse is everything a resolver needs to check a credential's
// domain controls for one movement.
type CredentialUse struct {
	Credential Credential
	Amount     pay.Money
	MerchantID string // empty for a top-up
	TerminalID string
	// TopUp is set when the movement credits the wallet (a top-up machine)
	// rather than debits it.
	TopUp bool
}

// CredentialGrant is a resolver's approval of one credential use: the wallet
// the credential stands for and the resolver's ID for the use, kept on the
// transaction.
type CredentialGrant struct {
	WalletID string
	UseID    string
}

// CredentialResolver turns a presented contactless credential into the
// wallet it stands for, enforcing the credential's controls (use counts,
// limits, cryptogram) and recording the use. When the ledger movement that
// follows fails, the platform calls ReverseCredential so the failed payment
// counts against no limit. The token vault implements it; a Platform
// without one refuses credential payments rather than guessing.
type CredentialResolver interface {
	AuthorizeCredential(ctx context.Context, use CredentialUse) (CredentialGrant, error)
	ReverseCredential(ctx context.Context, grant CredentialGrant) error
}
