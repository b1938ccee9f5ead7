package token

import (
	"encoding/base32"
	"time"

	"github.com/paykit-go/paykit/pay"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ID prefixes of this package.
const (
	PrefixToken = "tok" // a token's management ID (never the token value)
	PrefixUse   = "tku" // one use of a token
)

// Format is the shape of a token value.
type Format string

// Formats.
const (
	// FormatNumeric tokens look like card numbers: 16 to 19 digits,
	// Luhn-valid, under a token BIN. They replace PANs.
	FormatNumeric Format = "numeric"
	// FormatOpaque tokens are random strings prefixed "ptk_". They replace
	// wallet and bank accounts.
	FormatOpaque Format = "opaque"
)

// AccountType is what a token stands for.
type AccountType string

// Account types.
const (
	AccountCard   AccountType = "card"   // a PAN, 12 to 19 digits, Luhn-valid
	AccountWallet AccountType = "wallet" // a wallet ID on the account platform
	AccountBank   AccountType = "bank"   // a bank account number or IBAN
)

// Status is where a token is in its lifecycle.
type Status string

// Statuses. Active and suspended tokens move between each other; deleted
// is final.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusDeleted   Status = "deleted"
)

// Party is who acted on a token: the issuer operating the vault, or the
// token requestor the token was issued to.
type Party string

// Parties.
const (
	PartyIssuer    Party = "issuer"
	PartyRequestor Party = "requestor"
)

// ScopeDetokenize is the API key scope that lets a caller see the account
// number behind a token (pay.Principal.Scopes).
const ScopeDetokenize = "token:detokenize"

// Caller is who calls the vault. Engines embedding the vault build it from
// their own authentication; the Handler builds it from pay.Principal.
type Caller struct {
	// ID names the caller; a token issued by a caller records it as the
	// token's requestor ID, and the caller owns that token.
	ID string
	// Issuer is the vault's operator: it owns every token and may issue on
	// behalf of any requestor.
	Issuer bool
	// Detokenize lets the caller see account numbers.
	Detokenize bool
}

// Token is a token as its owner sees it. It never holds the account
// number; AccountLast4 is kept for cards so receipts can show it.
type Token struct {
	ID             string      `json:"id"`
	Value          string      `json:"token"`
	Format         Format      `json:"format"`
	AccountType    AccountType `json:"account_type"`
	AccountLast4   string      `json:"account_last4,omitempty"`
	RequestorID    string      `json:"requestor_id"`
	AssuranceLevel int         `json:"assurance_level"`
	Domain         string      `json:"domain,omitempty"`
	Controls       Controls    `json:"controls"`
	Status         Status      `json:"status"`
	SuspendedBy    Party       `json:"suspended_by,omitempty"`
	// Uses counts approved, unreversed debit uses.
	Uses int64 `json:"uses"`
	// Spent totals approved, unreversed debit uses in the token's spending
	// currency: the currency of its amount limits, or of its first debit
	// use when it has none (uses in other currencies are not summed).
	Spent pay.Money `json:"spent,omitzero"`
	// LastCounter is the highest cryptogram counter accepted; the next
	// cryptogram must carry a higher one.
	LastCounter uint32    `json:"last_counter"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// UseKind says which way money moves on a use.
type UseKind string

// Use kinds.
const (
	// UseDebit pays with the token: counted against its use and amount
	// limits.
	UseDebit UseKind = "debit"
	// UseCredit pays into the account behind the token (a top-up machine):
	// every control but the use and amount limits applies.
	UseCredit UseKind = "credit"
)

// UseStatus is where a use stands.
type UseStatus string

// Use statuses.
const (
	UseApproved UseStatus = "approved"
	// UseReversed uses count against no limit; their cryptogram stays spent.
	UseReversed UseStatus = "reversed"
)

// Use is one approved use of a token.
type Use struct {
	ID         string    `json:"id"`
	TokenID    string    `json:"token_id"`
	Kind       UseKind   `json:"kind"`
	Status     UseStatus `json:"status"`
	Amount     pay.Money `json:"amount"`
	MerchantID string    `json:"merchant_id,omitempty"`
	Channel    string    `json:"channel,omitempty"`
	TerminalID string    `json:"terminal_id,omitempty"`
	DeviceID   string    `json:"device_id,omitempty"`
	Mode       Mode      `json:"mode,omitempty"`
	// Counter is the cryptogram's transaction counter, when one came.
	Counter uint32 `json:"counter,omitempty"`
	// AcceptorID is the caller that made the use; it may reverse it.
	AcceptorID string     `json:"acceptor_id"`
	CreatedAt  time.Time  `json:"created_at"`
	ReversedAt *time.Time `json:"reversed_at,omitempty"`
}
