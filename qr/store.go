package qr

import (
	"context"
	"crypto/ed25519"
	"slices"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// CardState is the issuer's record of one card: what never changes (holder,
// token, currency), how far its sequence numbers went, and every deduction
// that consumed one. Balances are not here: they live in pay/ledger, in the
// card's account.
type CardState struct {
	ID         string `json:"id"`
	Holder     string `json:"holder"`
	PrevHolder string `json:"prev_holder,omitempty"`
	// Token is the designated account's payment token. It never leaves
	// the engine in JSON.
	Token    string    `json:"-"`
	Currency string    `json:"currency"`
	Expires  time.Time `json:"expires"`
	IssuedAt time.Time `json:"issued_at"`
	// Head is the highest sequence number known to exist: every card with
	// a lower one was consumed by someone, online or offline.
	Head uint64 `json:"head"`
	// Current is the text of the newest card the issuer itself signed.
	Current string `json:"current,omitempty"`
	// Spent is set when the card's whole value was transferred away.
	Spent bool `json:"spent"`
	// Consumed lists the deductions that consumed a sequence number, by
	// sequence number.
	Consumed []Consumption `json:"consumed"`
}

// consumption returns the deduction that consumed seq, if any.
func (s *CardState) consumption(seq uint64) (*Consumption, bool) {
	i, ok := slices.BinarySearchFunc(s.Consumed, seq, func(c Consumption, seq uint64) int {
		switch {
		case c.Record.Seq < seq:
			return -1
		case c.Record.Seq > seq:
			return 1
		}
		return 0
	})
	if !ok {
		return nil, false
	}
	return &s.Consumed[i], true
}

// consume records c, keeping Consumed in order, and moves Head past it.
func (s *CardState) consume(c Consumption) {
	i, _ := slices.BinarySearchFunc(s.Consumed, c.Record.Seq, func(x Consumption, seq uint64) int {
		switch {
		case x.Record.Seq < seq:
			return -1
		case x.Record.Seq > seq:
			return 1
		}
		return 0
	})
	s.Consumed = slices.Insert(s.Consumed, i, c)
	if c.Record.Seq+1 > s.Head {
		s.Head = c.Record.Seq + 1
	}
}

// Kind says how a deduction used a card.
type Kind string

// Kinds of deduction.
const (
	KindAmount   Kind = "amount"   // an amount from the card's balance
	KindUse      Kind = "use"      // one of the card's uses
	KindCharge   Kind = "charge"   // the designated account was charged; the balance is untouched
	KindTransfer Kind = "transfer" // value moved to another holder's card
)

// Consumption is one deduction that consumed a card's sequence number.
type Consumption struct {
	Kind Kind `json:"kind"`
	// Online is true for deductions the issuer made itself (Redeem,
	// Transfer); false for settled offline records.
	Online bool `json:"online"`
	// Record says who consumed which sequence number, for how much and
	// when. Offline ones carry the terminal's signature.
	Record Record `json:"record"`
	// Receipt is the answer of an online redemption, returned again for an
	// idempotent duplicate.
	Receipt *Receipt `json:"receipt,omitempty"`
	// Transfer is the answer of a transfer, returned again for a duplicate.
	Transfer *TransferResult `json:"transfer,omitempty"`
}

// TerminalInfo is a POS registered to deduct offline: its merchant (whom
// its settled records credit) and the public key it signs regenerated cards
// and records with.
type TerminalInfo struct {
	ID         string            `json:"id"`
	MerchantID string            `json:"merchant_id"`
	KeyID      uint32            `json:"key_id"`
	PublicKey  ed25519.PublicKey `json:"public_key"`
}

// Store persists the issuer's card records and terminals. MemStore is the
// default; a SQL store implements the same methods (UpdateCard as SELECT …
// FOR UPDATE in one transaction). Lookups of unknown IDs return errors
// matching ErrCardNotFound or ErrTerminalUnknown.
type Store interface {
	// CreateCard stores a new card; an existing ID is pay.ErrConflict.
	CreateCard(ctx context.Context, c CardState) error
	// Card returns a card's record.
	Card(ctx context.Context, id string) (CardState, error)
	// UpdateCard runs fn on the card's record with the card locked against
	// every other UpdateCard of it; the record is saved only when fn
	// returns nil. The engine makes its ledger transfers inside fn, so one
	// card's deductions happen one at a time.
	UpdateCard(ctx context.Context, id string, fn func(c *CardState) error) (CardState, error)
	// PutTerminal registers a terminal; registering the same ID again with
	// other fields is pay.ErrConflict.
	PutTerminal(ctx context.Context, t TerminalInfo) error
	// Terminal returns a registered terminal.
	Terminal(ctx context.Context, id string) (TerminalInfo, error)
}

// notFound returns the not-found error of kind naming param.
func notFound(kind *pay.Error, param string) error {
	return pay.Errorf(kind, param, "%s", kind.Message)
}
