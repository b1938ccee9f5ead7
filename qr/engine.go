package qr

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// Ledger transfer codes the issuer books with, so ledger readers can tell
// card movements apart.
const (
	CodeIssue    uint16 = 501 // float → card: value loaded at issue
	CodeRedeem   uint16 = 502 // card → merchant: an online deduction
	CodeSettle   uint16 = 503 // card → merchant: a settled offline record
	CodeTransfer uint16 = 504 // card → card: value moved to another holder
)

// Charger charges a card's designated account (a payment token) when a
// redemption asks for it; the card's balance is untouched. It returns the
// charge's reference. The reference backend wires it to the token vault and
// the account platform.
type Charger interface {
	Charge(ctx context.Context, r ChargeRequest) (reference string, err error)
}

// ChargeRequest is one charge of a card's designated account: the token,
// what to charge where, and the card deduction it belongs to (card ID and
// the sequence number it consumes name it uniquely, for idempotency).
type ChargeRequest struct {
	Token      string
	Amount     pay.Money
	MerchantID string
	TerminalID string
	CardID     string
	Seq        uint64
}

// Issuer is the stored-value engine a backend embeds: it issues cards,
// redeems them online, settles offline batches and transfers value between
// holders. Card value lives in pay/ledger: the float account
// FloatAccount(currency) is debited at issue and the card's account
// CardAccount(id) credited; deductions move value from the card's account
// to the merchant's account (account.MerchantLedgerAccount), the same books
// the account platform keeps. Safe for concurrent use.
type Issuer struct {
	signer  Signer
	keys    *KeySet
	store   Store
	ledger  *ledger.Ledger
	clock   pay.Clock
	rules   []Rule
	limits  OfflineLimits
	charger Charger
	regMu   sync.Mutex // serialises terminal registration (key ID check, key set, store)
}

// Option configures an Issuer in NewIssuer.
type Option func(*Issuer) error

// WithStore keeps card records in s instead of a new MemStore.
func WithStore(s Store) Option {
	return func(i *Issuer) error {
		if s == nil {
			return errors.New("qr: nil store")
		}
		i.store = s
		return nil
	}
}

// WithLedger books card value in l (default: a new in-memory ledger on the
// issuer's clock). Share the account platform's ledger so merchant
// balances include card income.
func WithLedger(l *ledger.Ledger) Option {
	return func(i *Issuer) error {
		if l == nil {
			return errors.New("qr: nil ledger")
		}
		i.ledger = l
		return nil
	}
}

// WithClock sets the clock cards are verified and issued by (default: the
// system clock).
func WithClock(c pay.Clock) Option {
	return func(i *Issuer) error {
		if c == nil {
			return errors.New("qr: nil clock")
		}
		i.clock = c
		return nil
	}
}

// WithRules sets the adjustment rules online redemptions apply, in order.
func WithRules(rules ...Rule) Option {
	return func(i *Issuer) error {
		for _, r := range rules {
			if err := validateRule(r); err != nil {
				return err
			}
		}
		i.rules = append(i.rules[:0:0], rules...)
		return nil
	}
}

// WithLimits sets the offline limits the issuer hands terminals (Limits)
// and enforces at settlement (default: DefaultOfflineLimits).
func WithLimits(l OfflineLimits) Option {
	return func(i *Issuer) error {
		if err := l.Validate(); err != nil {
			return err
		}
		i.limits = l
		return nil
	}
}

// WithCharger lets redemptions charge a card's designated account.
// Without one such redemptions fail with pay.ErrInvalidRequest.
func WithCharger(c Charger) Option {
	return func(i *Issuer) error {
		if c == nil {
			return errors.New("qr: nil charger")
		}
		i.charger = c
		return nil
	}
}

// validateRule checks a rule that can check itself (the built-ins).
func validateRule(r Rule) error {
	if r == nil {
		return errors.New("qr: nil rule")
	}
	if v, ok := r.(interface{ validate() error }); ok {
		return v.validate()
	}
	return nil
}

// NewIssuer returns an Issuer that signs cards with signer. keys is the key
// set cards are verified against: the issuer adds its own key, and
// RegisterTerminal adds terminals' keys.
func NewIssuer(signer Signer, keys *KeySet, opts ...Option) (*Issuer, error) {
	if signer == nil || keys == nil {
		return nil, errors.New("qr: NewIssuer needs a signer and a key set")
	}
	i := &Issuer{signer: signer, keys: keys, clock: clock.System{}, limits: DefaultOfflineLimits}
	for _, o := range opts {
		if err := o(i); err != nil {
			return nil, err
		}
	}
	if err := keys.Add(signer.KeyID(), signer.Public()); err != nil {
		return nil, fmt.Errorf("qr: the issuer's key: %w", err)
	}
	if i.store == nil {
		i.store = NewMemStore()
	}
	if i.ledger == nil {
		l, err := ledger.New(ledger.WithClock(i.clock))
		if err != nil {
			return nil, err
		}
		i.ledger = l
	}
	return i, nil
}

// Ledger returns the ledger card value is booked in.
func (i *Issuer) Ledger() *ledger.Ledger { return i.ledger }

// Keys returns the key set cards are verified against.
func (i *Issuer) Keys() *KeySet { return i.keys }

// Limits returns the offline limits terminals are provisioned with.
func (i *Issuer) Limits() OfflineLimits { return i.limits }

// FloatAccount names the ledger account card value is issued from in a
// currency: its debit balance is the value outstanding on cards.
func FloatAccount(currency string) string { return "qr:float:" + currency }

// CardAccount names the ledger account holding a card's balance.
func CardAccount(cardID string) string { return "qr:card:" + cardID }

// transferID names the ledger transfer that consumes a card's sequence
// number, so that re-applying the same deduction is a ledger duplicate.
func transferID(cardID string, seq uint64) string { return fmt.Sprintf("qr:%s:%d", cardID, seq) }

// RegisterTerminal lets the terminal id of merchantID deduct offline: its
// key (keyID, pub) joins the key set, so cards it regenerates verify, and
// its settlement batches are checked against it.
func (i *Issuer) RegisterTerminal(ctx context.Context, id, merchantID string, keyID uint32, pub []byte) (TerminalInfo, error) {
	if err := checkText("terminal_id", id, 64); err != nil {
		return TerminalInfo{}, err
	}
	if err := checkText("merchant_id", merchantID, 64); err != nil {
		return TerminalInfo{}, err
	}
	if len(pub) != 32 {
		return TerminalInfo{}, pay.Errorf(pay.ErrInvalidRequest, "public_key", "public key must be 32 bytes of Ed25519")
	}
	if keyID == i.signer.KeyID() {
		return TerminalInfo{}, pay.Errorf(pay.ErrConflict, "key_id", "key ID is the issuer's")
	}
	t := TerminalInfo{ID: id, MerchantID: merchantID, KeyID: keyID, PublicKey: append([]byte(nil), pub...)}
	// One registration at a time: the key set must never hold one key under
	// a key ID while the store holds a terminal with another.
	i.regMu.Lock()
	defer i.regMu.Unlock()
	_, known := i.keys.Key(keyID)
	if err := i.keys.Add(keyID, t.PublicKey); err != nil {
		return TerminalInfo{}, pay.Errorf(pay.ErrConflict, "key_id", "key ID is taken by another key")
	}
	if err := i.store.PutTerminal(ctx, t); err != nil {
		if !known {
			i.keys.Remove(keyID)
		}
		return TerminalInfo{}, err
	}
	return t, nil
}

// CardState returns the issuer's record of a card.
func (i *Issuer) CardState(ctx context.Context, id string) (CardState, error) {
	return i.store.Card(ctx, id)
}

// Balance returns a card's balance as booked in the ledger.
func (i *Issuer) Balance(ctx context.Context, id string) (pay.Money, error) {
	st, err := i.store.Card(ctx, id)
	if err != nil {
		return pay.Money{}, err
	}
	a, err := i.ledger.LookupAccount(ctx, CardAccount(id))
	if err != nil {
		return pay.Money{}, err
	}
	return pay.Money{Amount: a.Balance(), Currency: st.Currency}, nil
}
