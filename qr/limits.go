package qr

import (
	"fmt"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// OfflineLimits bound what an offline terminal may deduct before it
// settles. They are the whole of the risk of offline payment: a terminal
// cannot ask the issuer whether a card's sequence number is still unspent,
// so a holder who copies a card can spend the same value once at each
// terminal that has not yet settled. What each limit bounds:
//
//   - PerTransaction caps one offline deduction.
//   - PerCardAmount and PerCardCount cap what one terminal takes from one
//     card between two settlements. A double spend needs a second terminal
//     (a terminal sees every sequence number it consumed), so with k
//     terminals the extra value a copied card can yield is at most
//     (k − 1) × min(PerCardAmount, the card's balance); settlement finds
//     every such spend and reports it as a conflict.
//   - PerTerminalAmount and PerTerminalCount cap a terminal's unsettled
//     total: the most one terminal's records can put at risk, whether by
//     double spends or by a lost or stolen device.
//   - MaxUnsettled is how long a terminal may keep deducting offline since
//     its last settlement (zero: no limit); it bounds the window in which
//     copies can be spent at all.
//   - Card expiry is always checked: a card is never accepted offline
//     outside its validity window.
//
// All amounts are in Currency; cards in another currency are refused
// offline. At settlement the issuer also rejects records whose amount
// exceeds PerTransaction: a terminal that broke its limits bears the loss.
type OfflineLimits struct {
	Currency          string
	PerTransaction    int64
	PerCardAmount     int64
	PerCardCount      int
	PerTerminalAmount int64
	PerTerminalCount  int
	MaxUnsettled      time.Duration // "max_unsettled_seconds" in JSON (see MarshalJSON)
}

// DefaultOfflineLimits are modest CNY limits: ¥200 a transaction, ¥500 and
// 5 deductions per card, ¥5,000 and 200 deductions per terminal, 24 hours
// between settlements.
var DefaultOfflineLimits = OfflineLimits{
	Currency: "CNY", PerTransaction: 200_00, PerCardAmount: 500_00, PerCardCount: 5,
	PerTerminalAmount: 5_000_00, PerTerminalCount: 200, MaxUnsettled: 24 * time.Hour,
}

// Validate checks the limits are usable: a known currency and positive
// limits, none per card above its per-terminal counterpart.
func (l OfflineLimits) Validate() error {
	if _, err := pay.CurrencyExponent(l.Currency); err != nil {
		return err
	}
	switch {
	case l.PerTransaction <= 0 || l.PerCardAmount <= 0 || l.PerTerminalAmount <= 0:
		return fmt.Errorf("qr: offline amount limits must be positive")
	case l.PerCardCount <= 0 || l.PerTerminalCount <= 0:
		return fmt.Errorf("qr: offline count limits must be positive")
	case l.PerTransaction > l.PerCardAmount || l.PerCardAmount > l.PerTerminalAmount:
		return fmt.Errorf("qr: offline limits must grow: per transaction ≤ per card ≤ per terminal")
	case l.PerCardCount > l.PerTerminalCount:
		return fmt.Errorf("qr: the per-card count must not exceed the per-terminal count")
	case l.MaxUnsettled < 0:
		return fmt.Errorf("qr: MaxUnsettled must not be negative")
	}
	return nil
}
