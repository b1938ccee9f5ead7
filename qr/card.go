package qr

import (
	"crypto/rand"
	"encoding/base32"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/token"
)

// Card is a stored-value card as carried in a QR code: who holds it, which
// account backs it, what is left on it and for how long. The issuer signs
// it (Encode); a verifier trusts it only after Decode checked the
// signature and the validity window.
type Card struct {
	// ID is "svc_" and 13 lower-case base32 characters: 8 random bytes
	// (NewCardID). It stays the same across deductions and regenerations.
	ID string `json:"id"`
	// KeyID is the ID of the key that signed the card; Encode sets it from
	// the Signer, Decode reports it.
	KeyID uint32 `json:"key_id"`
	// Holder is the holder's name or ID: 1 to 32 bytes of UTF-8 without
	// control characters.
	Holder string `json:"holder"`
	// Token is the designated account as a payment token that
	// token.ParseToken accepts (numeric, 16 to 19 Luhn-valid digits, or
	// opaque "ptk_…"), never a raw account number.
	Token string `json:"token"`
	// Balance is what is left on the card: non-negative, in any ISO 4217
	// currency pay knows.
	Balance pay.Money `json:"balance"`
	// Uses is the number of uses left, 0 to MaxUses, or UnlimitedUses when
	// the card is not use-limited.
	Uses int `json:"uses"`
	// NotBefore and Expires bound the validity window: the card is valid at
	// t when NotBefore <= t < Expires. Both travel with second precision
	// (sub-second parts are dropped by the layout) and decode in UTC.
	NotBefore time.Time `json:"not_before"`
	Expires   time.Time `json:"expires"`
	// Seq grows by one with every deduction or regeneration, so a verifier
	// that has seen a card at Seq n knows any card at Seq < n is spent.
	Seq uint64 `json:"seq"`
	// PrevHolder is, after a transfer, the previous holder (same shape as
	// Holder); otherwise "".
	PrevHolder string `json:"prev_holder,omitempty"`
}

// UnlimitedUses is Card.Uses of a card that is not use-limited.
const UnlimitedUses = -1

// Limits of the card's fields.
const (
	// MaxHolderLen is the longest Holder or PrevHolder in bytes.
	MaxHolderLen = 32
	// MaxUses is the largest use count a card carries.
	MaxUses = math.MaxInt32
	// CardIDPrefix starts every card ID.
	CardIDPrefix = "svc_"
)

// maxUnix is the last second a card's window may reach, 9999-12-31T23:59:59Z,
// so times stay well inside int64 and time.Time arithmetic.
const maxUnix = 253402300799

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// cardIDLen is the length of a card ID: the prefix and 13 base32
// characters of 8 bytes.
var cardIDLen = len(CardIDPrefix) + idEncoding.EncodedLen(8)

// NewCardID returns a random card ID: "svc_" and the lower-case base32 of 8
// bytes from crypto/rand.
func NewCardID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return formatCardID(b)
}

func formatCardID(b [8]byte) string {
	return CardIDPrefix + strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// parseCardID returns the 8 bytes of a card ID, which must be spelled
// exactly as NewCardID spells it (lower case, zero trailing bits).
func parseCardID(id string) ([8]byte, bool) {
	var out [8]byte
	body, ok := strings.CutPrefix(id, CardIDPrefix)
	if !ok || len(id) != cardIDLen || strings.ToLower(body) != body {
		return out, false
	}
	b, err := idEncoding.DecodeString(strings.ToUpper(body))
	if err != nil || len(b) != 8 {
		return out, false
	}
	copy(out[:], b)
	return out, formatCardID(out) == id
}

// Validate checks the card's shape: the fields a layout can carry and an
// issuer may sign. Its errors are *pay.Error of kind pay.ErrInvalidRequest
// with Param naming the field; they never echo the token.
func (c Card) Validate() error {
	if _, ok := parseCardID(c.ID); !ok {
		return cardInvalid("id", "a card ID is %q and 13 lower-case base32 characters", CardIDPrefix)
	}
	if why := holderProblem(c.Holder); why != "" {
		return cardInvalid("holder", "the holder %s", why)
	}
	if c.PrevHolder != "" {
		if why := holderProblem(c.PrevHolder); why != "" {
			return cardInvalid("prev_holder", "the previous holder %s", why)
		}
	}
	if _, err := token.ParseToken(c.Token); err != nil {
		// token.ParseToken never echoes the token either.
		return cardInvalid("token", "the designated account must be a payment token: %v", err)
	}
	if _, err := pay.CurrencyExponent(c.Balance.Currency); err != nil {
		return cardInvalid("balance.currency", "the balance's currency is not a known ISO 4217 code")
	}
	if c.Balance.Amount < 0 {
		return cardInvalid("balance.amount", "the balance must not be negative")
	}
	if c.Uses < UnlimitedUses || c.Uses > MaxUses {
		return cardInvalid("uses", "uses must be %d (unlimited) or 0 to %d", UnlimitedUses, MaxUses)
	}
	nb, ex := c.NotBefore.Unix(), c.Expires.Unix()
	if nb < 0 || nb > maxUnix {
		return cardInvalid("not_before", "not-before must lie between 1970 and 9999")
	}
	if ex > maxUnix {
		return cardInvalid("expires", "the expiry must lie before the year 10000")
	}
	if ex <= nb {
		return cardInvalid("expires", "the expiry must be at least one second after not-before")
	}
	return nil
}

// holderProblem says what is wrong with a holder name, or "".
func holderProblem(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > MaxHolderLen:
		return "is longer than 32 bytes"
	case !utf8.ValidString(s):
		return "is not UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "contains a control character"
		}
	}
	return ""
}
