package token

import (
	"context"
	"errors"
	"sync"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
)

// ProvisionRequest provisions a contactless credential: a token for a
// wallet, bound to one phone (its SIM or HCE applet), presented only
// contactless and only with a cryptogram.
type ProvisionRequest struct {
	WalletID string `json:"wallet_id"`
	DeviceID string `json:"device_id"`
	// RequestorID: as in IssueRequest.
	RequestorID    string `json:"requestor_id,omitempty"`
	AssuranceLevel int    `json:"assurance_level,omitempty"`
	// Controls may add limits; the device binding, the contactless mode and
	// the cryptogram requirement are always set.
	Controls Controls `json:"controls"`
}

// Provision issues a contactless credential for a wallet. The returned
// Issued carries the key the phone's secure element keeps; DeviceCredential
// turns it into what the phone presents.
func (v *Vault) Provision(ctx context.Context, c Caller, r ProvisionRequest) (Issued, error) {
	if err := checkName("device_id", r.DeviceID, true); err != nil {
		return Issued{}, err
	}
	ctl := r.Controls
	ctl.DeviceID, ctl.Modes, ctl.RequireCryptogram = r.DeviceID, []Mode{ModeContactless}, true
	return v.Issue(ctx, c, IssueRequest{
		Account: r.WalletID, AccountType: AccountWallet, Format: FormatNumeric, RequestorID: r.RequestorID,
		AssuranceLevel: r.AssuranceLevel, Domain: "device:" + r.DeviceID, Controls: ctl,
	})
}

// DeviceCredential is the phone's side of a contactless credential: the
// token, the key in its secure element and its transaction counter. It
// answers a terminal's tap with a fresh cryptogram. Safe for concurrent use.
type DeviceCredential struct {
	Token    string
	DeviceID string
	key      []byte
	mu       sync.Mutex
	counter  uint32
}

// DeviceCredential is the credential the phone keeps, from a provisioning
// answer.
func (i Issued) DeviceCredential() (*DeviceCredential, error) {
	if len(i.Key) != KeySize || i.Token.Controls.DeviceID == "" {
		return nil, errors.New("token: not a freshly provisioned device credential")
	}
	return &DeviceCredential{Token: i.Token.Value, DeviceID: i.Token.Controls.DeviceID, key: append([]byte(nil), i.Key...)}, nil
}

// Present answers a terminal's tap: the credential with a cryptogram over
// the amount, the merchant ("" at a top-up machine) and the terminal's
// unpredictable number, under the next transaction counter.
func (d *DeviceCredential) Present(amount pay.Money, merchantID string, unpredictable []byte) (account.Credential, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.counter == ^uint32(0) {
		return account.Credential{}, errors.New("token: the credential's counter is exhausted; provision a new one")
	}
	cg, err := NewCryptogram(d.key, CryptogramInput{Token: d.Token, Amount: amount, MerchantID: merchantID, Counter: d.counter + 1, Nonce: unpredictable})
	if err != nil {
		return account.Credential{}, err
	}
	d.counter++
	return account.Credential{Token: d.Token, Cryptogram: cg, DeviceID: d.DeviceID}, nil
}

// Resolver lets the account platform charge and top up wallets by
// contactless credential (account.WithCredentialResolver). Each tap is a
// contactless use of the token under all its controls; the platform is
// the acceptor, never the owner, so a refused tap is always ErrDeclined:
// the terminal learns nothing about the credential's controls.
func Resolver(v *Vault) account.CredentialResolver { return resolver{v} }

type resolver struct{ v *Vault }

// platformCaller is how the account platform calls the vault: it needs the
// wallet ID behind a credential, so it may detokenize, but owns nothing.
var platformCaller = Caller{ID: "account-platform", Detokenize: true}

func (r resolver) AuthorizeCredential(ctx context.Context, u account.CredentialUse) (account.CredentialGrant, error) {
	kind := UseDebit
	if u.TopUp {
		kind = UseCredit
	}
	res, err := r.v.Use(ctx, platformCaller, UseRequest{
		Token: u.Credential.Token, Kind: kind, Amount: u.Amount, MerchantID: u.MerchantID, TerminalID: u.TerminalID,
		DeviceID: u.Credential.DeviceID, Mode: ModeContactless, Cryptogram: u.Credential.Cryptogram,
	})
	if err != nil {
		var pe *pay.Error
		if errors.As(err, &pe) && pe.Code == pay.ErrInvalidRequest.Code {
			pe.Param = "credential." + pe.Param
		}
		return account.CredentialGrant{}, err
	}
	if res.AccountType != AccountWallet {
		_, _ = r.v.ReverseUse(context.WithoutCancel(ctx), platformCaller, res.Use.ID)
		return account.CredentialGrant{}, pay.Errorf(ErrDeclined, "", "the token was declined")
	}
	return account.CredentialGrant{WalletID: res.Account, UseID: res.Use.ID}, nil
}

func (r resolver) ReverseCredential(ctx context.Context, g account.CredentialGrant) error {
	_, err := r.v.ReverseUse(ctx, platformCaller, g.UseID)
	return err
}
