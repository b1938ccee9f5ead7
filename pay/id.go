package pay

import "github.com/paykit-go/paykit/internal/randid"

// Common ID prefixes. IDs are the prefix, "_", and 26 base32 characters from
// crypto/rand, so they can't be guessed or enumerated.
const (
	PrefixPayment  = "pay"
	PrefixAccount  = "acct"
	PrefixCustomer = "cus"
	PrefixWallet   = "wal"
	PrefixBill     = "bill"
	PrefixEvent    = "evt"
	PrefixRequest  = "req"
)

// NewID returns a fresh random ID with the given prefix, e.g. NewID("pay").
func NewID(prefix string) string { return randid.New(prefix) }

// ValidID reports whether id looks like an ID made by NewID(prefix).
func ValidID(id, prefix string) bool { return randid.Valid(id, prefix) }
