package account

import (
	"errors"
	"strings"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// Ledger transfer codes used by the platform, so ledger readers can tell
// movements apart.
const (
	CodeTopUp uint16 = iota + 1
	CodeConsumption
	CodePointsEarned
	CodeBillPayment
	CodePointsRedeemed
)

// Platform is the account-platform engine a backend embeds.
type Platform struct {
	ledger      *ledger.Ledger
	store       Store
	clock       pay.Clock
	rules       map[string]PointsRule
	credentials CredentialResolver
}

// Option configures a Platform.
type Option func(*Platform) error

// WithLedger sets the ledger every movement goes through (default: a new
// in-memory ledger on the platform's clock).
func WithLedger(l *ledger.Ledger) Option {
	return func(p *Platform) error {
		if l == nil {
			return errors.New("account: nil ledger")
		}
		p.ledger = l
		return nil
	}
}

// WithStore sets the record store (default: NewMemStore()).
func WithStore(s Store) Option {
	return func(p *Platform) error {
		if s == nil {
			return errors.New("account: nil store")
		}
		p.store = s
		return nil
	}
}

// WithClock sets the clock stamped on records (default: the system clock).
func WithClock(c pay.Clock) Option {
	return func(p *Platform) error {
		if c == nil {
			return errors.New("account: nil clock")
		}
		p.clock = c
		return nil
	}
}

// WithPointsRule adds the points rule for one currency; a later rule for the
// same currency replaces it. Without a rule consumption earns no points.
func WithPointsRule(r PointsRule) Option {
	return func(p *Platform) error {
		if err := r.validate(); err != nil {
			return err
		}
		p.rules[r.Currency] = r
		return nil
	}
}

// WithCredentialResolver lets consumption machines charge by contactless
// credential; see CredentialResolver.
func WithCredentialResolver(r CredentialResolver) Option {
	return func(p *Platform) error {
		if r == nil {
			return errors.New("account: nil credential resolver")
		}
		p.credentials = r
		return nil
	}
}

// New returns a Platform.
func New(opts ...Option) (*Platform, error) {
	p := &Platform{store: NewMemStore(), clock: clock.System{}, rules: map[string]PointsRule{}}
	for _, o := range opts {
		if err := o(p); err != nil {
			return nil, err
		}
	}
	if p.ledger == nil {
		l, err := ledger.New(ledger.WithClock(p.clock))
		if err != nil {
			return nil, err
		}
		p.ledger = l
	}
	return p, nil
}

// Ledger returns the platform's ledger, for audits and reconciliation.
func (p *Platform) Ledger() *ledger.Ledger { return p.ledger }

// PointsRule returns the points rule for currency, if any.
func (p *Platform) PointsRule(currency string) (PointsRule, bool) {
	r, ok := p.rules[currency]
	return r, ok
}

// Ledger account names. Wallet accounts use the wallet ID itself.
func pointsAccount(customerID string) string { return "points:" + customerID }

// MerchantLedgerAccount names the ledger account that holds a merchant's
// income in a currency. Other engines sharing the ledger (the channel
// aggregator) credit the same account, so MerchantBalance shows all income.
func MerchantLedgerAccount(merchantID, currency string) string {
	return "merchant:" + merchantID + ":" + currency
}
func topUpSourceAccount(src TopUpSource, cur string) string {
	return "source:" + string(src) + ":" + cur
}

const (
	pointsIssuedAccount   = "points:issued"
	pointsRedeemedAccount = "points:redeemed"
)

// checkText validates a free-text field (see pay.CheckText).
func checkText(param, s string, required bool, max int) error {
	return pay.CheckText(param, s, required, max)
}

// checkID validates an ID field before any lookup.
func checkID(param, id, prefix string) error {
	if !pay.ValidID(id, prefix) {
		return pay.Errorf(pay.ErrNotFound, param, "no such %s", strings.TrimSuffix(param, "_id"))
	}
	return nil
}
