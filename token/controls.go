package token

import (
	"slices"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Mode is how a token is presented.
type Mode string

// Presentment modes.
const (
	ModeQR          Mode = "qr"          // in a QR code or barcode
	ModeInApp       Mode = "in_app"      // by an app on the payer's device
	ModeContactless Mode = "contactless" // by NFC from a SIM or HCE credential
	ModeEcommerce   Mode = "ecommerce"   // card-on-file at an online merchant
)

func (m Mode) valid() bool {
	return m == ModeQR || m == ModeInApp || m == ModeContactless || m == ModeEcommerce
}

// Controls are a token's domain controls. Every control is optional (its
// zero value means "no limit") and every one is checked on every use,
// before anything changes.
type Controls struct {
	// MaxUses caps the number of approved debit uses.
	MaxUses int64 `json:"max_uses,omitempty"`
	// PerUseLimit caps the amount of one debit use.
	PerUseLimit pay.Money `json:"per_use_limit,omitzero"`
	// CumulativeLimit caps the total of approved debit uses.
	CumulativeLimit pay.Money `json:"cumulative_limit,omitzero"`
	// NotBefore and Expires bound when the token may be used: a use at or
	// after Expires is refused.
	NotBefore time.Time `json:"not_before,omitzero"`
	Expires   time.Time `json:"expires,omitzero"`
	// Channels, Merchants and Terminals list where debit uses may happen.
	Channels  []string `json:"channels,omitempty"`
	Merchants []string `json:"merchants,omitempty"`
	Terminals []string `json:"terminals,omitempty"`
	// DeviceID binds the token to one device (the phone it was provisioned
	// to): every use must come from it.
	DeviceID string `json:"device_id,omitempty"`
	// Modes lists the presentment modes allowed.
	Modes []Mode `json:"modes,omitempty"`
	// RequireCryptogram refuses any use without a valid cryptogram.
	RequireCryptogram bool `json:"require_cryptogram,omitempty"`
}

// maxListLen bounds each list control.
const maxListLen = 100

// currency is the currency of the amount limits, or "" without them.
func (c Controls) currency() string {
	if c.PerUseLimit.Currency != "" {
		return c.PerUseLimit.Currency
	}
	return c.CumulativeLimit.Currency
}

// validate checks the controls' shape.
func (c Controls) validate() error {
	if c.MaxUses < 0 || c.MaxUses > 1_000_000_000 {
		return pay.Errorf(pay.ErrInvalidRequest, "controls.max_uses", "max_uses must be between 0 (no limit) and 1e9")
	}
	for _, l := range []struct {
		name string
		m    pay.Money
	}{{"controls.per_use_limit", c.PerUseLimit}, {"controls.cumulative_limit", c.CumulativeLimit}} {
		if l.m != (pay.Money{}) {
			if err := checkAmount(l.name, l.m); err != nil {
				return err
			}
		}
	}
	if c.PerUseLimit.Currency != "" && c.CumulativeLimit.Currency != "" && c.PerUseLimit.Currency != c.CumulativeLimit.Currency {
		return pay.Errorf(pay.ErrInvalidRequest, "controls.cumulative_limit", "both amount limits must be in one currency")
	}
	if !c.NotBefore.IsZero() && !c.Expires.IsZero() && !c.NotBefore.Before(c.Expires) {
		return pay.Errorf(pay.ErrInvalidRequest, "controls.expires", "expires must be after not_before")
	}
	for _, l := range []struct {
		name string
		v    []string
	}{{"controls.channels", c.Channels}, {"controls.merchants", c.Merchants}, {"controls.terminals", c.Terminals}} {
		if len(l.v) > maxListLen {
			return pay.Errorf(pay.ErrInvalidRequest, l.name, "at most %d entries", maxListLen)
		}
		for _, s := range l.v {
			if err := checkName(l.name, s, true); err != nil {
				return err
			}
		}
	}
	if err := checkName("controls.device_id", c.DeviceID, false); err != nil {
		return err
	}
	if len(c.Modes) > 4 {
		return pay.Errorf(pay.ErrInvalidRequest, "controls.modes", "at most 4 modes")
	}
	for _, m := range c.Modes {
		if !m.valid() {
			return pay.Errorf(pay.ErrInvalidRequest, "controls.modes", "modes are qr, in_app, contactless and ecommerce")
		}
	}
	return nil
}

// check runs every control but the cryptogram against a use at now. It
// returns the owner's view of the first refusal; Vault.refuse hides it from
// anyone else.
func (c Controls) check(t *Token, u UseRequest, now time.Time) *pay.Error {
	switch t.Status {
	case StatusSuspended:
		return refusal(ErrSuspended, "token", "the token is suspended by the %s", t.SuspendedBy)
	case StatusDeleted:
		return refusal(ErrDeleted, "token", "the token was deleted")
	}
	if !c.NotBefore.IsZero() && now.Before(c.NotBefore) {
		return refusal(ErrExpired, "token", "the token is not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
	}
	if !c.Expires.IsZero() && !now.Before(c.Expires) {
		return refusal(ErrExpired, "token", "the token expired at %s", c.Expires.UTC().Format(time.RFC3339))
	}
	if c.DeviceID != "" && u.DeviceID != c.DeviceID {
		return refusal(ErrDomain, "device_id", "the token is bound to another device")
	}
	if len(c.Terminals) > 0 && !slices.Contains(c.Terminals, u.TerminalID) {
		return refusal(ErrDomain, "terminal_id", "the token may not be used at this terminal")
	}
	if len(c.Modes) > 0 && !slices.Contains(c.Modes, u.Mode) {
		return refusal(ErrDomain, "mode", "the token may not be presented by %s", u.Mode)
	}
	if u.Kind == UseCredit {
		return nil // limits and acceptance lists govern spending only
	}
	if len(c.Merchants) > 0 && !slices.Contains(c.Merchants, u.MerchantID) {
		return refusal(ErrDomain, "merchant_id", "the token may not be used at this merchant")
	}
	if len(c.Channels) > 0 && !slices.Contains(c.Channels, u.Channel) {
		return refusal(ErrDomain, "channel", "the token may not be used through this channel")
	}
	if cur := c.currency(); cur != "" && u.Amount.Currency != cur {
		return refusal(ErrDomain, "amount.currency", "the token spends %s only", cur)
	}
	if c.PerUseLimit.Amount > 0 && u.Amount.Amount > c.PerUseLimit.Amount {
		return refusal(ErrAmountLimit, "amount", "the amount exceeds the per-use limit of %s", c.PerUseLimit)
	}
	if c.MaxUses > 0 && t.Uses >= c.MaxUses {
		return refusal(ErrUseLimit, "token", "the token's %d uses are spent", c.MaxUses)
	}
	if c.CumulativeLimit.Amount > 0 && t.Spent.Amount > c.CumulativeLimit.Amount-u.Amount.Amount {
		return refusal(ErrAmountLimit, "amount", "the amount would take the token past its cumulative limit of %s", c.CumulativeLimit)
	}
	return nil
}

// checkName validates an identifier-like field: 1 to 64 printable ASCII
// characters without spaces (required), or empty (optional).
func checkName(param, s string, required bool) error {
	if s == "" {
		if required {
			return pay.Errorf(pay.ErrInvalidRequest, param, "%s is required", param)
		}
		return nil
	}
	if len(s) > 64 {
		return pay.Errorf(pay.ErrInvalidRequest, param, "%s is longer than 64 characters", param)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return pay.Errorf(pay.ErrInvalidRequest, param, "%s must be printable ASCII without spaces", param)
		}
	}
	return nil
}

// checkAmount validates a positive amount in a known currency. Unlike
// pay.Money.ValidatePositive, its errors never echo the field: a garbled
// request may carry an account number in its currency or amount.
func checkAmount(param string, m pay.Money) error {
	if _, err := pay.CurrencyExponent(m.Currency); err != nil {
		return pay.Errorf(pay.ErrInvalidRequest, param+".currency", "%s.currency is not an ISO 4217 code", param)
	}
	if m.Amount <= 0 {
		return pay.Errorf(pay.ErrInvalidRequest, param+".amount", "%s.amount must be positive", param)
	}
	return nil
}
